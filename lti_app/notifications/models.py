"""Outgoing mail, kept as rendered so a retry sends exactly what was written, and bounced addresses."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lti_app.db import Base, UTCDateTime, utcnow


class MailState(enum.StrEnum):
    QUEUED = "queued"  # waiting for the worker (also between retries)
    SENT = "sent"  # the mail server accepted it
    BOUNCED = "bounced"  # the mail server refused the recipient for good
    FAILED = "failed"  # gave up: the server stayed unreachable, or refused the message itself


class OutgoingMail(Base):
    """One message to one recipient, rendered in the recipient's language when it was written."""

    __tablename__ = "outgoing_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(998))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(10), default="nl")
    state: Mapped[MailState] = mapped_column(
        Enum(
            MailState,
            native_enum=False,
            length=20,
            values_callable=lambda states: [s.value for s in states],
        ),
        default=MailState.QUEUED,
    )
    # Fixed when written, so every retry carries the same Message-ID and a receiving server
    # that saw the first copy can tell.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OutgoingMail {self.id} {self.state}>"


class BouncedAddress(Base):
    """An address the mail server refused permanently; features consult this before mailing."""

    __tablename__ = "bounced_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)  # lower case
    reason: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
