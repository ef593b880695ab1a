"""An agreement's texts as they change: every step of one agreement first takes its row
(``lock``), a document's canonical text is made from the placement's and school's current details
(``agreement_text``, ``addendum_text``), and a changed unsigned text voids the signatures of the
old one and tells their signers what changed (``set_text``, through reminders.py). Each step
writes a ChangeRecord (``record_change``, entity "agreement").
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from lti_app.agreements import reminders
from lti_app.agreements.models import Agreement, AgreementDocument, Signature
from lti_app.agreements.text import addendum_text, agreement_text, sha256
from lti_app.agreements.text_changes import text_changes
from lti_app.db import utcnow
from lti_app.placements.models import ChangeRecord, Placement
from lti_app.placements.service import get_placement


def main_document(agreement: Agreement) -> AgreementDocument:
    return agreement.documents[0]


def record_change(
    session: Session, agreement: Agreement, action: str, actor: str, **changes: Any
) -> None:
    session.add(
        ChangeRecord(
            entity="agreement",
            entity_id=agreement.id,
            action=action,
            actor=actor,
            changes=changes,
        )
    )


def placement_of(session: Session, agreement: Agreement) -> Placement:
    placement = get_placement(session, agreement.placement_id)
    assert placement is not None
    return placement


def agreement_text_of(session: Session, agreement: Agreement) -> str:
    return agreement_text(
        number=agreement.id,
        placement=placement_of(session, agreement),
        template=agreement.template,
        fields=agreement.fields or {},
        signing_order=agreement.signing_order,
    )


def addendum_text_of(session: Session, document: AgreementDocument) -> str:
    agreement = document.agreement
    main = main_document(agreement)
    return addendum_text(
        number=document.number,
        agreement_number=agreement.id,
        agreement_sha256=main.text_sha256,
        placement=placement_of(session, agreement),
        template=agreement.template,
        title=document.title,
        body=document.body,
        signing_order=agreement.signing_order,
    )


def lock(session: Session, document: AgreementDocument) -> None:
    """Take the agreement's row lock before reading: every signature, edit and step of one
    agreement (its addenda included) first writes its main document's row, so concurrent ones
    are applied one after the other and each sees what the other did (a row lock on
    PostgreSQL, the write lock on SQLite)."""
    session.execute(
        update(AgreementDocument)
        .where(
            AgreementDocument.agreement_id == document.agreement_id,
            AgreementDocument.number == 0,
        )
        .values(lock_version=AgreementDocument.lock_version + 1),
        execution_options={"synchronize_session": False},
    )
    session.refresh(document)
    session.refresh(document.agreement)
    session.expire(document.agreement, ["documents"])
    session.expire(document, ["signatures"])


def set_text(
    session: Session, document: AgreementDocument, text: str, actor: str, actor_name: str
) -> list[Signature]:
    """Put a new canonical text on an unsigned document. When it differs, the revision goes up
    and every signature of the old text is voided (and its signer told what changed). Returns
    those."""
    if text == document.text:
        return []
    changes = text_changes(document.text, text)
    now = utcnow()
    document.text = text
    document.text_sha256 = sha256(text)
    document.revision += 1
    voided = [s for s in document.signatures if s.voided_at is None]
    for signature in voided:
        signature.voided_at = now
        signature.void_reason = actor_name  # who changed the text
    session.flush()
    if voided:
        record_change(
            session,
            document.agreement,
            "signatures_voided",
            actor,
            document=document.number,
            parties=[s.party.value for s in voided],
        )
        reminders.tell_voided(session, document, voided, actor, actor_name, changes)
        reminders.follow_turns(session, document, actor)
    return voided
