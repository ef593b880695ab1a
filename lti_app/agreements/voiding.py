"""Before a change that would void signatures: whose signatures are at stake.

An unsigned text follows its placement's and school's details (``service._refresh``): when a
placement, its school or the agreement's own fields change, the agreement still out for
signing, and an addendum out for signing, get a new text, and whoever signed the old one must
sign again. The forms that make such changes say so before saving, with these names: the
agreement's own forms directly, the placement's and the school's edit pages by asking their
signals (``placement_edit_at_stake``, ``school_edit_at_stake``), which this module answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel.lists import format_list
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lti_app.agreements.models import (
    Agreement,
    AgreementDocument,
    AgreementState,
    DocumentKind,
    DocumentState,
)
from lti_app.agreements.text import PARTY_LABELS
from lti_app.placements.models import Placement
from lti_app.placements.service import placement_edit_at_stake
from lti_app.schools.service import school_edit_at_stake

OPEN_STATES = (AgreementState.DRAFT, AgreementState.AWAITING_SIGNATURES)
SHOWN = 6  # names listed before "and N others"


@dataclass(frozen=True)
class AtStake:
    """Signatures a save would void: who gave them, on how many agreements."""

    signers: tuple[tuple[str, str], ...]  # (name, party), in signing order
    agreements: int

    def __bool__(self) -> bool:
        return bool(self.signers)

    @property
    def count(self) -> int:
        return len(self.signers)

    def names(self) -> str:
        """ "Lotte Janssens (student) and Els Mertens (school)", in the reader's language."""
        shown = [f"{name} ({PARTY_LABELS[party]})" for name, party in self.signers[:SHOWN]]
        rest = len(self.signers) - SHOWN
        if rest > 0:
            from flask_babel import ngettext

            shown.append(ngettext("%(num)d other", "%(num)d others", rest))
        return format_list(shown, locale=get_locale() or "nl")


def _open_documents(agreements: list[Agreement]) -> list[AgreementDocument]:
    """The texts that follow the details: as ``service._refresh`` picks them."""
    found = []
    for agreement in agreements:
        for document in agreement.documents:
            if (document.kind == DocumentKind.AGREEMENT and agreement.state in OPEN_STATES) or (
                document.kind == DocumentKind.ADDENDUM and document.state == DocumentState.SIGNING
            ):
                found.append(document)
    return found


def _at_stake(documents: list[AgreementDocument]) -> AtStake:
    signers = []
    agreements = set()
    for document in documents:
        for signature in sorted(document.signatures, key=lambda s: s.signed_at):
            signer = (signature.signer_name, signature.party.value)
            if signature.voided_at is None:
                agreements.add(document.agreement_id)
                if signer not in signers:  # one person who signed two addenda: named once
                    signers.append(signer)
    return AtStake(tuple(signers), len(agreements))


def _live(session: Session, which: object) -> list[Agreement]:
    return list(
        session.scalars(
            select(Agreement)
            .where(
                which,  # type: ignore[arg-type]
                Agreement.state.in_((*OPEN_STATES, AgreementState.ACTIVE)),
            )
            .options(selectinload(Agreement.documents).selectinload(AgreementDocument.signatures))
            .order_by(Agreement.id)
        )
    )


def for_document(document: AgreementDocument) -> AtStake:
    """Saving a change to this text (the agreement's fields, an addendum) voids these."""
    return _at_stake([document] if document.state == DocumentState.SIGNING else [])


def for_fields(agreement: Agreement) -> AtStake:
    """Saving changed fields voids the signatures of the agreement's own text."""
    if agreement.state not in OPEN_STATES:
        return AtStake((), 0)
    return _at_stake([d for d in agreement.documents if d.kind == DocumentKind.AGREEMENT])


def for_placement(session: Session, placement_id: int) -> AtStake:
    """Saving a change to the placement that shows in its texts voids these."""
    return _at_stake(_open_documents(_live(session, Agreement.placement_id == placement_id)))


def for_school(session: Session, school_id: int) -> AtStake:
    """Saving a change to the school that shows in texts voids these, at every placement there."""
    at_school = select(Placement.id).where(Placement.school_id == school_id)
    return _at_stake(_open_documents(_live(session, Agreement.placement_id.in_(at_school))))


@placement_edit_at_stake.connect
def _placement_at_stake(placement_id: int, *, session: Session, **_: Any) -> AtStake:
    return for_placement(session, placement_id)


@school_edit_at_stake.connect
def _school_at_stake(school_id: int, *, session: Session, **_: Any) -> AtStake:
    return for_school(session, school_id)
