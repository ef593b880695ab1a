"""Colleges (tenants) and their programmes.

One installation serves one or more colleges. A college owns its platform registrations, its
programmes, its schools directory, its mentors and its templates; a course belongs to one
programme. Every row a college owns is reached through its college.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_app.db import Base, UTCDateTime, utcnow


class College(Base):
    """A university college (hogeschool): its name is on every mail, page, agreement and PDF."""

    __tablename__ = "college"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)  # PNG or JPEG, for the PDF
    logo_mime: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programmes: Mapped[list[Programme]] = relationship(
        back_populates="college", order_by="Programme.name"
    )


class Programme(Base):
    """A programme of a college (e.g. the verkorte educatieve bachelor): its courses use its
    agreement template."""

    __tablename__ = "programme"
    __table_args__ = (UniqueConstraint("college_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    college_id: Mapped[int] = mapped_column(ForeignKey("college.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    college: Mapped[College] = relationship(back_populates="programmes")
