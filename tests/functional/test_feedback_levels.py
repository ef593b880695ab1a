"""The levels table the course view reads (feedback_level): written when a form is submitted,
its latest level per placement and competency the same as the growth chart's last point, moved
back to an older form when a correction stops rating a competency, and filled by migration 0013
from forms submitted before exactly as the app writes it."""

from __future__ import annotations

from typing import Any

from alembic import command
from flask import Flask
from sqlalchemy import select

from lti_app import db
from lti_app.cli import alembic_config
from lti_app.feedback import filling
from lti_app.feedback.growth import growth
from lti_app.feedback.models import FeedbackForm, FeedbackLevel
from tests.functional.test_feedback_growth import semester  # noqa: F401  # the fixture

COLUMNS = (
    FeedbackLevel.form_id,
    FeedbackLevel.competency,
    FeedbackLevel.placement_id,
    FeedbackLevel.template_id,
    FeedbackLevel.level,
    FeedbackLevel.value,
    FeedbackLevel.day,
    FeedbackLevel.latest,
)


def _levels(app: Flask) -> list[tuple[Any, ...]]:
    with app.app_context():
        return [
            tuple(row)
            for row in db.session().execute(
                select(*COLUMNS).order_by(FeedbackLevel.form_id, FeedbackLevel.competency)
            )
        ]


def _latest_as_growth_says(app: Flask, placement: int) -> dict[str, tuple[int, str]]:
    with app.app_context():
        found = growth(db.session(), placement, "en")
    return {
        line.competency.key: (line.latest.form_id, line.latest.level)
        for line in found.rated
        if line.latest is not None
    }


def _latest_in_table(app: Flask, placement: int) -> dict[str, tuple[int, str]]:
    return {
        competency: (form_id, level)
        for form_id, competency, placement_id, _t, level, _v, _d, latest in _levels(app)
        if placement_id == placement and latest
    }


def test_the_latest_levels_are_the_growth_charts_last_points(
    app: Flask,
    semester: dict[str, Any],
) -> None:
    placement = semester["placement"]
    assert _latest_in_table(app, placement) == _latest_as_growth_says(app, placement)
    rows = _levels(app)
    # Not observed and drafts give no level; the replaced version keeps its rows, never latest.
    assert not [r for r in rows if r[0] in (semester["nothing"], semester["draft"])]
    assert {r[7] for r in rows if r[0] == semester["replaced"]} == {False}


def test_a_correction_that_stops_rating_moves_the_latest_level_back(
    app: Flask,
    semester: dict[str, Any],
) -> None:
    placement, last = semester["placement"], semester["forms"][-1]
    with app.app_context():
        s = db.session()
        form = s.get(FeedbackForm, last)
        assert form is not None and form.author_person_id is not None  # a visit report
        author = filling.Author(f"person:{form.author_person_id}", None, form.author_person_id)
        draft = filling.correct(s, form, author, "fg2 was not seen")
        answers = {k: v for k, v in dict(draft.answers).items() if k != "visit_fg2"}
        for block in draft.template.blocks:  # what the visit report requires besides
            if block.get("required") and block["type"] == "text":
                answers.setdefault(block["key"], "Meer variatie in werkvormen.")
        filling.save(
            s,
            draft,
            author,
            base_revision=draft.revision,
            answers=answers,
            lesson=filling.Lesson(draft.lesson_date, draft.class_name, draft.subject),
        )
        filling.submit(s, draft, author)
        s.commit()
        correction = draft.id
    table = _latest_in_table(app, placement)
    assert table == _latest_as_growth_says(app, placement)
    assert table["fg1"][0] == correction
    assert table["fg2"][0] not in (last, correction)  # an older form's level again
    page = semester["coach"].get("/feedback/course").get_data(as_text=True)
    assert f'href="/feedback/forms/{correction}"' in page
    assert f'href="/feedback/forms/{last}"' not in page


def test_migration_0013_fills_the_table_as_the_app_writes_it(
    app: Flask,
    database_url: str,
    semester: dict[str, Any],
) -> None:
    written = _levels(app)
    assert written
    app.extensions["db_engine"].dispose()
    config = alembic_config(database_url)
    command.downgrade(config, "0012")
    command.upgrade(config, "head")
    assert _levels(app) == written
