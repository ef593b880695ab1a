"""Roster domain logic: who is in which course. ``record_launch`` (in ``roster.launches``)
writes what a launch showed, ``sync_roster`` what the LMS's roster (NRPS) lists.

Reading (``get_*``) is kept apart from asking the LMS (``fetch_*``, in ``roster.nrps``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Row, Table, func, insert, or_, select, update
from sqlalchemy.orm import Session, contains_eager

from lti_app.db import utcnow
from lti_app.lti.models import Platform
from lti_app.lti.services import LtiServices
from lti_app.roster.launches import LAUNCH_STAMP_INTERVAL, record_launch
from lti_app.roster.models import Course, Membership, Person, Role, RoleSource
from lti_app.roster.nrps import NrpsMember, fetch_members

__all__ = ["record_launch"]  # its home is roster.launches; callers found it here


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


# -- the roster from the LMS (NRPS) ---------------------------------------------------------------

BATCH = 500  # members per round of bulk statements; well inside every database's parameter limit
Progress = Callable[[int, int | None], None]
T = TypeVar("T")


@dataclass
class RosterSync:
    """What one sync did. Listed members fall in exactly one of added, updated, reactivated,
    deactivated (listed as Inactive/Deleted) or unchanged; ``deactivated`` also counts active
    memberships the LMS no longer lists."""

    pages: int = 0
    seen: int = 0  # distinct members listed with a role Driehoek knows
    added: int = 0
    updated: int = 0
    reactivated: int = 0
    deactivated: int = 0
    skipped: int = 0  # listed without a usable user id or role (e.g. observers)


def sync_roster(
    session: Session, course: Course, client: LtiServices, progress: Progress | None = None
) -> RosterSync:
    """Bring the course's people and memberships in line with the LMS's roster.

    Every page is fetched before anything is written, so a failed fetch changes nothing and no
    write lock is held while the LMS is slow (SQLite has one writer; launches write too).
    ``progress(done, total)`` is called after each page with the members read so far and
    ``total=None``, and once more with ``total`` known when everything is stored.

    Nothing is ever deleted: people the LMS no longer lists keep their rows and everything
    attached to them; their membership becomes inactive. A membership whose person launched
    since the sync began stays active (the roster may predate their enrolment). A roster with
    nobody Driehoek can use deactivates nobody: that is a platform hiccup, not an empty course.
    The caller commits.

    :raise LtiServiceError: a token or a page could not be had; nothing was written.
    """
    started = utcnow()
    summary = RosterSync()
    listed: dict[str, NrpsMember] = {}
    read = 0
    for page in fetch_members(client, course):
        summary.pages += 1
        summary.skipped += page.skipped
        read += len(page.members) + page.skipped
        for member in page.members:
            listed[member.user_id] = member  # listed twice: the later page wins
        if progress is not None:
            progress(read, None)

    session.flush()  # the caller's pending changes first: the bulk statements bypass the ORM
    issuer = session.scalars(select(Platform.issuer).where(Platform.id == course.platform_id)).one()
    # The course's memberships in one query (one short statement, not one per batch).
    known = {
        row.person_id: row
        for row in session.execute(
            select(Membership.id, Membership.person_id, Membership.role, Membership.lti_roles)
            .add_columns(Membership.active, Membership.launch_role, Membership.role_source)
            .where(Membership.course_id == course.id)
        )
    }
    present: set[int] = set()
    for chunk in _batches(list(listed.values()), BATCH):
        person_ids, changed = _store_people(session, issuer, chunk)
        _store_memberships(session, course.id, chunk, person_ids, changed, known, present, summary)
    if listed:
        stale = [r.id for r in known.values() if r.active and r.person_id not in present]
        summary.deactivated += _deactivate(session, stale, started)
    summary.seen = len(listed)
    _expire_roster_objects(session, course)
    if progress is not None:
        progress(read, read)
    return summary


def _store_people(
    session: Session, issuer: str, chunk: Sequence[NrpsMember]
) -> tuple[dict[str, int], set[str]]:
    """Person ids by user id (new people inserted), and the user ids whose details changed.

    Details the LMS leaves out (many hide e-mail addresses) keep what we knew.
    """
    rows = session.execute(
        select(Person.id, Person.sub, Person.name, Person.given_name, Person.family_name)
        .add_columns(Person.email)
        .where(Person.issuer == issuer, Person.sub.in_([m.user_id for m in chunk]))
    ).all()
    known = {row.sub: row for row in rows}
    ids = {row.sub: row.id for row in rows}
    new: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    changed: set[str] = set()
    for m in chunk:
        row = known.get(m.user_id)
        if row is None:
            if m.active:  # someone we never knew who already left: nothing to keep
                new.append(
                    {
                        "issuer": issuer,
                        "sub": m.user_id,
                        "name": m.name,
                        "given_name": m.given_name,
                        "family_name": m.family_name,
                        "email": m.email or None,
                    }
                )
            continue
        values = {
            "name": m.name or row.name,
            "given_name": m.given_name or row.given_name,
            "family_name": m.family_name or row.family_name,
            "email": m.email or row.email,
        }
        if values != {k: getattr(row, k) for k in values}:
            changes.append({"id": row.id, "updated_at": utcnow(), **values})
            changed.add(m.user_id)
    if new:
        inserted = _insert_ignoring_conflicts(session, Person, new, ("issuer", "sub"), "sub")
        ids.update({str(key): pid for key, pid in inserted})
        missing = [r["sub"] for r in new if r["sub"] not in ids]
        if missing:  # a launch created them meanwhile
            found = session.execute(
                select(Person.sub, Person.id).where(
                    Person.issuer == issuer, Person.sub.in_(missing)
                )
            )
            ids.update({sub: person_id for sub, person_id in found})
    if changes:
        session.execute(update(Person), changes)
    return ids, changed


def _store_memberships(
    session: Session,
    course_id: int,
    chunk: Sequence[NrpsMember],
    person_ids: Mapping[str, int],
    changed_people: set[str],
    known: Mapping[int, Row[Any]],
    present: set[int],
    summary: RosterSync,
) -> None:
    listed = {m.user_id: person_ids[m.user_id] for m in chunk if m.user_id in person_ids}
    present.update(listed.values())
    new: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for m in chunk:
        person_id = listed.get(m.user_id)
        if person_id is None:
            continue
        row = known.get(person_id)
        if row is None:
            if m.active:
                new.append(
                    {
                        "course_id": course_id,
                        "person_id": person_id,
                        "role": m.role,
                        "lti_roles": list(m.lti_roles),
                        "active": True,
                        "source": "nrps",
                        "role_source": RoleSource.ROSTER,
                    }
                )
            continue
        role, lti_roles, source = _roster_role(row, m)
        if (row.role, list(row.lti_roles or ()), row.active, row.role_source) == (
            role,
            lti_roles,
            m.active,
            source,
        ):
            summary.updated += m.user_id in changed_people
            continue
        changes.append(
            {
                "id": row.id,
                "role": role,
                "lti_roles": lti_roles,
                "role_source": source,
                "active": m.active,
                "updated_at": utcnow(),
            }
        )
        if row.active and not m.active:
            summary.deactivated += 1
        elif m.active and not row.active:
            summary.reactivated += 1
        else:
            summary.updated += 1
    if new:
        inserted = _insert_ignoring_conflicts(
            session, Membership, new, ("course_id", "person_id"), "person_id"
        )
        summary.added += len(inserted)
    if changes:
        session.execute(update(Membership), changes)


def _roster_role(row: Row[Any], listed: NrpsMember) -> tuple[Role, list[str], RoleSource]:
    """The role (the LTI roles behind it, and who said it) a listed member gets: the roster's,
    except that it never goes below what the person's own latest launch said, and never undoes
    a coach's correction. The roster may still promote."""
    current, kept_roles = Role(row.role), list(row.lti_roles or ())
    if row.role_source == RoleSource.COACH:
        return current, kept_roles, RoleSource.COACH
    launched = Role(row.launch_role) if row.launch_role is not None else None
    if launched is not None and launched.rank > listed.role.rank:
        # The launch's roles explain the role kept.
        return launched, kept_roles, RoleSource.LAUNCH
    source = RoleSource(row.role_source) if listed.role == current else RoleSource.ROSTER
    return listed.role, list(listed.lti_roles), source


def _deactivate(session: Session, membership_ids: Sequence[int], started: datetime) -> int:
    """Mark memberships the LMS no longer lists inactive, unless their person launched since
    the sync began (checked in the statement: a launch may land while we write). A launch is
    stamped at most every LAUNCH_STAMP_INTERVAL, so one stamped that long before counts too."""
    launched_since = started - LAUNCH_STAMP_INTERVAL
    count = 0
    for chunk in _batches(membership_ids, BATCH):
        result = session.execute(
            update(Membership)
            .where(
                Membership.id.in_(chunk),
                Membership.active.is_(True),
                or_(
                    Membership.last_launch_at.is_(None), Membership.last_launch_at < launched_since
                ),
            )
            .values(active=False, updated_at=utcnow()),
            execution_options={"synchronize_session": False},
        )
        count += cast(CursorResult[Any], result).rowcount
    return count


def _insert_ignoring_conflicts(
    session: Session,
    model: type[Person] | type[Membership],
    rows: list[dict[str, Any]],
    unique: tuple[str, ...],
    key: str,
) -> list[tuple[Any, int]]:
    """Insert ``rows`` in bulk; a row a concurrent launch or sync inserted first is left alone.

    Returns ``(key, id)`` of the rows this call inserted. A Core insert on the table, not the
    ORM's bulk insert: that one splits the batch wherever a value is None (a hidden e-mail
    address), which cost a statement per few rows.
    """
    table = cast(Table, model.__table__)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement: Any = pg_insert(table).on_conflict_do_nothing(index_elements=list(unique))
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(table).on_conflict_do_nothing(index_elements=list(unique))
    else:  # pragma: no cover - the supported databases are above
        statement = insert(table)
    result = session.execute(statement.returning(table.c[key], table.c.id), rows)
    return [(k, i) for k, i in result]


def _expire_roster_objects(session: Session, course: Course) -> None:
    """Loaded people and memberships may be stale after bulk statements: reload on next use."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Person | Membership):
            session.expire(obj)
    if "memberships" in course.__dict__:
        session.expire(course, ["memberships"])


def _batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
