"""Signing: a party signs the exact text they read, in the agreement's order; the last
signature makes the text final and its PDF. And the reverse: which signed text has a hash.

Signing first takes the document's row (revising.lock), so two parties who sign at the same
moment are applied one after the other, and a second click of the same party counts once.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lti_app.agreements import reminders
from lti_app.agreements.models import (
    AgreementDocument,
    AgreementState,
    DocumentKind,
    DocumentState,
    Party,
    Signature,
)
from lti_app.agreements.parties import Signer, due_parties, signed_parties
from lti_app.agreements.revising import lock, record_change
from lti_app.agreements.service import AgreementError
from lti_app.db import utcnow


class AlreadySigned(AgreementError):
    pass


class TextChanged(AgreementError):
    pass


def sign(
    session: Session, document: AgreementDocument, signer: Signer, seen_sha256: str
) -> Signature:
    """``signer`` signs the text they saw (``seen_sha256``) for their party.

    :raise TextChanged: the text changed since the signer read it; nothing is signed.
    :raise AlreadySigned: the party signed this text already (a second click, another tab).
    :raise AgreementError: not out for signing, or not this party's turn yet.
    """
    lock(session, document)
    agreement = document.agreement
    wanted = (
        AgreementState.AWAITING_SIGNATURES
        if document.kind == DocumentKind.AGREEMENT
        else AgreementState.ACTIVE
    )
    if document.state != DocumentState.SIGNING or agreement.state != wanted:
        raise AgreementError(_l("This text is not open for signing."))
    if signer.party in signed_parties(document):
        raise AlreadySigned(_l("This text was already signed for your party."))
    if seen_sha256 != document.text_sha256:
        raise TextChanged(
            _l("The text changed while you were reading it. Read it again, then sign.")
        )
    if signer.party not in due_parties(document, agreement.signing_order):
        raise AgreementError(_l("It is not your turn to sign yet."))
    now = utcnow()
    signature = Signature(
        document=document,
        party=signer.party,
        signer=signer.key,
        signer_name=signer.name,
        signer_email=signer.email,
        signer_role=signer.role,
        revision=document.revision,
        text_sha256=document.text_sha256,
        signed_at=now,
    )
    session.add(signature)
    session.flush()
    session.expire(document, ["signatures"])
    record_change(
        session,
        agreement,
        "signed",
        signer.key,
        document=document.number,
        party=signer.party.value,
        sha256=document.text_sha256,
    )
    if signed_parties(document) == set(Party):
        _complete_signing(session, document, now)
        reminders.became_active(session, document, signer.key)
    else:
        reminders.signed(session, document, signer.key, signer.party)
    return signature


def _complete_signing(session: Session, document: AgreementDocument, now: datetime) -> None:
    from lti_app.agreements.pdf import render_pdf

    document.state = DocumentState.SIGNED
    document.signed_at = now
    agreement = document.agreement
    if document.kind == DocumentKind.AGREEMENT:
        agreement.state = AgreementState.ACTIVE
        agreement.activated_at = now
    session.flush()
    pdf = render_pdf(document)
    document.pdf = pdf
    document.pdf_sha256 = sha256_bytes(pdf)
    session.flush()
    record_change(session, agreement, "document_signed", "system", document=document.number)


def sha256_bytes(data: bytes) -> str:

    return hashlib.sha256(data).hexdigest()


def signed_with_hash(session: Session, digest: str) -> AgreementDocument | None:
    """The signed document whose text, or whose PDF, has this SHA-256."""
    digest = digest.strip().lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        return None
    return session.scalars(
        select(AgreementDocument)
        .where(
            AgreementDocument.state == DocumentState.SIGNED,
            (AgreementDocument.text_sha256 == digest) | (AgreementDocument.pdf_sha256 == digest),
        )
        .options(selectinload(AgreementDocument.signatures))
    ).first()
