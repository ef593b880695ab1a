"""Outgoing mail, kept as rendered so a retry sends exactly what was written, bounced addresses,
and notices: what waits for someone, mailed in bundles and in the daily digest."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Index, Integer, String, Text
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


class NoticeKind(enum.StrEnum):
    """What happened that someone should know about (extendable: add a kind, its wording in
    templates/mail/_notices.html and whether it asks something of them in ``ASKS_ACTION``)."""

    AGREEMENT_YOUR_TURN = "agreement_your_turn"  # sent for signing, or the turn passed to you
    AGREEMENT_ACTIVE = "agreement_active"  # everyone signed
    AGREEMENT_CHANGED = "agreement_changed"  # a change voided your signature: sign again
    PLACEMENT_RETURNED = "placement_returned"  # the coach sent the proposal back
    PLACEMENT_APPROVED = "placement_approved"
    HOURS_RETURNED = "hours_returned"  # the mentor returned hours to fix
    FEEDBACK_REQUESTED = "feedback_requested"  # a student asks the mentor for feedback
    FEEDBACK_GIVEN = "feedback_given"  # a mentor or the coach submitted (or corrected) a form
    JOURNAL_HANDED_IN = "journal_handed_in"  # a student handed in her journal: the coach reviews
    JOURNAL_RESUBMIT = "journal_resubmit"  # the coach asked her to hand it in again
    JOURNAL_GRADED = "journal_graded"  # the coach released her grade


# Kinds that wait for something the recipient does: they stay open (and in the daily digest)
# until settled. The others are news: done once mailed.
ASKS_ACTION = frozenset(
    {
        NoticeKind.AGREEMENT_YOUR_TURN,
        NoticeKind.AGREEMENT_CHANGED,
        NoticeKind.PLACEMENT_RETURNED,
        NoticeKind.HOURS_RETURNED,
        NoticeKind.FEEDBACK_REQUESTED,
        NoticeKind.JOURNAL_HANDED_IN,
        NoticeKind.JOURNAL_RESUBMIT,
    }
)


class Notice(Base):
    """Something that waits for one person (an LMS person or a guest), about one placement.

    Mailed in a bundle soon after it happens (``mailed_at``), then in the daily digest until
    the thing is done (``done_at``). ``about`` (e.g. "agreement:12") lets a later event settle
    it; ``names`` keeps the college, course, student and school as they were when it happened.
    """

    __tablename__ = "notice"
    __table_args__ = (
        CheckConstraint("(person_id IS NULL) <> (mentor_id IS NULL)", name="one_recipient"),
        Index("ix_notice_person_open", "person_id", "done_at"),
        Index("ix_notice_mentor_open", "mentor_id", "done_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    college_id: Mapped[int] = mapped_column(ForeignKey("college.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("mentor.id", ondelete="CASCADE"))
    kind: Mapped[NoticeKind] = mapped_column(
        Enum(
            NoticeKind,
            native_enum=False,
            length=40,
            values_callable=lambda kinds: [k.value for k in kinds],
        )
    )
    placement_id: Mapped[int | None] = mapped_column(
        ForeignKey("placement.id", ondelete="CASCADE"), index=True
    )
    student_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    about: Mapped[str] = mapped_column(String(100), index=True)
    link: Mapped[str] = mapped_column(String(500))  # app-relative path the button opens
    # The mail's button is {BASE_URL}/n/<token>: it opens ``link`` for its recipient and a page
    # that says where to go for anyone else. Not a credential: it signs nobody in.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    names: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mail_id: Mapped[int | None] = mapped_column(Integer)  # the OutgoingMail that first told it
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def recipient(self) -> str:
        """The recipient's key, as Flask-Login knows them: person:<id> or mentor:<id>."""
        if self.person_id is not None:
            return f"person:{self.person_id}"
        return f"mentor:{self.mentor_id}"

    def __repr__(self) -> str:
        return f"<Notice {self.id} {self.kind} {self.about} for {self.recipient}>"
