"""One-time dynamic-registration URLs: only the operator opens registration, for one college.

``flask --app lti_app platform invite --college NAME`` makes a URL ``/lti/register/<token>``
valid ``REGISTRATION_INVITE_HOURS``; the LMS administrator gives it to the LMS, which opens it
with its ``openid_configuration``. The first registration that completes through it spends it;
the token is stored only as its SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lti_app import clock
from lti_app.colleges.models import College
from lti_app.lti.models import Platform, RegistrationInvite


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def make_invite(session: Session, college: College, hours: int) -> str:
    """A new invitation for ``college``; returns the token (shown once, never stored)."""
    token = secrets.token_urlsafe(32)
    session.add(
        RegistrationInvite(
            college_id=college.id,
            token_sha256=_digest(token),
            expires_at=clock.now() + timedelta(hours=hours),
        )
    )
    session.flush()
    return token


def find_invite(session: Session, token: str) -> RegistrationInvite | None:
    """The invitation this token names, if it is still good (unused, not expired)."""
    if not token or len(token) > 100:
        return None
    invite = session.scalars(
        select(RegistrationInvite).where(RegistrationInvite.token_sha256 == _digest(token))
    ).first()
    if invite is None or invite.used_at is not None or invite.expires_at <= clock.now():
        return None
    return invite


def spend_invite(session: Session, invite: RegistrationInvite, platform: Platform) -> bool:
    """Mark the invitation used by ``platform``; False when another request spent it first
    (the caller then rolls back what it stored)."""
    spent = session.execute(
        update(RegistrationInvite)
        .where(RegistrationInvite.id == invite.id, RegistrationInvite.used_at.is_(None))
        .values(used_at=clock.now(), platform_id=platform.id)
        .execution_options(synchronize_session=False)
    )
    return spent.rowcount == 1  # type: ignore[attr-defined]
