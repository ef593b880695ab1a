"""Guest sessions: a mentor's sign-in on one device, kept on the server so that it can end.

Spending a link starts one (links.py spends, views.py signs in). The browser keeps
only a random secret — as Flask-Login's user id ``guest:<secret>``, in the session and in the
remember cookie — and the database only its SHA-256. Every request of a guest looks the secret
up: a session that was ended (sign-out; "sign out everywhere" by the mentor or by a coach of one
of their placements) or that is past ``expires_at`` (``MENTOR_SESSION_DAYS`` after sign-in,
whatever the cookie says) signs nobody in, so a copied cookie dies with it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session, joinedload

from lti_app.db import utcnow
from lti_app.guests.models import GuestSession, MentorInvitation
from lti_app.placements.models import ChangeRecord, Placement
from lti_app.schools.models import Mentor

SECRET_BYTES = 32
LOGIN_PREFIX = "guest:"
# How stale "last used" may get: writing it on every request would make each click of a mentor
# approving a week a write, for a date the mentor reads to the minute at best.
SEEN_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class GuestLogin:
    """What Flask-Login is given at sign-in: its id is the session's secret, not the mentor's
    (Flask-Login's "alternative token"), so that ending the session ends every copy of it."""

    secret: str
    is_active: bool = True
    # For the rest of the sign-in request, Flask-Login's current_user is this login.
    is_authenticated: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        return LOGIN_PREFIX + self.secret


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(
    session: Session,
    mentor: Mentor,
    invitation: MentorInvitation | None,
    *,
    days: int,
    user_agent: str = "",
    now: datetime | None = None,
) -> tuple[GuestSession, GuestLogin]:
    """A new session for ``mentor`` on one device, lasting ``days``; the login carries its
    secret, which is never stored."""
    now = now or utcnow()
    secret = secrets.token_urlsafe(SECRET_BYTES)
    browser, system = describe_device(user_agent)
    guest = GuestSession(
        mentor_id=mentor.id,
        invitation_id=invitation.id if invitation else None,
        secret_hash=hash_secret(secret),
        browser=browser,
        system=system,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(guest)
    session.flush()
    return guest, GuestLogin(secret)


def find_live(session: Session, secret: str, *, now: datetime | None = None) -> GuestSession | None:
    """The session with this secret (and its mentor) while it lasts; None once ended or expired."""
    if not secret or len(secret) > 200:
        return None
    return session.scalars(
        select(GuestSession)
        .where(
            GuestSession.secret_hash == hash_secret(secret),
            GuestSession.ended_at.is_(None),
            GuestSession.expires_at > (now or utcnow()),
        )
        .options(joinedload(GuestSession.mentor))
    ).first()


def seen(session: Session, guest: GuestSession, *, now: datetime | None = None) -> bool:
    """Note that the device was used now, unless that was noted less than SEEN_EVERY ago.
    Returns whether anything was written."""
    now = now or utcnow()
    if guest.last_seen_at > now - SEEN_EVERY:
        return False
    guest.last_seen_at = now
    session.flush()
    return True


def _live(mentor_id: int, now: datetime) -> list[ColumnElement[bool]]:
    return [
        GuestSession.mentor_id == mentor_id,
        GuestSession.ended_at.is_(None),
        GuestSession.expires_at > now,
    ]


def live_sessions(
    session: Session, mentor_id: int, *, now: datetime | None = None
) -> list[GuestSession]:
    """The devices a mentor is signed in on, the most recently used first."""
    return list(
        session.scalars(
            select(GuestSession)
            .where(*_live(mentor_id, now or utcnow()))
            .order_by(GuestSession.last_seen_at.desc(), GuestSession.id.desc())
        )
    )


def live_counts(
    session: Session, mentor_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, int]:
    """For the coach: on how many devices each of these mentors is signed in (absent: none)."""
    ids = sorted(set(mentor_ids))
    if not ids:
        return {}
    now = now or utcnow()
    rows = session.execute(
        select(GuestSession.mentor_id, func.count(GuestSession.id))
        .where(
            GuestSession.mentor_id.in_(ids),
            GuestSession.ended_at.is_(None),
            GuestSession.expires_at > now,
        )
        .group_by(GuestSession.mentor_id)
    )
    return {mentor_id: int(count) for mentor_id, count in rows}


def end(session: Session, guest_session_id: int, *, by: str, now: datetime | None = None) -> bool:
    """End one session (a sign-out). Returns whether it was still going."""
    ended = session.execute(
        update(GuestSession)
        .where(GuestSession.id == guest_session_id, GuestSession.ended_at.is_(None))
        .values(ended_at=now or utcnow(), ended_by=by)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(ended, "rowcount", 0) or 0) == 1


def end_all(session: Session, mentor_id: int, *, by: str, now: datetime | None = None) -> int:
    """End every session of a mentor ("sign out everywhere"). Returns how many were going.

    One UPDATE: a device that signs in meanwhile either is ended too or comes after, never half.
    """
    now = now or utcnow()
    ended = session.execute(
        update(GuestSession)
        .where(*_live(mentor_id, now))
        .values(ended_at=now, ended_by=by)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(ended, "rowcount", 0) or 0)


def end_for_placement(
    session: Session, placement: Placement, mentor: Mentor, by: str, *, now: datetime | None = None
) -> int:
    """A coach signs a mentor of ``placement`` out everywhere; the placement's history keeps it.

    The mentor is one person across placements and courses, so every one of their sessions
    ends: the coach's reason (a lost phone, a shared computer) is about the person.
    """
    count = end_all(session, mentor.id, by=by, now=now)
    if count:
        session.add(
            ChangeRecord(
                entity="placement",
                entity_id=placement.id,
                action="mentor_signed_out",
                actor=by,
                changes={"mentor_id": mentor.id, "sessions": count},
                at=now or utcnow(),
            )
        )
        session.flush()
    return count


# -- which device -------------------------------------------------------------------------------

# Order matters: most browsers also call themselves Safari, Chromium-based ones also Chrome.
_BROWSERS = (
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\b(OPR|OPiOS|Opera)\b")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(Chrome|CriOS|Chromium|HeadlessChrome)/")),
    ("Safari", re.compile(r"\bSafari/")),
)
_SYSTEMS = (
    ("iPhone", re.compile(r"\biPhone\b")),
    ("iPad", re.compile(r"\biPad\b")),
    ("Android", re.compile(r"\bAndroid\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("Linux", re.compile(r"\bLinux\b")),
)


def describe_device(user_agent: str) -> tuple[str, str]:
    """(browser, system) from a User-Agent, e.g. ("Chrome", "Android"); "" where unknown."""
    ua = (user_agent or "")[:500]
    browser = next((name for name, pattern in _BROWSERS if pattern.search(ua)), "")
    system = next((name for name, pattern in _SYSTEMS if pattern.search(ua)), "")
    return browser, system
