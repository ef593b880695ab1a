"""The coach's pipeline says per placement how many feedback forms came and when the last did,
links to the placement's feedback, and flags a running placement without feedback for
FEEDBACK_QUIET_WEEKS."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask

from lti_app import clock
from tests.feedback import add_form
from tests.guests import text
from tests.lms import TestLMS
from tests.signing import three_parties


def _row(page: str, placement_id: int) -> str:
    found = re.search(
        rf'<tr>(?:(?!</tr>).)*?/placements/{placement_id}"(?:(?!</tr>).)*</tr>', page, re.S
    )
    assert found, f"no row for placement {placement_id}"
    return found.group(0)


def test_forms_counted_dated_and_linked_and_a_quiet_placement_flagged(
    app: Flask, lms: TestLMS
) -> None:
    parties = three_parties(app, lms)
    row = _row(text(parties.coach.get("/coach")), parties.placement)
    # Started 30 days ago (tests/guests.py), nothing yet: 3 weeks without feedback.
    assert "none yet" in row and "no feedback lately" in row
    assert f'href="/feedback/placements/{parties.placement}"' in row

    with app.app_context():
        from lti_app import db
        from lti_app.placements.models import Placement

        placement = db.session().get(Placement, parties.placement)
        assert placement is not None
        mentor = placement.mentor_links[0].mentor_id
    add_form(app, parties.placement, mentor_id=mentor, days_ago=10)
    add_form(app, parties.placement, mentor_id=mentor, days_ago=2)
    add_form(app, parties.placement, mentor_id=mentor, submitted=False)  # a draft: not counted
    row = _row(text(parties.coach.get("/coach")), parties.placement)
    assert "2 forms" in row and "no feedback lately" not in row
    last = clock.in_brussels(clock.now() - timedelta(days=2)).date()
    assert re.search(rf"last 0?{last.day}/{last.month:02d}/{last.year}", row), row
