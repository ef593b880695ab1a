"""What a mentor may see, and how each mentor's access to a placement stands (for the coach).

A mentor sees only the approved placements they are a mentor of, in any course. The coach sees,
per mentor, each invitation's state: sent, opened, active (signed in), expired, revoked, or
bounced when the mail server refused the address; and on how many devices the mentor is signed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from lti_app.db import utcnow
from lti_app.guests.models import InvitationState, MentorInvitation
from lti_app.guests.sessions import live_counts
from lti_app.notifications.models import BouncedAddress, MailState, OutgoingMail
from lti_app.placements.models import Placement, PlacementMentor, PlacementState
from lti_app.schools.models import Mentor

# -- what the coach sees ------------------------------------------------------------------------


def invitation_state(
    invitation: MentorInvitation,
    mail_state: MailState | None,
    address_bounced: bool,
    now: datetime,
) -> InvitationState:
    """Where an invitation stands: expiry and bounces happen without us, so they are derived."""
    if invitation.revoked_at is not None:
        return InvitationState.REVOKED
    if invitation.used_at is not None:
        return InvitationState.ACTIVE
    if mail_state == MailState.BOUNCED or (address_bounced and mail_state != MailState.SENT):
        return InvitationState.BOUNCED
    if invitation.expires_at <= now:
        return InvitationState.EXPIRED
    if invitation.opened_at is not None:
        return InvitationState.OPENED
    return InvitationState.SENT


@dataclass(frozen=True)
class InvitationStatus:
    invitation: MentorInvitation
    state: InvitationState
    mail_state: MailState | None

    @property
    def can_revoke(self) -> bool:
        return self.state in (InvitationState.SENT, InvitationState.OPENED, InvitationState.BOUNCED)


@dataclass(frozen=True)
class MentorAccess:
    """One mentor of a placement: their invitations to it (newest first) and their sign-ins."""

    mentor: Mentor
    invitations: list[InvitationStatus]
    last_signed_in_at: datetime | None
    address_bounced: bool
    devices: int = 0  # on how many devices the mentor is signed in now

    @property
    def latest(self) -> InvitationStatus | None:
        return self.invitations[0] if self.invitations else None


def _bounced_addresses(session: Session, addresses: Iterable[str]) -> set[str]:
    wanted = sorted({a.lower() for a in addresses})
    if not wanted:
        return set()
    return set(
        session.scalars(select(BouncedAddress.address).where(BouncedAddress.address.in_(wanted)))
    )


def _mail_states(session: Session, mail_ids: Iterable[int | None]) -> dict[int, MailState]:
    ids = sorted({i for i in mail_ids if i is not None})
    if not ids:
        return {}
    rows = session.execute(
        select(OutgoingMail.id, OutgoingMail.state).where(OutgoingMail.id.in_(ids))
    )
    return {mail_id: state for mail_id, state in rows}


def mentor_access(
    session: Session, placement_id: int, *, now: datetime | None = None
) -> list[MentorAccess]:
    """Every mentor of a placement with the state of each invitation and when they last got in."""
    now = now or utcnow()
    mentors = list(
        session.scalars(
            select(Mentor)
            .join(PlacementMentor, PlacementMentor.mentor_id == Mentor.id)
            .where(PlacementMentor.placement_id == placement_id)
            .order_by(PlacementMentor.id)
        )
    )
    if not mentors:
        return []
    mentor_ids = [m.id for m in mentors]
    invitations = list(
        session.scalars(
            select(MentorInvitation)
            .where(
                MentorInvitation.placement_id == placement_id,
                MentorInvitation.mentor_id.in_(mentor_ids),
            )
            .order_by(MentorInvitation.created_at.desc(), MentorInvitation.id.desc())
        )
    )
    # A mentor may get in through any link, also a fresh one they asked for themselves.
    signed_in = dict(
        session.execute(
            select(MentorInvitation.mentor_id, func.max(MentorInvitation.used_at))
            .where(MentorInvitation.mentor_id.in_(mentor_ids))
            .group_by(MentorInvitation.mentor_id)
        ).all()
    )
    mail_states = _mail_states(session, (i.mail_id for i in invitations))
    bounced = _bounced_addresses(session, (m.email for m in mentors))
    devices = live_counts(session, mentor_ids, now=now)
    result = []
    for mentor in mentors:
        statuses = [
            InvitationStatus(
                inv,
                invitation_state(
                    inv, mail_states.get(inv.mail_id or 0), mentor.email.lower() in bounced, now
                ),
                mail_states.get(inv.mail_id or 0),
            )
            for inv in invitations
            if inv.mentor_id == mentor.id
        ]
        result.append(
            MentorAccess(
                mentor,
                statuses,
                signed_in.get(mentor.id),
                mentor.email in bounced,
                devices.get(mentor.id, 0),
            )
        )
    return result


def latest_invitation_states(
    session: Session, placement_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, dict[int, InvitationState]]:
    """For many placements at once (a course overview): placement → mentor → latest state.

    A fixed number of queries whatever the number of placements.
    """
    now = now or utcnow()
    ids = sorted(set(placement_ids))
    if not ids:
        return {}
    newest = (
        select(func.max(MentorInvitation.id))
        .where(MentorInvitation.placement_id.in_(ids))
        .group_by(MentorInvitation.placement_id, MentorInvitation.mentor_id)
    )
    invitations = list(
        session.scalars(
            select(MentorInvitation)
            .where(MentorInvitation.id.in_(newest))
            .options(selectinload(MentorInvitation.mentor))
        )
    )
    mail_states = _mail_states(session, (i.mail_id for i in invitations))
    bounced = _bounced_addresses(session, (i.mentor.email for i in invitations))
    result: dict[int, dict[int, InvitationState]] = {}
    for inv in invitations:
        assert inv.placement_id is not None
        result.setdefault(inv.placement_id, {})[inv.mentor_id] = invitation_state(
            inv, mail_states.get(inv.mail_id or 0), inv.mentor.email in bounced, now
        )
    return result


# -- what a mentor sees -------------------------------------------------------------------------


def _visible_to(mentor_id: int) -> Any:
    return select(PlacementMentor.placement_id).where(PlacementMentor.mentor_id == mentor_id)


def mentor_placements(session: Session, mentor_id: int) -> list[Placement]:
    """The approved placements this mentor is a mentor of, in any course: their students."""
    return list(
        session.scalars(
            select(Placement)
            .where(
                Placement.id.in_(_visible_to(mentor_id)),
                Placement.state == PlacementState.APPROVED,
            )
            .options(
                selectinload(Placement.student),
                selectinload(Placement.school),
                selectinload(Placement.course),
            )
            .order_by(Placement.start_date.desc().nulls_last(), Placement.id.desc())
        )
    )


def get_mentor_placement(session: Session, mentor_id: int, placement_id: int) -> Placement | None:
    """The placement when this mentor is a mentor of it (and it is approved), else None."""
    return session.scalars(
        select(Placement).where(
            Placement.id == placement_id,
            Placement.id.in_(_visible_to(mentor_id)),
            Placement.state == PlacementState.APPROVED,
        )
    ).first()
