"""Roster domain logic: who is in which course. ``record_launch`` writes what a launch showed.

Reading (``get_*``) is kept apart from asking the LMS (``fetch_*``, with NRPS sync).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from lti_app.db import utcnow
from lti_app.lti.models import Platform
from lti_app.roster.models import Course, Membership, Person, Role

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def record_launch(
    session: Session, platform: Platform, claims: Mapping[str, Any], role: Role
) -> tuple[Person, Course | None, Membership | None]:
    """Create or update the person, course and membership a verified launch describes."""
    person = session.scalars(
        select(Person).where(Person.issuer == platform.issuer, Person.sub == claims["sub"])
    ).first()
    if person is None:
        person = Person(issuer=platform.issuer, sub=str(claims["sub"]))
        session.add(person)
    person.name = _text(claims.get("name"), 300) or person.name
    person.given_name = _text(claims.get("given_name"), 200) or person.given_name
    person.family_name = _text(claims.get("family_name"), 200) or person.family_name
    email = _text(claims.get("email"), 320)
    person.email = email or person.email
    locale = _text((claims.get(CLAIM + "launch_presentation") or {}).get("locale"), 20)
    person.locale = locale or person.locale

    context = claims.get(CLAIM + "context") or {}
    if not isinstance(context, Mapping) or not context.get("id"):
        session.flush()
        return person, None, None
    course = session.scalars(
        select(Course).where(
            Course.platform_id == platform.id, Course.context_id == str(context["id"])
        )
    ).first()
    if course is None:
        course = Course(platform_id=platform.id, context_id=str(context["id"])[:500])
        session.add(course)
    course.title = _text(context.get("title"), 500) or course.title
    course.label = _text(context.get("label"), 200) or course.label
    nrps = claims.get(NRPS) or {}
    if isinstance(nrps, Mapping) and isinstance(nrps.get("context_memberships_url"), str):
        course.nrps_url = nrps["context_memberships_url"][:1000]
    ags = claims.get(AGS) or {}
    if isinstance(ags, Mapping) and isinstance(ags.get("lineitems"), str):
        course.ags_lineitems_url = ags["lineitems"][:1000]

    membership = None
    if person.id is not None and course.id is not None:  # both known: maybe a membership too
        membership = session.scalars(
            select(Membership).where(
                Membership.course_id == course.id, Membership.person_id == person.id
            )
        ).first()
    if membership is None:
        membership = Membership(course=course, person=person, role=role)
        session.add(membership)
    membership.role = role
    membership.lti_roles = [r for r in claims.get(CLAIM + "roles", []) if isinstance(r, str)]
    membership.active = True
    membership.last_launch_at = utcnow()
    session.flush()
    return person, course, membership


def get_course(session: Session, course_id: int) -> Course | None:
    return session.get(Course, course_id)


def get_members(session: Session, course_id: int, role: Role | None = None) -> list[Membership]:
    """Members of a course known so far, active first, by name."""
    query = (
        select(Membership)
        .join(Person)
        .options(contains_eager(Membership.person))
        .where(Membership.course_id == course_id)
        .order_by(Membership.active.desc(), func.lower(Person.name), Person.id)
    )
    if role is not None:
        query = query.where(Membership.role == role)
    return list(session.scalars(query))


def count_members(session: Session, course_id: int) -> dict[Role, int]:
    rows = session.execute(
        select(Membership.role, func.count())
        .where(Membership.course_id == course_id, Membership.active.is_(True))
        .group_by(Membership.role)
    )
    return {Role(r): n for r, n in rows}
