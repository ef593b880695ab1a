"""The coach's pipeline: one row per student of the course with their placements, mentors,
invitations, hours and agreements, read at the top of the house from every capability's tables.

A fixed number of statements whatever the course's size (see ``pipeline``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from sqlalchemy.orm import Session

from lti_app import clock
from lti_app.db import utcnow
from lti_app.feedback.growth import quiet
from lti_app.guests.models import InvitationState
from lti_app.notifications.models import MailState
from lti_app.pipeline.needs import AgreementFacts, Need, agreement_facts, needs_you
from lti_app.pipeline.queries import queries
from lti_app.placements.models import PlacementState, Track


def folded(value: str) -> str:
    """Lower case without accents, for searching names (Anaïs finds anais)."""
    if value.isascii():  # most names: nothing to decompose (and casefold is lower)
        return value.lower()
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join([c for c in decomposed if not unicodedata.combining(c)])


# Which of a student's placements most needs attention: the first of these states.
_ATTENTION = {PlacementState.PROPOSED: 0, PlacementState.RETURNED: 1, PlacementState.APPROVED: 2}


@dataclass(slots=True)
class PipelineMentor:
    name: str
    email: str
    invitation: str  # an InvitationState value ("active": signed in), or "not_invited"
    subject: str = ""  # what this mentor teaches on this placement


@dataclass(slots=True)
class PipelinePlacement:
    id: int
    state: PlacementState
    track: Track
    school_id: int
    school_name: str
    school_city: str
    start_date: date | None
    end_date: date | None
    planned_hours: int
    approved_minutes: int = 0
    pending_minutes: int = 0
    mentors: list[PipelineMentor] = field(default_factory=list)
    agreement: AgreementFacts | None = None  # the newest agreement
    feedback_forms: int = 0  # current submitted feedback forms
    feedback_last: datetime | None = None  # when the last of them came
    feedback_quiet: bool = False  # running, and no feedback for FEEDBACK_QUIET_WEEKS
    journal_submitted: int = 0  # reflection entries submitted
    journal_drafts: int = 0  # and being written
    journal_last: datetime | None = None  # when the last was submitted

    @property
    def agreement_state(self) -> str:
        """The newest agreement's AgreementState value, or "none"."""
        return self.agreement.state if self.agreement else "none"

    @property
    def agreement_signed(self) -> int:
        """Valid signatures on the newest agreement's own text (of 3)."""
        return self.agreement.signed if self.agreement else 0

    @property
    def logged_minutes(self) -> int:
        return self.approved_minutes + self.pending_minutes


@dataclass(slots=True)
class PipelineRow:
    person_id: int
    name: str
    email: str
    active: bool  # an active student membership; students who left stay, greyed
    placements: list[PipelinePlacement] = field(default_factory=list)

    @property
    def state(self) -> str:
        """The student's state at a glance: the placement that most needs attention."""
        focus = self.focus
        return focus.state.value if focus else "none"

    @property
    def focus(self) -> PipelinePlacement | None:
        """The placement that most needs attention (where the student's name leads)."""
        placements = self.placements
        if len(placements) < 2:
            return placements[0] if placements else None
        return min(placements, key=lambda p: _ATTENTION[p.state])


@dataclass
class PipelineFilter:
    state: str = ""  # none, proposed, returned, approved
    track: str = ""
    school_id: int | None = None
    search: str = ""
    agreement: str = ""  # an AgreementState value, or "none": placements without an agreement

    @property
    def active(self) -> bool:
        return bool(
            self.state or self.track or self.school_id or self.agreement or self.search.strip()
        )

    def matches(self, row: PipelineRow) -> bool:
        if self.state == "none" and row.placements:
            return False
        if self.state not in ("", "none") and all(p.state != self.state for p in row.placements):
            return False
        if self.track and not any(p.track == self.track for p in row.placements):
            return False
        if self.school_id and not any(p.school_id == self.school_id for p in row.placements):
            return False
        if self.agreement and not any(
            p.agreement_state == self.agreement and p.state == PlacementState.APPROVED
            for p in row.placements
        ):
            return False
        if not self.words:
            return True
        haystack = folded(f"{row.name} {row.email}")
        return all(w in haystack for w in self.words)

    @cached_property
    def words(self) -> list[str]:
        return folded(self.search).split()


@dataclass
class Pipeline:
    rows: list[PipelineRow]  # students with a placement, after the filter
    unplaced: list[PipelineRow]  # students without one, after the filter (folded into one line)
    needs: dict[str, list[Need]]  # what needs the coach by kind (whatever the filter), see needs
    total: int  # students before the filter
    counts: dict[str, int]  # students per state, before the filter
    schools: list[tuple[int, str]]  # schools of this course's placements, for the filter


def _display_name(name: str | None, given: str | None, family: str | None, sub: str) -> str:
    """Person.display_name, from its columns."""
    return name or " ".join(p for p in (given, family) if p) or sub


def _pipeline_invitation(
    state: InvitationState,
    expires_at: datetime,
    mail_state: MailState | None,
    address_bounced: bool,
    now: datetime,
) -> str:
    """As mentor_access.invitation_state decides, from the columns the pipeline's query reads."""
    waiting = state in (InvitationState.SENT, InvitationState.OPENED)
    if waiting and (
        mail_state == MailState.BOUNCED or (address_bounced and mail_state != MailState.SENT)
    ):
        return InvitationState.BOUNCED.value
    return _effective_invitation(state, expires_at, now)


def _mentor_state(
    invitation: tuple[InvitationState, datetime, MailState | None, bool] | None,
    *,
    signed_in: bool,
    now: datetime,
) -> str:
    """What is true of a mentor's access to a placement. Having got in (through any link, also
    a general one they asked for), being signed in now, or having decided on this placement's
    hours is "signed in", whatever became of the placement's own invitation; otherwise the
    latest invitation (the placement's, else a general one) says where it stands."""
    if signed_in:
        return InvitationState.ACTIVE.value
    if invitation is None:
        return "not_invited"
    return _pipeline_invitation(*invitation, now)


def _effective_invitation(state: InvitationState, expires_at: datetime, now: datetime) -> str:
    if state in (InvitationState.SENT, InvitationState.OPENED) and expires_at <= now:
        return InvitationState.EXPIRED.value
    return state.value


def pipeline(
    session: Session,
    course_id: int,
    wanted: PipelineFilter,
    *,
    stale_days: int = 7,
    quiet_weeks: int = 3,
) -> Pipeline:
    """One row per student of the course (including those who left, and anyone holding a
    placement here), with their placements, mentors, invitations and hours.

    A fixed number of statements whatever the course's size: students; placements (with school,
    student, hour totals, feedback and journal facts); mentors (with their invitation and whether they
    signed in); agreement states — each one query for the whole course (built once: queries.py). ``stale_days``: an agreement nobody signed for longer needs the coach.
    """
    q, now = queries(), utcnow()
    params = {"course_id": course_id, "now": now}
    memberships = session.execute(q.memberships, params)
    # Read as tuples: a Row's attribute access, 300 rows times a dozen columns, adds up.
    rows: dict[int, PipelineRow] = {
        person_id: PipelineRow(
            person_id, _display_name(name, given, family, sub), email or "", active
        )
        for active, person_id, name, given, family, sub, email in memberships
    }
    placements = session.execute(q.placements, params)
    by_id: dict[int, PipelinePlacement] = {}
    for (
        placement_id,
        state,
        track,
        school_id,
        school_name,
        school_city,
        start_date,
        end_date,
        planned_hours,
        student_id,
        name,
        given,
        family,
        sub,
        email,
        approved,
        pending,
        forms,
        last,
        journal_submitted,
        journal_drafts,
        journal_last,
    ) in placements:
        item = by_id[placement_id] = PipelinePlacement(
            placement_id,
            state,
            track,
            school_id,
            school_name,
            school_city,
            start_date,
            end_date,
            planned_hours,
            int(approved or 0),
            int(pending or 0),
            # A placement without submitted forms has no row to join: no count, no moment.
            feedback_forms=int(forms or 0),
            feedback_last=last,
            journal_submitted=int(journal_submitted or 0),
            journal_drafts=int(journal_drafts or 0),
            journal_last=journal_last,
        )
        row = rows.get(student_id)
        if row is None:  # holds a placement here but is not (or no longer) a student member
            row = rows[student_id] = PipelineRow(
                student_id, _display_name(name, given, family, sub), email or "", False
            )
        row.placements.append(item)

    # Each mentor with whether they are signed in and the invitation that speaks for them.
    for (
        placement_id,
        name,
        email,
        subject,
        signed_in,
        state,
        expires_at,
        mail_state,
        address_bounced,
    ) in session.execute(q.mentors, params):
        invitation = None if state is None else (state, expires_at, mail_state, address_bounced)
        by_id[placement_id].mentors.append(
            PipelineMentor(
                name or email,
                email,
                _mentor_state(invitation, signed_in=bool(signed_in), now=now),
                subject,
            )
        )

    for placement_id, facts in agreement_facts(session.execute(q.agreements, params)).items():
        by_id[placement_id].agreement = facts
    today = clock.today()
    for item in by_id.values():
        if item.state == PlacementState.APPROVED:
            last = item.feedback_last
            last_day = clock.in_brussels(last).date() if last is not None else None
            item.feedback_quiet = quiet(
                last_day, item.start_date, item.end_date, today=today, weeks=quiet_weeks
            )

    everyone = sorted(rows.values(), key=lambda r: (not r.active, folded(r.name), r.person_id))
    counts: dict[str, int] = {"none": 0, **{s.value: 0 for s in PlacementState}}
    for row in everyone:
        counts[row.state] += 1
    schools = sorted(
        {(p.school_id, p.school_name) for p in by_id.values()}, key=lambda s: folded(s[1])
    )
    shown = [r for r in everyone if wanted.matches(r)]
    return Pipeline(
        rows=[r for r in shown if r.placements],
        unplaced=[r for r in shown if not r.placements],
        needs=needs_you(everyone, now, stale_days),
        total=len(everyone),
        counts=counts,
        schools=schools,
    )
