"""The levels table (feedback_level): each submitted form's level per competency, written when
the form is submitted (filling.submit, and the sandbox and seeds that make submitted forms
directly), with each placement's latest level per competency marked, so the coach's course view
reads the latest levels in one indexed statement instead of decoding every form's answers.

The levels are growth.py's points (read from the form's own template version, "not observed"
left out); the latest one is the growth chart's last point (tests/functional/test_feedback_levels).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.feedback.blocks import Level
from lti_app.feedback.growth import (
    _Template,
    answers_of,
    current_submitted,
    day_of,
    rated_level,
    template_of,
)
from lti_app.feedback.models import FeedbackForm, FeedbackLevel


def latest_levels(placements: Any) -> Any:
    """Per placement that ``placements`` (a SELECT of ids) selects and competency, its latest
    level among current submitted forms (record_levels marks it): a SELECT of (placement_id,
    competency, form_id, level, value, day, template_id)."""
    return select(
        FeedbackLevel.placement_id,
        FeedbackLevel.competency,
        FeedbackLevel.form_id,
        FeedbackLevel.level,
        FeedbackLevel.value,
        FeedbackLevel.day,
        FeedbackLevel.template_id,
    ).where(FeedbackLevel.placement_id.in_(placements), FeedbackLevel.latest.is_(True))


def form_levels(answers: dict[str, Any], template: _Template) -> dict[str, Level]:
    """The level the answers give each competency the template rates (its point's level)."""
    found = {}
    for competency, keys in template.rated:
        level = rated_level(answers, template, keys)
        if level is not None:
            found[competency] = level
    return found


def level_rows(form: Any, template: _Template) -> list[dict[str, Any]]:
    """A submitted form's feedback_level rows (``form``: a form or a row with its id,
    placement_id, lesson_date, submitted_at and answers)."""
    day = day_of(form.lesson_date, form.submitted_at)
    return [
        {
            "form_id": form.id,
            "competency": competency,
            "placement_id": form.placement_id,
            "template_id": form.template_id,
            "level": level.key,
            "value": level.value,
            "day": day,
        }
        for competency, level in form_levels(answers_of(form), template).items()
    ]


def mark_latest(rows: list[dict[str, Any]]) -> None:
    """Set "latest" on level rows (``level_rows``' dicts) of current forms of one or more
    placements: per placement and competency, the newest day, then the highest form id."""
    best: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["placement_id"], row["competency"])
        known = best.get(key)
        if known is None or (row["day"], row["form_id"]) > (known["day"], known["form_id"]):
            best[key] = row
        row["latest"] = False
    for row in best.values():
        row["latest"] = True


def record_levels(session: Session, form: FeedbackForm) -> None:
    """Write the levels of a form being submitted (filling.submit; the sandbox and the seeds
    that make submitted forms directly), read from its own template version, and mark its
    placement's latest levels again (a correction may move them back to an older form)."""
    t = form.template
    template = template_of(
        t.kind, t.framework.version, t.scale, t.blocks, t.framework.competencies, "nl"
    )
    session.add_all(FeedbackLevel(**row) for row in level_rows(form, template))
    session.flush()
    rows = session.scalars(
        select(FeedbackLevel).where(FeedbackLevel.placement_id == form.placement_id)
    ).all()
    current = set(
        session.scalars(
            select(FeedbackForm.id).where(
                FeedbackForm.placement_id == form.placement_id, current_submitted()
            )
        )
    )
    best: dict[str, FeedbackLevel] = {}
    for row in rows:
        known = best.get(row.competency)
        if row.form_id in current and (
            known is None or (row.day, row.form_id) > (known.day, known.form_id)
        ):
            best[row.competency] = row
    chosen = {id(row) for row in best.values()}
    for row in rows:
        row.latest = id(row) in chosen
    session.flush()
