"""Who reads a placement's reflection journal (a view helper: it reads the signed-in person and
their course from the session).

- the placement's student (an approved placement, launched from its course): she writes, submits
  and revises her own entries;
- a coach or coordinator of the placement's course, in their session: reads submitted entries
  (never a draft: a draft is the student's until she submits it).
Anyone else, a mentor included, gets None, and every journal view answers 404: nothing says the
journal exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import abort, session
from flask_login import current_user

from lti_app import db
from lti_app.journals.models import EntryState, JournalEntry
from lti_app.placements.models import Placement, PlacementState
from lti_app.roster.models import Person, Role
from lti_app.security import Permission, current_permissions, current_principal


@dataclass(frozen=True)
class Reader:
    kind: str  # "student" or "coach" (a coordinator reads as a coach)
    person_id: int

    @property
    def student(self) -> bool:
        return self.kind == "student"

    def may_read(self, entry: JournalEntry) -> bool:
        """Her own entries to the student; submitted ones (and versions) to the coach."""
        if self.student:
            return entry.student_id == self.person_id
        return entry.state == EntryState.SUBMITTED or _ever_submitted(entry)


def _ever_submitted(entry: JournalEntry) -> bool:
    """A revised entry (a draft again) still shows its submitted versions to the coach."""
    from sqlalchemy import select

    from lti_app.journals.models import JournalEntryVersion

    return (
        db.session().scalar(
            select(JournalEntryVersion.id).where(JournalEntryVersion.entry_id == entry.id).limit(1)
        )
        is not None
    )


def journal_reader(placement: Placement) -> Reader | None:
    user = current_user._get_current_object()
    if not isinstance(user, Person) or session.get("course_id") != placement.course_id:
        return None
    role = session.get("role")
    if role == Role.STUDENT:
        if placement.student_id != user.id or placement.state != PlacementState.APPROVED:
            return None
        return Reader("student", user.id)
    if role in (Role.COACH, Role.COORDINATOR):
        return Reader("coach", user.id)
    return None


def placement_and_reader(placement_id: int) -> tuple[Placement, Reader]:
    """:raise 404: no such placement, or the signed-in person has no part in its journal."""
    placement = db.session().get(Placement, placement_id)
    reader = journal_reader(placement) if placement is not None else None
    if placement is None or reader is None:
        abort(404)
    return placement, reader


def entry_and_reader(entry_id: int) -> tuple[JournalEntry, Placement, Reader]:
    """:raise 404: no such entry, or not one the signed-in person may read."""
    entry = db.session().get(JournalEntry, entry_id)
    placement, reader = placement_and_reader(entry.placement_id if entry else 0)
    if entry is None or not reader.may_read(entry):
        abort(404)
    return entry, placement, reader


def writer_of(reader: Reader, entry: JournalEntry | None = None) -> int:
    """The student's person id, for what only she does (write, submit, revise).

    :raise 403: a coach (she reads; she does not write in a student's journal).
    """
    if not reader.student or (entry is not None and entry.student_id != reader.person_id):
        abort(403)
    return reader.person_id


F = TypeVar("F", bound=Callable[..., Any])


def student_or_coach(view: F) -> F:
    """Declares a page the student writes on and the course's coach reads: WRITE_JOURNAL or
    REVIEW_JOURNALS (``requires`` takes one permission; this takes either, with its 401/403).
    The view still finds the journal through ``placement_and_reader`` (404 for anyone else)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_principal() is None:
            abort(401)
        if not READ_PERMISSIONS & current_permissions():
            abort(403)
        return view(*args, **kwargs)

    wrapped.permission = Permission.WRITE_JOURNAL  # type: ignore[attr-defined]
    wrapped.permissions = READ_PERMISSIONS  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]


READ_PERMISSIONS = frozenset({Permission.WRITE_JOURNAL, Permission.REVIEW_JOURNALS})
