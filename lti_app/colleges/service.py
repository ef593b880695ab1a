"""Colleges and programmes: finding, adding, and the college a registration or course belongs to.

The operator makes colleges (``flask --app lti_app college add``); coaches and coordinators
name a course's programme at its first launch, or the LMS link names it (custom parameter
``programme``).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_app.colleges.models import College, Programme

MAX_NAME = 200
FALLBACK_COLLEGE_NAME = "Hogeschool"


class CollegeError(ValueError):
    """A college or programme that cannot be had as asked; the message says why."""


def tidy(name: str) -> str:
    """A name as stored: single spaces, no line breaks."""
    return " ".join((name or "").split())


def colleges(session: Session) -> list[College]:
    return list(session.scalars(select(College).order_by(College.name, College.id)))


def find_college(session: Session, name: str) -> College | None:
    wanted = tidy(name).lower()
    return session.scalars(select(College).where(func.lower(College.name) == wanted)).first()


def add_college(session: Session, name: str) -> College:
    """A new college. :raise CollegeError: no name, too long, or taken."""
    name = tidy(name)
    if not name:
        raise CollegeError("A college needs a name: it appears in mails, pages and agreements.")
    if len(name) > 300:
        raise CollegeError("A college's name is at most 300 characters.")
    if find_college(session, name) is not None:
        raise CollegeError(f"There is a college named {name!r} already.")
    college = College(name=name)
    session.add(college)
    session.flush()
    return college


def rename_college(session: Session, college: College, name: str) -> College:
    name = tidy(name)
    if not name:
        raise CollegeError("A college needs a name.")
    other = find_college(session, name)
    if other is not None and other.id != college.id:
        raise CollegeError(f"There is a college named {name!r} already.")
    college.name = name
    session.flush()
    return college


def college_named(session: Session, name: str | None, default_name: str = "") -> College:
    """The college an operator means on the command line.

    A name must be an existing college's. Without one: the installation's only college; on an
    installation with none yet, a first college named ``default_name`` (the ``COLLEGE_NAME``
    setting) is made, so that a single college's command lines need no ``--college``.

    :raise CollegeError: no college by that name, or several colleges and no name.
    """
    if name:
        college = find_college(session, name)
        if college is None:
            known = ", ".join(repr(c.name) for c in colleges(session)) or "none yet"
            raise CollegeError(
                f"No college is named {tidy(name)!r} (colleges: {known}). "
                "Make it first: flask --app lti_app college add NAME"
            )
        return college
    existing = colleges(session)
    if len(existing) == 1:
        return existing[0]
    if not existing:
        return add_college(session, tidy(default_name) or FALLBACK_COLLEGE_NAME)
    names = ", ".join(repr(c.name) for c in existing)
    raise CollegeError(f"This installation serves several colleges ({names}): name one.")


def programmes(session: Session, college_id: int) -> list[Programme]:
    return list(
        session.scalars(
            select(Programme).where(Programme.college_id == college_id).order_by(Programme.name)
        )
    )


def get_programme(session: Session, programme_id: int, college_id: int) -> Programme | None:
    """One of the college's programmes (None for another college's)."""
    return session.scalars(
        select(Programme).where(Programme.id == programme_id, Programme.college_id == college_id)
    ).first()


def programme_named(session: Session, college_id: int, name: str) -> Programme:
    """The college's programme with this name (any case), made when new.

    :raise CollegeError: an empty or too long name.
    """
    name = tidy(name)
    if not name:
        raise CollegeError("Name the programme.")
    if len(name) > MAX_NAME:
        raise CollegeError(f"A programme's name is at most {MAX_NAME} characters.")
    found = session.scalars(
        select(Programme).where(
            Programme.college_id == college_id, func.lower(Programme.name) == name.lower()
        )
    ).first()
    if found is not None:
        return found
    programme = Programme(college_id=college_id, name=name)
    session.add(programme)
    session.flush()
    return programme
