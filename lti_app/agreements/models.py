"""Agreement templates, agreements, the documents signed (the agreement and its addenda) and
signatures.

A template row is never changed: editing a programme's template adds a version. A document's
text is the canonical text that is signed; a signature stores the SHA-256 of the text it signed,
so a signature whose hash no longer matches the document's text is void by construction (and is
marked void when that happens). Signed documents keep their text and their PDF for good.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import Enum

from lti_app.colleges.models import Programme
from lti_app.db import Base, UTCDateTime, utcnow
from lti_app.placements.models import Placement


def _values(enum_class: type[enum.Enum]) -> list[str]:
    return [str(m.value) for m in enum_class]


class Party(enum.StrEnum):
    STUDENT = "student"
    SCHOOL = "school"
    COLLEGE = "college"


class AgreementState(enum.StrEnum):
    """draft → awaiting_signatures → active → completed; or ended_early, or cancelled."""

    DRAFT = "draft"
    AWAITING_SIGNATURES = "awaiting_signatures"
    ACTIVE = "active"
    COMPLETED = "completed"
    ENDED_EARLY = "ended_early"
    CANCELLED = "cancelled"


class DocumentKind(enum.StrEnum):
    AGREEMENT = "agreement"
    ADDENDUM = "addendum"


class DocumentState(enum.StrEnum):
    DRAFT = "draft"  # being written, nobody asked to sign yet
    SIGNING = "signing"  # out for signatures (still editable: an edit voids what was signed)
    SIGNED = "signed"  # signed by all three: immutable
    WITHDRAWN = "withdrawn"  # cancelled before every party signed


class AgreementTemplate(Base):
    """One version of a programme's agreement template (rows are never updated)."""

    __tablename__ = "agreement_template"
    __table_args__ = (UniqueConstraint("programme_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(10), default="nl")
    college_name: Mapped[str] = mapped_column(String(300), default="")
    # [{"key": "school", "title": "…", "clauses": ["…", …]}, …] in DEFAULT_SECTIONS order
    sections: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    # Steps of parties, each step signs in any order: [["student"], ["school"], ["college"]]
    signing_order: Mapped[list[list[str]]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(60), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme: Mapped[Programme] = relationship()


LIVE_STATES_SQL = "state IN ('draft', 'awaiting_signatures', 'active')"


class Agreement(Base):
    __tablename__ = "agreement"
    __table_args__ = (
        # One live agreement per placement: a double click on "make the agreement" makes one.
        Index(
            "uq_agreement_live_placement",
            "placement_id",
            unique=True,
            sqlite_where=text(LIVE_STATES_SQL),
            postgresql_where=text(LIVE_STATES_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("agreement_template.id"))
    state: Mapped[AgreementState] = mapped_column(
        Enum(AgreementState, native_enum=False, length=30, values_callable=_values),
        default=AgreementState.DRAFT,
    )
    signing_order: Mapped[list[list[str]]] = mapped_column(JSON)
    # What the student and the coach fill in for this placement (schedule, goals, arrangements).
    fields: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # The school's contact person (a guest) whom the coach asked to sign for the school.
    school_contact_id: Mapped[int | None] = mapped_column(ForeignKey("mentor.id"))
    end_reason: Mapped[str] = mapped_column(Text, default="")
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    placement: Mapped[Placement] = relationship()
    template: Mapped[AgreementTemplate] = relationship()
    documents: Mapped[list[AgreementDocument]] = relationship(
        back_populates="agreement", order_by="AgreementDocument.number"
    )


class AgreementDocument(Base):
    """The agreement itself (number 0) or an addendum (1, 2, …): a text the three parties sign."""

    __tablename__ = "agreement_document"
    __table_args__ = (UniqueConstraint("agreement_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[DocumentKind] = mapped_column(
        Enum(DocumentKind, native_enum=False, length=20, values_callable=_values)
    )
    state: Mapped[DocumentState] = mapped_column(
        Enum(DocumentState, native_enum=False, length=20, values_callable=_values),
        default=DocumentState.DRAFT,
    )
    title: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")  # an addendum's own words
    text: Mapped[str] = mapped_column(Text)  # the canonical text, exactly what is signed
    text_sha256: Mapped[str] = mapped_column(String(64), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)  # +1 on every change of text
    # Bumped by every signature and edit: taking it first serialises them (see revising.lock).
    lock_version: Mapped[int] = mapped_column(Integer, default=0)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    agreement: Mapped[Agreement] = relationship(back_populates="documents")
    signatures: Mapped[list[Signature]] = relationship(
        back_populates="document", order_by="Signature.id"
    )


class Signature(Base):
    """Who signed which text, for which party, when. A void signature stays, marked void."""

    __tablename__ = "agreement_signature"
    __table_args__ = (
        # One valid signature per party and document: a double click or two tabs count once.
        Index(
            "uq_agreement_signature_valid",
            "document_id",
            "party",
            unique=True,
            sqlite_where=text("voided_at IS NULL"),
            postgresql_where=text("voided_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("agreement_document.id"), index=True)
    party: Mapped[Party] = mapped_column(
        Enum(Party, native_enum=False, length=20, values_callable=_values)
    )
    signer: Mapped[str] = mapped_column(String(60))  # person:<id> or mentor:<id>
    signer_name: Mapped[str] = mapped_column(String(300))
    signer_email: Mapped[str] = mapped_column(String(320), default="")
    signer_role: Mapped[str] = mapped_column(String(40))  # student, mentor, contact, coach, …
    revision: Mapped[int] = mapped_column(Integer)
    text_sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str] = mapped_column(Text, default="")

    document: Mapped[AgreementDocument] = relationship(back_populates="signatures")
