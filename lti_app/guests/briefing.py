"""What the mentor's portal says to a mentor who is new to Driehoek: what the college asks of a
mentor, and whom to call (the student's coach). Template helpers, hung on the mentors blueprint.

Who reads it: a school mentor on a phone, signed in through a link from an e-mail, often for the
first time and never trained in this tool. They came to see their student and what the college
expects; they give up when they cannot tell whom to call with a question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from lti_app import db
from lti_app.guests.models import GuestSession
from lti_app.placements.models import Placement
from lti_app.placements.service import course_people
from lti_app.roster.models import Role


@dataclass(frozen=True)
class Contact:
    name: str
    email: str


@dataclass(frozen=True)
class StudentContacts:
    """For one student of the mentor: the coach(es) to call."""

    student: str
    course: str
    coaches: tuple[Contact, ...]


def mentor_contacts(placements: Sequence[Placement]) -> list[StudentContacts]:
    """The placement's own coach, or else every active coach of its course (by name)."""
    s = db.session()
    found = []
    by_course: dict[int, tuple[Contact, ...]] = {}
    for p in placements:
        if p.coach is not None:
            coaches: tuple[Contact, ...] = (Contact(p.coach.display_name, p.coach.email or ""),)
        else:
            if p.course_id not in by_course:
                by_course[p.course_id] = tuple(
                    Contact(c.display_name, c.email or "")
                    for c in course_people(s, p.course_id, [Role.COACH])
                )
            coaches = by_course[p.course_id]
        found.append(StudentContacts(p.student.display_name, p.course.title, coaches))
    return found


def first_sign_in(mentor_id: int) -> bool:
    """True while the mentor is on the first sign-in they ever had (one guest session so far):
    the portal then shows what the college asks of a mentor open; afterwards folded away."""
    count = db.session().scalar(
        select(func.count()).select_from(GuestSession).where(GuestSession.mentor_id == mentor_id)
    )
    return int(count or 0) <= 1
