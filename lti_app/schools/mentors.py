"""Mentors as people of a college: one per college and e-mail address, found or added when a
placement names them (by a coach, a student's proposal, the CSV import or an invitation)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.schools.models import Mentor

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


@dataclass
class MentorDetails:
    email: str
    name: str = ""
    subject: str = ""


def normalise_email(value: str) -> str:
    return value.strip().lower()


def is_email(value: str) -> bool:
    return bool(EMAIL.match(value.strip()))


def mentor_for(
    session: Session, college_id: int, details: MentorDetails, *, overwrite: bool = True
) -> Mentor:
    """The college's mentor with this e-mail address (one row per college and lower-cased
    address), created if new.

    With ``overwrite`` (a coach typed it) a given name replaces the stored one; otherwise (a
    student's proposal) it only fills a blank name. The subject is not the mentor's: it goes on
    the placement's link (``_set_mentors``).
    """
    email = normalise_email(details.email)
    mentor = session.scalars(
        select(Mentor).where(Mentor.college_id == college_id, Mentor.email == email)
    ).first()
    name = details.name.strip()
    if mentor is None:
        mentor = Mentor(college_id=college_id, email=email, name=name)
        session.add(mentor)
        session.flush()
        return mentor
    if name and (overwrite or not mentor.name):
        mentor.name = name
    return mentor
