"""The pipeline's HTML made in Python (lti_app/pipeline/cells.py) escapes every value: a name,
an address, a school or a city a student or a coach typed is text on the page, never markup."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask
from flask_babel import force_locale

from lti_app.pipeline.cells import Cells
from lti_app.pipeline.service import PipelineMentor, PipelinePlacement, PipelineRow
from lti_app.placements.models import PlacementState, Track

HOSTILE = '<b onmouseover="x()">O\'Brien & co</b>'
ESCAPED = "&lt;b onmouseover=&#34;x()&#34;&gt;O&#39;Brien &amp; co&lt;/b&gt;"


def _placement() -> PipelinePlacement:
    return PipelinePlacement(
        id=7,
        state=PlacementState.APPROVED,
        track=Track.STAGE,
        school_id=3,
        school_name=HOSTILE,
        school_city=HOSTILE,
        start_date=date(2027, 2, 8),
        end_date=None,
        planned_hours=10,
        approved_minutes=90,
        mentors=[PipelineMentor(HOSTILE, "m@example.org", "not_invited", HOSTILE)],
    )


def test_every_value_in_the_table_is_escaped(app: Flask) -> None:
    row = PipelineRow(1, HOSTILE, HOSTILE, False, [_placement()])
    with app.test_request_context(), force_locale("en"):
        html = str(
            Cells("/placements/", "/feedback/placements/", "/journals/placements/").table([row])
        )
    assert "<b onmouseover" not in html and "</b>" not in html
    assert html.count(ESCAPED) == 6  # name, address, school, city, mentor, subject
    assert f"· {ESCAPED}</span>" in html  # the mentor's subject
    assert '<tbody class="inactive">' in html and "left the course" in html
    assert (
        'href="/placements/7"' in html
        and "from 08/02/2027" in html
        and "1 h 30 min of 10 h" in html
    )


def test_the_unplaced_list_and_the_school_options_are_escaped(app: Flask) -> None:
    rows = [PipelineRow(1, HOSTILE, HOSTILE, True), PipelineRow(2, HOSTILE, "", False)]
    with app.test_request_context(), force_locale("en"):
        cells = Cells("/placements/", "/feedback/placements/", "/journals/placements/")
        unplaced = str(cells.unplaced(rows, "/placements/new"))
        options = str(cells.school_options([(3, HOSTILE), (4, "Atheneum")], 4))
    assert "<b onmouseover" not in unplaced + options
    assert unplaced.count(ESCAPED) == 4  # two names, one address, one aria-label
    assert f'aria-label="Create placement: {ESCAPED}"' in unplaced
    assert unplaced.count("Create placement</a>") == 1  # not for the student who left
    assert f'<option value="3">{ESCAPED}</option>' in options
    assert '<option value="4" selected>Atheneum</option>' in options


def test_the_journal_cell_counts_entries_and_links_the_journal(app: Flask) -> None:
    writing = _placement()
    writing.journal_submitted, writing.journal_drafts = 4, 1
    writing.journal_last = datetime(2027, 3, 1, 23, 30, tzinfo=UTC)  # 2 March in Brussels
    silent = _placement()
    silent.id = 8
    with app.test_request_context(), force_locale("en"):
        cells = Cells("/placements/", "/feedback/placements/", "/journals/placements/")
        html = cells.journal(writing)
        empty = cells.journal(silent)
    assert '<a href="/journals/placements/7">4 submitted, 1 draft</a>' in html
    assert "last 02/03/2027" in html
    assert '<a href="/journals/placements/8">no entries yet</a>' in empty
