"""Mentors as guests: personal sign-in links (invitations) and the guest sessions they start."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_app.db import Base, UTCDateTime, utcnow
from lti_app.placements.models import Placement, enum_values
from lti_app.schools.models import Mentor


class InvitationState(enum.StrEnum):
    SENT = "sent"
    OPENED = "opened"
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    BOUNCED = "bounced"


class MentorInvitation(Base):
    """A personal sign-in link for a mentor. Only the SHA-256 of its token is stored."""

    __tablename__ = "mentor_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentor.id"), index=True)
    placement_id: Mapped[int | None] = mapped_column(ForeignKey("placement.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[InvitationState] = mapped_column(
        Enum(InvitationState, native_enum=False, length=20, values_callable=enum_values),
        default=InvitationState.SENT,
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mail_id: Mapped[int | None] = mapped_column(Integer)  # the OutgoingMail that carried it
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mentor: Mapped[Mentor] = relationship()
    placement: Mapped[Placement | None] = relationship()


class GuestSession(Base):
    """A mentor signed in on one device, kept on the server so that it can be ended.

    The browser holds a random secret; only its SHA-256 is stored. Ended (sign-out, or "sign
    out everywhere" by the mentor or a coach) or past ``expires_at``, it signs nobody in.
    """

    __tablename__ = "guest_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentor.id"), index=True)
    # The link that signed this device in.
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("mentor_invitation.id"))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Enough to tell one's own devices apart ("Chrome", "Android"); not the whole User-Agent.
    browser: Mapped[str] = mapped_column(String(40), default="")
    system: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(60))  # mentor:<id>, person:<id>, system

    mentor: Mapped[Mentor] = relationship()
