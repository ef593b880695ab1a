"""The gradebook column a deep link carries: one row per course and resource id, and whether
the deep-linking response still has to ask the platform to create it.

The platform creates a line item for every ``lineItem`` it receives in a content item (LTI DL
2.0 §3.4.1): a second deep link of the same assignment that carried it again would make a
second column. So a content item asks for the column only when this deep link made the row;
a row that was already there was sent before (or has its URL, or will be found by resource id
before a grade creates one, grading/sync), and its link goes without ``lineItem``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from lti_app.grading.models import LineItem
from lti_app.grading.service import DEFAULT_TAG, find_or_make_line_item, journal_resource_id
from lti_app.roster.models import Course

JOURNAL_TAG = DEFAULT_TAG
__all__ = ["JOURNAL_TAG", "LinkedColumn", "column_for_deep_link", "journal_resource_id"]


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
    """The course's line item for ``resource_id``, made if missing (flushed, not committed);
    the platform is asked to make the column only by the deep link that made the row."""
    item, made = find_or_make_line_item(
        session,
        course=course,
        resource_id=resource_id,
        label=label,
        score_maximum=score_maximum,
        tag=tag,
    )
    return LinkedColumn(item, ask_platform=made and item.url is None)
