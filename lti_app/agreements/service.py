"""The agreement's life: made from a template, filled in, sent for signing, signed in order by
student, school and college, active and immutable; then addenda, an early end, or completion.

Functions take a session and leave committing to the caller. Every step writes a ChangeRecord
(entity "agreement"). Signing and editing a document first take its row (``lock``, in
revising.py with the texts; agreements follow placement and school changes in follow.py), so two
parties who sign at the same moment, or a signature and an edit, are applied one after the
other and each sees what the other did.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from lti_app.agreements import reminders
from lti_app.agreements.models import (
    Agreement,
    AgreementDocument,
    AgreementState,
    AgreementTemplate,
    DocumentKind,
    DocumentState,
    Signature,
)
from lti_app.agreements.revising import (
    addendum_text_of,
    agreement_text_of,
    lock,
    main_document,
    record_change,
    set_text,
)
from lti_app.agreements.text import FIELD_LABELS, FIELD_LIMIT, sha256
from lti_app.db import utcnow
from lti_app.placements.models import Placement, PlacementState

OPEN_STATES = (AgreementState.DRAFT, AgreementState.AWAITING_SIGNATURES)
LIVE_STATES = (*OPEN_STATES, AgreementState.ACTIVE)


class AgreementError(Exception):
    """A step the agreement's life does not allow now; ``message`` says why to the person."""

    def __init__(self, message: Any):
        super().__init__(str(message))
        self.message = message


class ChangedMeanwhile(AgreementError):
    """The form was filled in on an older revision: saving it would undo someone's change."""


# -- reading ----------------------------------------------------------------------------------


def get_agreement(session: Session, agreement_id: int) -> Agreement | None:
    return session.scalars(
        select(Agreement)
        .where(Agreement.id == agreement_id)
        .options(
            selectinload(Agreement.documents).selectinload(AgreementDocument.signatures),
            selectinload(Agreement.template),
        )
    ).first()


def get_document(session: Session, document_id: int) -> AgreementDocument | None:
    return session.get(AgreementDocument, document_id)


def agreements_of(session: Session, placement_id: int) -> list[Agreement]:
    """A placement's agreements, newest first (a cancelled one may be followed by a new one)."""
    return list(
        session.scalars(
            select(Agreement)
            .where(Agreement.placement_id == placement_id)
            .options(selectinload(Agreement.documents).selectinload(AgreementDocument.signatures))
            .order_by(Agreement.id.desc())
        )
    )


def _newest_states(session: Session, placements: Any) -> dict[int, tuple[str, int]]:
    """placement id → (newest agreement's state, valid signatures on its own text), one query."""
    newest = (
        select(func.max(Agreement.id))
        .where(Agreement.placement_id.in_(placements))
        .group_by(Agreement.placement_id)
    )
    rows = session.execute(
        select(Agreement.placement_id, Agreement.state, func.count(Signature.id))
        .join(
            AgreementDocument,
            (AgreementDocument.agreement_id == Agreement.id) & (AgreementDocument.number == 0),
        )
        .outerjoin(
            Signature,
            (Signature.document_id == AgreementDocument.id) & Signature.voided_at.is_(None),
        )
        .where(Agreement.id.in_(newest))
        .group_by(Agreement.placement_id, Agreement.id, Agreement.state)
    )
    return {pid: (state.value, int(count)) for pid, state, count in rows}


def latest_states(session: Session, placement_ids: list[int]) -> dict[int, dict[str, Any]]:
    """For a mentor's students: each placement's newest agreement state and signatures."""
    if not placement_ids:
        return {}
    return {
        pid: {"state": state, "signed": signed}
        for pid, (state, signed) in _newest_states(session, placement_ids).items()
    }


# -- making and filling in --------------------------------------------------------------------


def create_agreement(
    session: Session, placement: Placement, template: AgreementTemplate, actor: str
) -> Agreement:
    """A draft agreement for an approved placement, from ``template``.

    :raise AgreementError: the placement is not approved, or already has a live agreement.
    """
    if placement.state != PlacementState.APPROVED:
        raise AgreementError(_l("Approve the placement first; then make its agreement."))
    live = session.scalar(
        select(Agreement.id).where(
            Agreement.placement_id == placement.id, Agreement.state.in_(LIVE_STATES)
        )
    )
    if live is not None:
        raise AgreementError(_l("This placement already has an agreement."))
    agreement = Agreement(
        placement_id=placement.id,
        template=template,
        state=AgreementState.DRAFT,
        signing_order=template.signing_order,
        fields={},
        created_by=actor,
    )
    session.add(agreement)
    session.flush()
    text = agreement_text_of(session, agreement)
    session.add(
        AgreementDocument(
            agreement=agreement,
            number=0,
            kind=DocumentKind.AGREEMENT,
            state=DocumentState.DRAFT,
            text=text,
            text_sha256=sha256(text),
            created_by=actor,
        )
    )
    session.flush()
    record_change(
        session,
        agreement,
        "created",
        actor,
        template=f"{template.programme.name} v{template.version}",
    )
    return agreement


def clean_fields(values: Mapping[str, str]) -> dict[str, str]:
    return {key: (values.get(key) or "").strip()[:FIELD_LIMIT] for key in FIELD_LABELS}


def update_fields(
    session: Session,
    agreement: Agreement,
    values: Mapping[str, str],
    actor: str,
    actor_name: str,
    *,
    seen_revision: int | None = None,
) -> list[Signature]:
    """The student or coach changes what is filled in for this placement. Returns the signatures
    this voided.

    :raise ChangedMeanwhile: the text is no longer the revision the form was opened on.
    :raise AgreementError: the agreement is no longer a draft.
    """
    if agreement.state not in OPEN_STATES:
        raise AgreementError(_l("This agreement is signed; a change now needs an addendum."))
    document = main_document(agreement)
    lock(session, document)
    if agreement.state not in OPEN_STATES:
        raise AgreementError(_l("This agreement is signed; a change now needs an addendum."))
    if seen_revision is not None and seen_revision != document.revision:
        raise ChangedMeanwhile(
            _l(
                "Someone else changed the agreement while you were filling it in. Check the "
                "current text, then save what you typed again."
            )
        )
    fields = clean_fields(values)
    changed = sorted(k for k in fields if fields[k] != (agreement.fields or {}).get(k, ""))
    agreement.fields = fields
    session.flush()
    if changed:
        record_change(session, agreement, "fields_changed", actor, fields=changed)
    return set_text(session, document, agreement_text_of(session, agreement), actor, actor_name)


def send_for_signing(session: Session, agreement: Agreement, actor: str) -> None:
    """:raise AgreementError: not a draft."""
    document = main_document(agreement)
    lock(session, document)
    if agreement.state != AgreementState.DRAFT:
        raise AgreementError(_l("This agreement was already sent for signing."))
    agreement.state = AgreementState.AWAITING_SIGNATURES
    document.state = DocumentState.SIGNING
    session.flush()
    record_change(session, agreement, "sent_for_signing", actor)
    reminders.follow_turns(session, document, actor)


# -- after signing ----------------------------------------------------------------------------


def add_addendum(
    session: Session, agreement: Agreement, title: str, body: str, actor: str
) -> AgreementDocument:
    """A change to an active agreement, out for signing at once.

    :raise AgreementError: not active, or another addendum is still being signed.
    """
    lock(session, main_document(agreement))
    if agreement.state != AgreementState.ACTIVE:
        raise AgreementError(_l("Only an active agreement gets addenda."))
    if any(d.state == DocumentState.SIGNING for d in agreement.documents):
        raise AgreementError(_l("An addendum is still being signed; finish or change that one."))
    document = AgreementDocument(
        agreement=agreement,
        number=max(d.number for d in agreement.documents) + 1,
        kind=DocumentKind.ADDENDUM,
        state=DocumentState.SIGNING,
        title=title.strip(),
        body=body.strip(),
        text="",
        text_sha256="",
        created_by=actor,
    )
    session.add(document)
    session.flush()
    document.text = addendum_text_of(session, document)
    document.text_sha256 = sha256(document.text)
    session.flush()
    record_change(session, agreement, "addendum_added", actor, document=document.number)
    reminders.follow_turns(session, document, actor)
    return document


def update_addendum(
    session: Session,
    document: AgreementDocument,
    title: str,
    body: str,
    actor: str,
    actor_name: str,
) -> list[Signature]:
    """:raise AgreementError: the addendum is signed or withdrawn."""
    lock(session, document)
    if document.kind != DocumentKind.ADDENDUM or document.state != DocumentState.SIGNING:
        raise AgreementError(_l("This addendum can no longer be changed."))
    document.title, document.body = title.strip(), body.strip()
    return set_text(session, document, addendum_text_of(session, document), actor, actor_name)


def cancel(session: Session, agreement: Agreement, reason: str, actor: str) -> None:
    """Cancel an agreement before it is active (a new one can then be made).

    :raise AgreementError: it is active or over already, or no reason was given.
    """
    lock(session, main_document(agreement))
    if agreement.state not in OPEN_STATES:
        raise AgreementError(_l("Only an agreement that is not yet active can be cancelled."))
    _end(session, agreement, AgreementState.CANCELLED, reason, actor)


def end_early(session: Session, agreement: Agreement, reason: str, actor: str) -> None:
    """:raise AgreementError: the agreement is not active, or no reason was given."""
    lock(session, main_document(agreement))
    if agreement.state != AgreementState.ACTIVE:
        raise AgreementError(_l("Only an active agreement can end early."))
    _end(session, agreement, AgreementState.ENDED_EARLY, reason, actor)


def complete(session: Session, agreement: Agreement, actor: str) -> None:
    """The placement is over as agreed. :raise AgreementError: the agreement is not active."""
    lock(session, main_document(agreement))
    if agreement.state != AgreementState.ACTIVE:
        raise AgreementError(_l("Only an active agreement can be completed."))
    _end(session, agreement, AgreementState.COMPLETED, "", actor)


def _end(
    session: Session, agreement: Agreement, state: AgreementState, reason: str, actor: str
) -> None:
    if state != AgreementState.COMPLETED and not reason.strip():
        raise AgreementError(_l("Say why, for the student, the school and the college."))
    agreement.state = state
    agreement.end_reason = reason.strip()
    agreement.ended_at = utcnow()
    for document in agreement.documents:
        if document.state in (DocumentState.DRAFT, DocumentState.SIGNING):
            document.state = DocumentState.WITHDRAWN
    session.flush()
    record_change(session, agreement, state.value, actor, reason=agreement.end_reason)
    reminders.withdrawn(session, agreement)


def history(session: Session, agreement_id: int) -> list[Any]:
    from lti_app.placements.history import history as change_history

    return change_history(session, agreement_id, entity="agreement")
