"""What the hours log shows: a student's placements and entries, entries by week, and the
approved and pending hours per kind against the plan (one query for many placements)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_app.hours.models import HourEntry, HourKind, HourState
from lti_app.placements.models import Placement


def week_start(day: date) -> date:
    """The Monday of the day's week: a mentor approves a school week at a time."""
    return day - timedelta(days=day.weekday())


def student_placements(session: Session, person_id: int, course_id: int | None) -> list[Placement]:
    """The student's own placements in the course they opened Driehoek from."""
    if course_id is None:
        return []
    return list(
        session.scalars(
            select(Placement)
            .where(Placement.student_id == person_id, Placement.course_id == course_id)
            .order_by(Placement.id)
        )
    )


def get_student_placement(
    session: Session, person_id: int, course_id: int | None, placement_id: int
) -> Placement | None:
    """The placement if it is this student's, in this course; else None."""
    placement = session.get(Placement, placement_id)
    if placement is None or placement.student_id != person_id or placement.course_id != course_id:
        return None
    return placement


def get_student_entry(
    session: Session, person_id: int, course_id: int | None, entry_id: int
) -> tuple[HourEntry, Placement] | None:
    entry = session.get(HourEntry, entry_id)
    if entry is None:
        return None
    placement = get_student_placement(session, person_id, course_id, entry.placement_id)
    return (entry, placement) if placement is not None else None


def placement_entries(session: Session, placement_id: int) -> list[HourEntry]:
    return list(
        session.scalars(
            select(HourEntry)
            .where(HourEntry.placement_id == placement_id)
            .order_by(HourEntry.day.desc(), HourEntry.id.desc())
        )
    )


@dataclass
class Week:
    monday: date
    entries: list[HourEntry] = field(default_factory=list)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def pending(self) -> list[HourEntry]:
        return [e for e in self.entries if e.state == HourState.PENDING]

    @property
    def minutes(self) -> int:
        return sum(e.minutes for e in self.entries if e.state != HourState.REJECTED)


def group_by_week(entries: Iterable[HourEntry]) -> list[Week]:
    """Entries by week, newest week first (entries keep their order within a week)."""
    weeks: dict[date, Week] = {}
    for entry in entries:
        monday = week_start(entry.day)
        weeks.setdefault(monday, Week(monday)).entries.append(entry)
    return sorted(weeks.values(), key=lambda w: w.monday, reverse=True)


@dataclass
class KindTotal:
    kind: HourKind | None  # None: all kinds together
    approved_minutes: int = 0
    pending_minutes: int = 0
    approved_count: int = 0
    pending_count: int = 0
    planned_minutes: int | None = (
        None  # observation, co-teaching and the total are planned in hours
    )
    planned_lessons: int | None = None  # own lessons are planned as a number of lessons


@dataclass
class Totals:
    by_kind: dict[HourKind, KindTotal]
    overall: KindTotal

    @property
    def rows(self) -> list[KindTotal]:
        return [self.by_kind[k] for k in HourKind]


def _empty_totals(placement: Placement) -> Totals:
    by_kind = {kind: KindTotal(kind) for kind in HourKind}
    by_kind[HourKind.OBSERVATION].planned_minutes = (placement.planned_observation_hours or 0) * 60
    by_kind[HourKind.CO_TEACHING].planned_minutes = (placement.planned_co_teaching_hours or 0) * 60
    by_kind[HourKind.OWN_LESSON].planned_lessons = placement.planned_own_lessons or 0
    overall = KindTotal(None, planned_minutes=(placement.planned_hours or 0) * 60)
    return Totals(by_kind, overall)


def hour_totals(session: Session, placements: Sequence[Placement]) -> dict[int, Totals]:
    """Approved and pending hours per kind against the plan, for many placements in one query."""
    result = {p.id: _empty_totals(p) for p in placements}
    if not result:
        return result
    rows = session.execute(
        select(
            HourEntry.placement_id,
            HourEntry.kind,
            HourEntry.state,
            func.sum(HourEntry.minutes),
            func.count(HourEntry.id),
        )
        .where(
            HourEntry.placement_id.in_(sorted(result)),
            HourEntry.state.in_([HourState.APPROVED, HourState.PENDING]),
        )
        .group_by(HourEntry.placement_id, HourEntry.kind, HourEntry.state)
    )
    for placement_id, kind, state, minutes, count in rows:
        totals = result[placement_id]
        for target in (totals.by_kind[HourKind(kind)], totals.overall):
            if state == HourState.APPROVED:
                target.approved_minutes += int(minutes or 0)
                target.approved_count += int(count)
            else:
                target.pending_minutes += int(minutes or 0)
                target.pending_count += int(count)
    return result


def totals(session: Session, placement: Placement) -> Totals:
    return hour_totals(session, [placement])[placement.id]
