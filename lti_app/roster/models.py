"""Courses (LTI contexts), people (LTI identities) and who is in which course with what role."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_app.colleges.models import Programme
from lti_app.db import Base, UTCDateTime, utcnow
from lti_app.lti.models import Platform


class Role(enum.StrEnum):
    """What a person is in a course, mapped once from LTI roles at launch."""

    STUDENT = "student"
    COACH = "coach"
    COORDINATOR = "coordinator"

    @property
    def rank(self) -> int:
        """How much a role may do: the roster may raise a person above their launch, not below."""
        return _RANKS[self]


_RANKS = {Role.STUDENT: 0, Role.COACH: 1, Role.COORDINATOR: 2}


class RoleSource(enum.StrEnum):
    """Where a member's current role came from."""

    LAUNCH = "launch"  # the person's own launch
    ROSTER = "roster"  # the LMS's roster (NRPS)
    COACH = "coach"  # a coach's correction in Driehoek (roster/corrections.py)


def _enum(cls: type[enum.StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Course(Base):
    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("platform_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(500), default="")
    label: Mapped[str] = mapped_column(String(200), default="")
    nrps_url: Mapped[str | None] = mapped_column(String(1000))
    ags_lineitems_url: Mapped[str | None] = mapped_column(String(1000))
    # Chosen by a coach or coordinator at the course's first launch, or named by the LMS link.
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programme.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    platform: Mapped[Platform] = relationship()
    programme: Mapped[Programme | None] = relationship()
    memberships: Mapped[list[Membership]] = relationship(back_populates="course")


class Person(UserMixin, Base):
    """Someone who launched from an LMS, or appears in its roster. Identity is issuer + sub."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("issuer", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(300), default="")
    given_name: Mapped[str] = mapped_column(String(200), default="")
    family_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    locale: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="person")

    def get_id(self) -> str:
        return f"person:{self.id}"

    @property
    def display_name(self) -> str:
        return (
            self.name or " ".join(p for p in (self.given_name, self.family_name) if p) or self.sub
        )


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("course_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    lti_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    source: Mapped[str] = mapped_column(String(20), default="launch")  # launch, nrps
    # The role the person's own latest launch gave. The LMS's roster may disagree (Moodle lists a
    # non-editing teacher as Learner while her launch says Instructor): a sync never sets
    # ``role`` below this, so a role does not flip with each sync and launch.
    launch_role: Mapped[Role | None] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    # Who said ``role`` last: her own launch, the roster, or a coach (whose correction the roster
    # does not undo; her own next launch does).
    role_source: Mapped[RoleSource] = mapped_column(
        _enum(RoleSource), default=RoleSource.LAUNCH, server_default=RoleSource.LAUNCH.value
    )
    last_launch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship(back_populates="memberships")
    person: Mapped[Person] = relationship(back_populates="memberships")


class RoleChange(Base):
    """A coach's correction of a member's role: who changed whose role, from what to what, when."""

    __tablename__ = "role_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("membership.id", ondelete="CASCADE"), index=True
    )
    from_role: Mapped[Role] = mapped_column(_enum(Role))
    to_role: Mapped[Role] = mapped_column(_enum(Role))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    membership: Mapped[Membership] = relationship()
    changed_by: Mapped[Person | None] = relationship()
