"""Where a verified launch lands, when the link asks for more than the person's home.

- ``LtiSubmissionReviewRequest`` (LTI SR 1.0, https://www.imsglobal.org/spec/lti-sr/v1p0):
  a coach in the LMS gradebook opens one student's submission of one column. The student is
  ``for_user.user_id`` (a person of this platform, in this course); the column is the AGS
  ``lineitem`` (or the link's resource id, or its resource link) → our line item → the
  journal assignment that has it. The coach lands on ``journals.review_student``.
- A link placed by deep linking with ``driehoek_view=journal``: a student lands on her journal
  (her approved placement in the course), a coach on the grading queue of that assignment.
- Canvas's SpeedGrader launches the ``target_link_uri`` our score's submission extension named:
  a review page of this tool. Only that path pattern is followed, only for a coach; the review
  page itself checks that the assignment and student are of the coach's course.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.errors import LaunchError
from lti_app.grading.launches import (
    custom_parameters,
    line_item_of_link,
    line_item_url,
    link_resource_id,
)
from lti_app.grading.service import journal_assignment_id
from lti_app.journals.models import JournalAssignment
from lti_app.lti.message_launch import FOR_USER, same_origin
from lti_app.placements.models import Placement, PlacementState
from lti_app.roster.models import Course, Membership, Person, Role

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
REVIEW_PATH = re.compile(r"^/journals/assignments/(\d{1,12})/students/(\d{1,12})/?$")


class ReviewNotFound(LaunchError):
    """A submission review of a student or a column Driehoek does not know in this course."""

    status = 404
    title = _l("Driehoek cannot find this submission")


def submission_review_landing(
    session: Session, issuer: str, course: Course | None, claims: Mapping[str, Any]
) -> str:
    """The review page of the student and column a submission review names.

    :raise ReviewNotFound: no course, an unknown student, or a column that is not one of this
        course's journal assignments.
    """
    if course is None:
        raise ReviewNotFound("submission review without a course", _NO_COLUMN)
    for_user = claims.get(FOR_USER)
    user_id = for_user.get("user_id") if isinstance(for_user, Mapping) else None
    student_id = session.scalar(
        select(Person.id)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Person.issuer == issuer,
            Person.sub == str(user_id),
            Membership.course_id == course.id,
        )
    )
    if student_id is None:
        raise ReviewNotFound("submission review of a person not in this course", _NO_STUDENT)
    assignment_id = _assignment_of(session, course, claims)
    if assignment_id is None:
        raise ReviewNotFound(
            f"submission review of an unknown column {str(line_item_url(claims))[:200]!r}",
            _NO_COLUMN,
        )
    return url_for("journals.review_student", assignment_id=assignment_id, student_id=student_id)


def _assignment_of(session: Session, course: Course, claims: Mapping[str, Any]) -> int | None:
    row = line_item_of_link(session, course, claims)
    if row is None:
        return None
    found: int | None = session.scalar(
        select(JournalAssignment.id).where(
            JournalAssignment.course_id == course.id, JournalAssignment.line_item_id == row.id
        )
    )
    return found


def link_landing(
    session: Session, person: Person, course: Course | None, role: Role, claims: Mapping[str, Any]
) -> str | None:
    """Where a resource-link launch lands instead of the home, or None for the home."""
    review = review_target(claims)
    if review is not None and role is not Role.STUDENT:
        return review
    if course is None or custom_parameters(claims).get("driehoek_view") != "journal":
        return None
    if role is Role.STUDENT:
        placement_id = session.scalar(
            select(Placement.id)
            .where(
                Placement.course_id == course.id,
                Placement.student_id == person.id,
                Placement.state == PlacementState.APPROVED,
            )
            .order_by(Placement.id.desc())
        )
        if placement_id is None:
            return None
        return url_for("journals.journal", placement_id=placement_id)
    assignment_id = journal_assignment_id(link_resource_id(claims))
    if assignment_id is not None and session.scalar(
        select(JournalAssignment.id).where(
            JournalAssignment.id == assignment_id, JournalAssignment.course_id == course.id
        )
    ):
        return url_for("journals.queue", assignment=assignment_id)
    return url_for("journals.queue")


def review_target(claims: Mapping[str, Any]) -> str | None:
    """The review page of this tool a launch targets (Canvas SpeedGrader), as a local path."""
    target = claims.get(CLAIM + "target_link_uri")
    base = current_app.config["BASE_URL"]
    if not isinstance(target, str) or not same_origin(target, base):
        return None
    path, prefix = urlsplit(target).path, urlsplit(base).path.rstrip("/")
    if not path.startswith(prefix + "/"):
        return None
    match = REVIEW_PATH.match(path[len(prefix) :])
    if match is None:
        return None
    return url_for(
        "journals.review_student",
        assignment_id=int(match.group(1)),
        student_id=int(match.group(2)),
    )


_NO_STUDENT = _l(
    "Driehoek does not know this student in this course yet: they have not opened Driehoek from "
    "the course, and the course's member list has not reached Driehoek."
)
_NO_COLUMN = _l(
    "This gradebook column is not one of Driehoek's reflection journals in this course."
)
