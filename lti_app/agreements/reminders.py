"""Mail about signatures: one daily digest per person of everything waiting for their
signature, and a word to everyone whose signature an edit voided.

A digest is a job per recipient per day ("agreements.digest", dedupe key with the day), due
at ``AGREEMENT_DIGEST_HOUR`` in Brussels. However many agreements fall due for someone that day,
they get one mail; while something still waits, the job plans the next day's digest.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app import clock
from lti_app.agreements.models import AgreementDocument, DocumentKind, Signature
from lti_app.agreements.parties import waiting_for
from lti_app.clock import BRUSSELS
from lti_app.jobs.models import Job, JobState
from lti_app.jobs.service import ProgressCallback, enqueue, job_handler
from lti_app.notifications.service import InvalidAddress, send_mail
from lti_app.roster.models import Person
from lti_app.schools.models import Mentor

DIGEST_JOB = "agreements.digest"
DIGEST_LINK_DAYS = 2  # a digest's sign-in link: the next digest brings a fresh one


def next_digest_at(now: datetime, hour: int) -> datetime:
    """The first digest moment (``hour`` o'clock in Brussels) after ``now``."""
    local = now.astimezone(BRUSSELS)
    slot = datetime.combine(local.date(), time(hour), tzinfo=BRUSSELS)
    if slot <= local:
        slot = datetime.combine(local.date() + timedelta(days=1), time(hour), tzinfo=BRUSSELS)
    return slot.astimezone(now.tzinfo)


def schedule_digest(session: Session, key: str, after: datetime | None = None) -> None:
    """Make sure ``key`` (person:<id> / mentor:<id>) gets the next digest after ``after``
    (default now); one a day at most."""
    slot = next_digest_at(after or clock.now(), int(current_app.config["AGREEMENT_DIGEST_HOUR"]))
    enqueue(
        session,
        DIGEST_JOB,
        {"recipient": key, "slot": slot.isoformat()},
        dedupe_key=f"agreement-digest:{key}:{slot.date().isoformat()}",
        run_after=slot,
        max_attempts=5,
    )


def _recipient(session: Session, key: str) -> Person | Mentor | None:
    kind, _, raw = key.partition(":")
    if not raw.isdigit():
        return None
    if kind == "person":
        return session.get(Person, int(raw))
    return session.get(Mentor, int(raw)) if kind == "mentor" else None


def _item(document: AgreementDocument) -> dict[str, Any]:
    placement = document.agreement.placement
    return {
        "student": placement.student.display_name,
        "school": placement.school.name,
        "course": placement.course.title,
        "addendum": document.number if document.kind == DocumentKind.ADDENDUM else None,
    }


def _sent_recently(session: Session, key: str, slot: datetime) -> bool:
    """Whether a digest went to ``key`` in the 20 hours before this one's own moment."""
    since = slot - timedelta(hours=20)
    finished = session.scalars(
        select(Job.result).where(
            Job.kind == DIGEST_JOB,
            Job.dedupe_key.like(f"agreement-digest:{key}:%"),
            Job.state == JobState.DONE,
            Job.finished_at >= since,
        )
    )
    return any((result or {}).get("outcome") == "sent" for result in finished)


@job_handler(DIGEST_JOB)
def send_digest(
    session: Session, payload: dict[str, Any], progress: ProgressCallback
) -> dict[str, Any]:
    """The "agreements.digest" job: one mail listing what waits for this person's signature."""
    key = str(payload.get("recipient", ""))
    recipient = _recipient(session, key)
    if recipient is None:
        return {"outcome": "recipient gone"}
    waiting = waiting_for(session, key)
    if not waiting:
        return {"outcome": "nothing waiting"}
    slot = datetime.fromisoformat(str(payload.get("slot") or clock.now().isoformat()))
    if _sent_recently(session, key, slot):
        # A digest that ran late (the worker was down past the digest hour) meets today's.
        return {"outcome": "sent in the last day already", "waiting": len(waiting)}
    items = [_item(d) for d in waiting]
    subject = _l("Waiting for your signature in Driehoek")
    context = {"name": recipient.display_name, "items": items, "count": len(items)}
    try:
        if isinstance(recipient, Mentor):
            from lti_app.guests.invitations import mail_with_sign_in_link

            # Tomorrow's digest brings a new link: this one need not outlive it by much.
            mail_with_sign_in_link(
                session,
                recipient,
                subject,
                "mail/agreement_digest.html",
                context,
                valid_days=DIGEST_LINK_DAYS,
            )
        elif recipient.email:
            courses = sorted({i["course"] for i in items if i["course"]})
            send_mail(
                session,
                recipient.email,
                subject,
                "mail/agreement_digest.html",
                {**context, "courses": courses, "url": None},
                recipient.locale,
            )
        else:
            return {"outcome": "no address", "waiting": len(items)}
    except InvalidAddress:
        return {"outcome": "no valid address", "waiting": len(items)}
    # Tomorrow's, in case it still waits then: the day after this digest's own moment, even
    # when this one ran early or late.
    schedule_digest(session, key, after=max(clock.now(), slot))
    return {"outcome": "sent", "waiting": len(items)}


def tell_voided(
    session: Session,
    document: AgreementDocument,
    voided: list[Signature],
    actor: str,
    actor_name: str,
) -> None:
    """Mail each signer whose signature a change voided (now, not in a digest: it undoes
    something they did), except whoever made the change: they know."""
    item = _item(document)
    for signature in voided:
        if signature.signer == actor:
            continue
        recipient = _recipient(session, signature.signer)
        address = signature.signer_email or (recipient.email if recipient else "")
        if not address:
            continue
        locale = recipient.locale if recipient else None
        try:
            send_mail(
                session,
                address,
                _l("Your signature on the agreement of %(student)s was voided"),
                "mail/agreement_voided.html",
                {
                    **item,
                    "name": signature.signer_name,
                    "actor": actor_name,
                    "signed_at": signature.signed_at,
                },
                locale,
            )
        except InvalidAddress:
            continue
