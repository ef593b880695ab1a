"""Telling the parties of an agreement what waits for them, as notices
(lti_app/notifications/notices.py): mailed in a bundle a few minutes after it happens, then in
the daily notice digest until it is done.

- Sent for signing, or the turn passing on (``follow_turns``): whoever must sign now is told it
  is their turn, once: not again while a notice of theirs about that text is open. A notice
  for someone it no longer waits for is settled.
- A signature (``signed``): the notices of the signer's party about that text are settled (one
  mentor signs for the school: the others need not any more), and the next party is told.
- Everyone signed (``became_active``): the student, the school's signers and the college's are
  told the agreement is active; its page holds the signed PDF.
- A change that voided signatures (``tell_voided``): each of those signers is told what changed
  (before → after) and asked to sign again; that notice stands for their turn as well.
- Cancelled or ended (``withdrawn``): nothing waits any more.

Nobody is told what they did themselves. One digest a day: the agreement's own daily digest of
signatures to give ("agreements.digest") is folded into the notices' ("notifications.digest",
AGREEMENT_DIGEST_HOUR): "your turn to sign" is a notice like the others and stays in that one
digest until the signature is given, so nobody gets two digests a day.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.agreements.models import (
    Agreement,
    AgreementDocument,
    DocumentKind,
    DocumentState,
    Party,
    Signature,
)
from lti_app.agreements.parties import due_parties, reminder_keys
from lti_app.jobs.service import ProgressCallback, job_handler
from lti_app.notifications.models import Notice
from lti_app.notifications.notices import NoticeKind, settle, tell

YOUR_TURN = NoticeKind.AGREEMENT_YOUR_TURN
CHANGED = NoticeKind.AGREEMENT_CHANGED


def about_of(document: AgreementDocument) -> str:
    """What the notices about this text name: "agreement:12", "agreement:12:addendum:1"."""
    if document.number == 0:
        return f"agreement:{document.agreement_id}"
    return f"agreement:{document.agreement_id}:addendum:{document.number}"


def _link(document: AgreementDocument) -> str:
    # The agreement's page: where the student, the coach and a school's signer read and sign.
    return f"/agreements/{document.agreement_id}"


def _details(document: AgreementDocument, **more: Any) -> dict[str, Any]:
    details = {k: v for k, v in more.items() if v}
    if document.kind == DocumentKind.ADDENDUM:
        details["addendum"] = document.number
    return details


def _open(session: Session, about: str) -> dict[str, set[NoticeKind]]:
    """Recipient key → the kinds of their open notices about ``about``."""
    found: dict[str, set[NoticeKind]] = {}
    for notice in session.scalars(
        select(Notice).where(Notice.about == about, Notice.done_at.is_(None))
    ):
        found.setdefault(notice.recipient, set()).add(notice.kind)
    return found


def _keys(session: Session, agreement: Agreement, parties: Iterable[Party]) -> list[str]:
    keys: list[str] = []
    for party in sorted(parties, key=list(Party).index):
        for key in reminder_keys(session, agreement.placement, agreement, party):
            if key not in keys:
                keys.append(key)
    return keys


def follow_turns(session: Session, document: AgreementDocument, actor: str) -> None:
    """After a step of ``document``: tell whoever must sign it now, settle whom it no longer
    waits for."""
    agreement = document.agreement
    about = about_of(document)
    due = _keys(session, agreement, due_parties(document, agreement.signing_order))
    told = _open(session, about)
    for key, kinds in told.items():
        if YOUR_TURN in kinds and key not in due:
            settle(session, about=about, recipient=key, kind=YOUR_TURN)
    for key in due:
        if key not in told:
            tell(
                session,
                recipient=key,
                kind=YOUR_TURN,
                placement=agreement.placement,
                about=about,
                link=_link(document),
                details=_details(document),
                actor=actor,
            )


def signed(session: Session, document: AgreementDocument, signer: str, party: Party) -> None:
    """``signer`` signed ``document`` for ``party``: what it asked of that party is done."""
    about = about_of(document)
    settle(session, about=about, recipient=signer)
    for key in _keys(session, document.agreement, [party]):
        settle(session, about=about, recipient=key)
    follow_turns(session, document, signer)


def became_active(session: Session, document: AgreementDocument, actor: str) -> None:
    """Everyone signed: nothing waits; for the agreement itself, every party hears it is active."""
    about = about_of(document)
    settle(session, about=about)
    if document.kind != DocumentKind.AGREEMENT:
        return
    agreement = document.agreement
    for key in _keys(session, agreement, list(Party)):
        tell(
            session,
            recipient=key,
            kind=NoticeKind.AGREEMENT_ACTIVE,
            placement=agreement.placement,
            about=about,
            link=_link(document),
            actor=actor,
        )


def withdrawn(session: Session, agreement: Agreement) -> None:
    """Cancelled, ended or completed: no text of it waits for anyone."""
    for document in agreement.documents:
        settle(session, about=about_of(document))


def tell_voided(
    session: Session,
    document: AgreementDocument,
    voided: list[Signature],
    actor: str,
    actor_name: str,
    changes: list[dict[str, Any]],
) -> None:
    """Tell each signer whose signature a change voided what changed, and to sign again;
    not whoever made the change: they know."""
    seen: set[str] = set()
    for signature in voided:
        if signature.signer in seen:
            continue
        seen.add(signature.signer)
        tell(
            session,
            recipient=signature.signer,
            kind=CHANGED,
            placement=document.agreement.placement,
            about=about_of(document),
            link=_link(document),
            details=_details(document, actor=actor_name, changes=changes),
            actor=actor,
        )


LEGACY_DIGEST_JOB = "agreements.digest"


@job_handler(LEGACY_DIGEST_JOB)
def _legacy_digest(
    session: Session, payload: dict[str, Any], progress: ProgressCallback
) -> dict[str, Any]:
    """A daily agreement digest queued before the digests were folded into the notices: what
    still waits for its recipient becomes "your turn" notices (mailed in a bundle, then in the
    one notice digest), so an upgrade neither strands the job nor forgets a waiting signature."""
    key = str(payload.get("recipient", ""))
    waiting = 0
    for document in session.scalars(
        select(AgreementDocument).where(AgreementDocument.state == DocumentState.SIGNING)
    ):
        agreement = document.agreement
        if key in _keys(session, agreement, due_parties(document, agreement.signing_order)):
            follow_turns(session, document, "system")
            waiting += 1
    return {"outcome": "folded into notices", "waiting": waiting}
