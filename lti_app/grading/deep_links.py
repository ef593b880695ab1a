"""The gradebook column a deep link carries: one row per course and resource id, and whether
the deep-linking response still has to ask the platform to create it.

The platform creates a line item for every ``lineItem`` it receives in a content item (LTI DL
2.0 §3.4.1): a second deep link of the same assignment that carried it again would make a
second column. So a content item asks for the column only when this deep link made the row;
a row that was already there was sent before (or has its URL, or will be found by resource id
before a grade creates one, grading/sync), and its link goes without ``lineItem``.

Until ``grading.service.line_item_for`` exists on this branch, the row is written here with the
same get-or-create on (course_id, resource_id).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_app.grading.models import LineItem
from lti_app.roster.models import Course

JOURNAL_TAG = "reflectiejournaal"
JOURNAL_RESOURCE_PREFIX = "driehoek-journal-"


def journal_resource_id(assignment_id: int) -> str:
    return f"{JOURNAL_RESOURCE_PREFIX}{assignment_id}"


def journal_assignment_id(resource_id: object) -> int | None:
    """The assignment id a journal resource id names, or None for anything else."""
    if not isinstance(resource_id, str) or not resource_id.startswith(JOURNAL_RESOURCE_PREFIX):
        return None
    digits = resource_id[len(JOURNAL_RESOURCE_PREFIX) :]
    return int(digits) if digits.isdigit() and len(digits) <= 12 else None


@dataclass(frozen=True)
class LinkedColumn:
    line_item: LineItem
    ask_platform: bool  # the content item carries ``lineItem``: the platform makes the column


def column_for_deep_link(
    session: Session,
    *,
    course: Course,
    resource_id: str,
    label: str,
    score_maximum: float,
    tag: str = JOURNAL_TAG,
) -> LinkedColumn:
    """The course's line item for ``resource_id``, made if missing (flushed, not committed)."""
    found = _find(session, course.id, resource_id)
    if found is not None:
        return LinkedColumn(found, ask_platform=False)
    row = LineItem(
        course_id=course.id,
        resource_id=resource_id,
        tag=tag,
        label=label[:300],
        score_maximum=score_maximum,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another coach's deep link of the same assignment made it a moment ago: theirs asks.
        found = _find(session, course.id, resource_id)
        if found is None:
            raise
        return LinkedColumn(found, ask_platform=False)
    return LinkedColumn(row, ask_platform=row.url is None)


def _find(session: Session, course_id: int, resource_id: str) -> LineItem | None:
    return session.scalars(
        select(LineItem).where(LineItem.course_id == course_id, LineItem.resource_id == resource_id)
    ).first()
