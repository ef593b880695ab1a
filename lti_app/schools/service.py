"""The college's schools directory: search, add, change; the instellingsnummer keeps one school
once per college. Functions take a session and leave committing to the caller.

``school_changed`` is sent by whoever changed a school's details (the schools page): what names
the school elsewhere (an unsigned agreement's text) follows without this package knowing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from blinker import Namespace
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lti_app.schools.models import School

signals = Namespace()
# Sent with the school's id as sender and session=, actor=, actor_name= (who changed it).
school_changed = signals.signal("school-changed")
# Asked before the school's form is shown (the school's id as sender, session=): what saving a
# change would put at stake elsewhere (signatures of texts that name the school).
school_edit_at_stake = signals.signal("school-edit-at-stake")


@dataclass
class SchoolDetails:
    name: str
    institution_number: str | None = None
    street: str = ""
    postal_code: str = ""
    city: str = ""
    contact_name: str = ""
    contact_email: str | None = None
    contact_phone: str = ""


def normalise_institution_number(raw: str | None) -> str | None:
    """Spaces and dots people type (``030 395``) removed; blank means none."""
    value = re.sub(r"[\s.]", "", raw or "")
    return value or None


def school_with_number(session: Session, college_id: int, number: str | None) -> School | None:
    number = normalise_institution_number(number)
    if number is None:
        return None
    return session.scalars(
        select(School).where(School.college_id == college_id, School.institution_number == number)
    ).first()


def get_school(session: Session, school_id: int, college_id: int) -> School | None:
    """A school of the college's directory (None for another college's)."""
    school = session.get(School, school_id)
    return school if school is not None and school.college_id == college_id else None


def search_schools(
    session: Session, college_id: int, query: str = "", limit: int | None = None
) -> list[School]:
    """The college's schools whose name, city or instellingsnummer contains ``query``, by name."""
    statement = (
        select(School)
        .where(School.college_id == college_id)
        .order_by(func.lower(School.name), School.city, School.id)
    )
    words = query.split()
    for word in words:
        pattern = word.lower()
        statement = statement.where(
            or_(
                func.lower(School.name).contains(pattern, autoescape=True),
                func.lower(School.city).contains(pattern, autoescape=True),
                func.lower(School.postal_code).contains(pattern, autoescape=True),
                func.coalesce(School.institution_number, "").contains(pattern, autoescape=True),
            )
        )
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.scalars(statement))


def count_schools(session: Session, college_id: int) -> int:
    statement = select(func.count()).select_from(School).where(School.college_id == college_id)
    return int(session.scalar(statement) or 0)


def _school_values(details: SchoolDetails) -> dict[str, Any]:
    return {
        "name": details.name.strip(),
        "institution_number": normalise_institution_number(details.institution_number),
        "street": details.street.strip(),
        "postal_code": details.postal_code.strip(),
        "city": details.city.strip(),
        "contact_name": details.contact_name.strip(),
        "contact_email": (details.contact_email or "").strip() or None,
        "contact_phone": details.contact_phone.strip(),
    }


def create_school(session: Session, college_id: int, details: SchoolDetails) -> School:
    """A new school in the college's directory. The caller has checked the instellingsnummer is
    free (the database's unique constraint catches a race)."""
    school = School(college_id=college_id, **_school_values(details))
    session.add(school)
    session.flush()
    return school


def update_school(session: Session, school: School, details: SchoolDetails) -> School:
    for key, value in _school_values(details).items():
        setattr(school, key, value)
    session.flush()
    return school


# -- mentors ------------------------------------------------------------------------------------
