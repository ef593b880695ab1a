"""What a verified launch tells the roster: who came, into which course, with which role.

Every launch passes here, so a returning member costs one statement (person ⋈ course ⟕
membership, prepared once) and no write unless something changed: attributes are only assigned
when their value differs (an assignment of the same value still makes the ORM work out a flush),
and ``last_launch_at`` is stamped at most every ``LAUNCH_STAMP_INTERVAL``. The membership is read
as plain columns and written with one UPDATE of what changed: the launch only needs its person
and course as objects, and the ORM's unit of work cost a launch more than the statement itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, select, update
from sqlalchemy.orm import Session

from lti_app.db import utcnow
from lti_app.lti.known import KnownPlatform
from lti_app.lti.models import Platform
from lti_app.roster.models import Course, Membership, Person, Role, RoleSource

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"

# A returning member's last launch is stamped at most this often, so that launching again
# (pages reloaded, several tabs) writes nothing. A roster sync keeps active whoever launched
# this long before it began (see service._deactivate), so a launch during a sync still counts.
LAUNCH_STAMP_INTERVAL = timedelta(minutes=5)

_MEMBERSHIP = cast(Table, Membership.__table__)
# What a launch may change in a membership, read with the person and course.
_MEMBER_COLUMNS = (
    "id",
    "role",
    "role_source",
    "launch_role",
    "active",
    "lti_roles",
    "last_launch_at",
)

_RETURNING = (
    select(Person, Course, *(_MEMBERSHIP.c[name] for name in _MEMBER_COLUMNS))
    .select_from(Person)
    .join(
        Course,
        and_(
            Course.platform_id == bindparam("platform_id"),
            Course.context_id == bindparam("context_id"),
        ),
    )
    .outerjoin(
        _MEMBERSHIP,
        and_(_MEMBERSHIP.c.course_id == Course.id, _MEMBERSHIP.c.person_id == Person.id),
    )
    .where(Person.issuer == bindparam("issuer"), Person.sub == bindparam("sub"))
)
_MEMBER = select(*(_MEMBERSHIP.c[name] for name in _MEMBER_COLUMNS)).where(
    _MEMBERSHIP.c.course_id == bindparam("course_id"),
    _MEMBERSHIP.c.person_id == bindparam("person_id"),
)


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _update(obj: object, **values: Any) -> None:
    """Assign only what differs; a falsy value keeps what is there (the claims may omit it)."""
    for name, value in values.items():
        if value and getattr(obj, name) != value:
            setattr(obj, name, value)


def record_launch(
    session: Session, platform: Platform | KnownPlatform, claims: Mapping[str, Any], role: Role
) -> tuple[Person, Course | None, int | None]:
    """Create or update the person, course and membership a verified launch describes; the
    person, the course and the membership's id."""
    sub = str(claims["sub"])
    context = claims.get(CLAIM + "context") or {}
    context_id = str(context["id"]) if isinstance(context, Mapping) and context.get("id") else None
    person: Person | None = None
    course: Course | None = None
    member: Mapping[str, Any] | None = None
    member_read = False
    if context_id is not None:
        row = session.execute(
            _RETURNING,
            {
                "platform_id": platform.id,
                "context_id": context_id,
                "issuer": platform.issuer,
                "sub": sub,
            },
        ).first()
        if row is not None:
            person, course = row[0], row[1]
            member = None if row[2] is None else dict(zip(_MEMBER_COLUMNS, row[2:], strict=True))
            member_read = True
    if person is None:
        person = session.scalars(
            select(Person).where(Person.issuer == platform.issuer, Person.sub == sub)
        ).first()
    if person is None:
        person = Person(issuer=platform.issuer, sub=sub)
        session.add(person)
    presentation = claims.get(CLAIM + "launch_presentation") or {}
    _update(
        person,
        name=_text(claims.get("name"), 300),
        given_name=_text(claims.get("given_name"), 200),
        family_name=_text(claims.get("family_name"), 200),
        email=_text(claims.get("email"), 320),
        locale=_text(presentation.get("locale") if isinstance(presentation, Mapping) else "", 20),
    )
    if context_id is None or not isinstance(context, Mapping):
        session.flush()
        return person, None, None

    if course is None:
        course = session.scalars(
            select(Course).where(Course.platform_id == platform.id, Course.context_id == context_id)
        ).first()
    if course is None:
        course = Course(platform_id=platform.id, context_id=context_id[:500])
        session.add(course)
    nrps = claims.get(NRPS) or {}
    ags = claims.get(AGS) or {}
    _update(
        course,
        title=_text(context.get("title"), 500),
        label=_text(context.get("label"), 200),
        nrps_url=_text(nrps.get("context_memberships_url"), 1000)
        if isinstance(nrps, Mapping)
        else "",
        ags_lineitems_url=_text(ags.get("lineitems"), 1000) if isinstance(ags, Mapping) else "",
    )
    if session.new or session.dirty:
        session.flush()  # a new person or course needs its id; a changed name is written
    if not member_read:
        found = session.execute(_MEMBER, {"course_id": course.id, "person_id": person.id}).first()
        member = None if found is None else dict(zip(_MEMBER_COLUMNS, found, strict=True))

    # Her own launch is the LMS telling us about her directly: it may lower a role too, and it
    # replaces a coach's correction (roster/corrections.py).
    lti_roles = [r for r in claims.get(CLAIM + "roles", []) if isinstance(r, str)]
    now = utcnow()
    if member is None:
        membership = Membership(
            course=course,
            person=person,
            role=role,
            role_source=RoleSource.LAUNCH,
            launch_role=role,
            active=True,
            lti_roles=lti_roles,
            last_launch_at=now,
        )
        session.add(membership)
        session.flush()
        return person, course, membership.id
    wanted: dict[str, Any] = {
        "role": role,
        "role_source": RoleSource.LAUNCH,
        "launch_role": role,
        "active": True,
        "lti_roles": lti_roles,
    }
    changed = {name: value for name, value in wanted.items() if member[name] != value}
    stamped = member["last_launch_at"]
    if stamped is None or not timedelta(0) <= now - stamped < LAUNCH_STAMP_INTERVAL:
        changed["last_launch_at"] = now
    if changed:
        session.execute(
            update(_MEMBERSHIP).where(_MEMBERSHIP.c.id == member["id"]).values(**changed)
        )
    return person, course, int(member["id"])
