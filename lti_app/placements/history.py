"""What happened to a placement (or another entity that writes ChangeRecords: an invitation,
an hour entry, an agreement), newest first, with the actors' names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.placements.models import ChangeRecord
from lti_app.roster.models import Person
from lti_app.schools.models import Mentor


@dataclass
class HistoryEntry:
    at: datetime
    action: str
    actor: str
    fields: list[str]
    reason: str = ""


def history(session: Session, entity_id: int, entity: str = "placement") -> list[HistoryEntry]:
    """What happened to a placement (or another ``entity``), newest first, with the actors'
    names (people from the LMS and mentors alike)."""
    records = list(
        session.scalars(
            select(ChangeRecord)
            .where(ChangeRecord.entity == entity, ChangeRecord.entity_id == entity_id)
            .order_by(ChangeRecord.at.desc(), ChangeRecord.id.desc())
        )
    )
    wanted: dict[str, set[int]] = {"person": set(), "mentor": set()}
    for r in records:
        kind, _, raw = r.actor.partition(":")
        if kind in wanted and raw.isdigit():
            wanted[kind].add(int(raw))
    names: dict[str, str] = {}
    if wanted["person"]:
        for person in session.scalars(select(Person).where(Person.id.in_(wanted["person"]))):
            names[person.get_id()] = person.display_name
    if wanted["mentor"]:
        for mentor in session.scalars(select(Mentor).where(Mentor.id.in_(wanted["mentor"]))):
            names[mentor.get_id()] = mentor.display_name
    entries = []
    for r in records:
        change = (
            r.changes.get("return_reason") if r.action == "returned" else r.changes.get("reason")
        )
        if isinstance(change, dict):
            reason = str(change.get("after") or "")
        else:
            reason = str(change or "") if isinstance(change, str) else ""
        entries.append(
            HistoryEntry(r.at, r.action, names.get(r.actor, r.actor), sorted(r.changes), reason)
        )
    return entries


# -- the coach's pipeline -----------------------------------------------------------------------
