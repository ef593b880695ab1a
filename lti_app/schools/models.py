"""Schools (workplaces) of a college's directory, and the mentors who teach there: a mentor is
one person of one college across its placements and courses, known by e-mail, with no LMS
account (as a guest they sign in through lti_app/guests).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lti_app.db import Base, UTCDateTime, utcnow


class School(Base):
    """A workplace, reused across courses and years."""

    __tablename__ = "school"
    # The Flemish instellingsnummer: unique in a college's directory when given (NULLs do not
    # collide); two colleges keep directories of their own.
    __table_args__ = (UniqueConstraint("college_id", "institution_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    college_id: Mapped[int] = mapped_column(ForeignKey("college.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    institution_number: Mapped[str | None] = mapped_column(String(20))
    street: Mapped[str] = mapped_column(String(300), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Mentor(Base):
    """A school mentor: an external guest of one college, across its placements and courses."""

    __tablename__ = "mentor"
    # A guest of one college: a teacher who mentors for two colleges has two guest identities,
    # so nothing one college writes about them is shown to the other.
    __table_args__ = (UniqueConstraint("college_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    college_id: Mapped[int] = mapped_column(ForeignKey("college.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))  # stored lower-cased
    name: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    # No subject here: what a mentor teaches is said per placement (PlacementMentor.subject),
    # so two students naming the same mentor each keep their own.
    locale: Mapped[str] = mapped_column(String(10), default="nl")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def get_id(self) -> str:
        """Flask-Login identity: kept apart from LMS people by its prefix."""
        return f"mentor:{self.id}"

    @property
    def display_name(self) -> str:
        return self.name or self.email

    is_authenticated = True
    is_active = True
    is_anonymous = False
