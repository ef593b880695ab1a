"""Following a mentor's sign-in link: looking at it spends nothing (mail scanners and link
previews open links too); only the button's POST spends it, once, before its expiry, unless
revoked. Only the token's SHA-256 is stored.
"""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from lti_app.db import utcnow
from lti_app.guests.models import InvitationState, MentorInvitation
from lti_app.placements.models import ChangeRecord


class LinkProblem(enum.StrEnum):
    """Why a sign-in link no longer works: each gets its own explanation."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def record(
    session: Session, entity_id: int, action: str, actor: str, changes: dict[str, Any]
) -> None:
    session.add(
        ChangeRecord(
            entity="invitation", entity_id=entity_id, action=action, actor=actor, changes=changes
        )
    )


def find(session: Session, token: str) -> MentorInvitation | None:
    if not token or len(token) > 200:
        return None
    return session.scalars(
        select(MentorInvitation)
        .where(MentorInvitation.token_hash == hash_token(token))
        .options(selectinload(MentorInvitation.mentor))
    ).first()


def _problem(invitation: MentorInvitation | None, now: datetime) -> LinkProblem | None:
    if invitation is None:
        return LinkProblem.UNKNOWN
    if invitation.revoked_at is not None:
        return LinkProblem.REVOKED
    if invitation.used_at is not None:
        return LinkProblem.USED
    if invitation.expires_at <= now:
        return LinkProblem.EXPIRED
    return None


def open_link(
    session: Session, token: str, *, now: datetime | None = None
) -> tuple[MentorInvitation | None, LinkProblem | None]:
    """Look at a link without spending it; the first look marks the invitation opened."""
    now = now or utcnow()
    invitation = find(session, token)
    problem = _problem(invitation, now)
    if invitation is not None and problem is None and invitation.opened_at is None:
        invitation.opened_at = now
        if invitation.state == InvitationState.SENT:
            invitation.state = InvitationState.OPENED
        record(session, invitation.id, "opened", "system", {})
        session.flush()
    return invitation, problem


def spend(
    session: Session, token: str, *, now: datetime | None = None
) -> tuple[MentorInvitation | None, LinkProblem | None]:
    """Spend a link to sign its mentor in: once, before it expires, unless revoked.

    One conditional UPDATE decides, so two clicks at once (two tabs, two servers) sign in once.
    """
    now = now or utcnow()
    if not token or len(token) > 200:
        return None, LinkProblem.UNKNOWN
    token_hash = hash_token(token)
    spent = session.execute(
        update(MentorInvitation)
        .where(
            MentorInvitation.token_hash == token_hash,
            MentorInvitation.used_at.is_(None),
            MentorInvitation.revoked_at.is_(None),
            MentorInvitation.expires_at > now,
        )
        .values(
            used_at=now,
            state=InvitationState.ACTIVE,
            opened_at=func.coalesce(MentorInvitation.opened_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    invitation = session.scalars(
        select(MentorInvitation)
        .where(MentorInvitation.token_hash == token_hash)
        .execution_options(populate_existing=True)
    ).first()
    if int(getattr(spent, "rowcount", 0) or 0) != 1:
        return invitation, _problem(invitation, now) or LinkProblem.USED
    assert invitation is not None
    record(session, invitation.id, "used", f"mentor:{invitation.mentor_id}", {})
    session.flush()
    return invitation, None
