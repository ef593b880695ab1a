"""Mailing notices: one bundle a few minutes after they happen, then the daily digest.

"notifications.bundle" (planned by ``tell``, one per recipient) mails every notice not mailed
yet in one message and keeps two such mails at least ``NOTICE_BUNDLE_MINUTES`` apart. News
(an agreement active, a proposal approved) is done once mailed; what asks something of the
recipient stays open, and "notifications.digest" (one a day per recipient, at
``AGREEMENT_DIGEST_HOUR`` in Brussels) lists it again until ``settle`` marks it done.

Every item names the college, the course, the student and the school, says what changed, and
links to ``{BASE_URL}/n/<token>`` (views.py), which opens the page for its recipient. A mentor
gets one personal sign-in link per mail besides. Mentors are mailed through the package that
issues those links; that package imports notifications, so notifications does not import it:
the app registers it at start with ``register_guest_mail`` (lti_app/__init__.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app import clock
from lti_app.clock import BRUSSELS
from lti_app.colleges.models import College
from lti_app.jobs.models import Job, JobState
from lti_app.jobs.service import (
    JobError,
    PermanentJobError,
    ProgressCallback,
    enqueue,
    job_handler,
)
from lti_app.notifications.models import ASKS_ACTION, Notice, NoticeKind
from lti_app.notifications.notices import (
    BUNDLE_JOB,
    bundle_window,
    last_mailed,
    open_notices,
    recipient_key,
    unmailed_notices,
)
from lti_app.notifications.service import InvalidAddress, is_bounced, send_mail
from lti_app.roster.models import Person

DIGEST_JOB = "notifications.digest"
BUNDLE_LINK_DAYS = 7  # a mentor's sign-in link in a bundle
DIGEST_LINK_DAYS = 2  # in a digest: the next digest brings a fresh one

SUBJECTS: dict[NoticeKind, Any] = {
    NoticeKind.AGREEMENT_YOUR_TURN: _l("Your turn to sign the agreement of %(student)s"),
    NoticeKind.AGREEMENT_ACTIVE: _l("The agreement of %(student)s is signed by everyone"),
    NoticeKind.AGREEMENT_CHANGED: _l("The agreement of %(student)s changed: please sign again"),
    NoticeKind.PLACEMENT_RETURNED: _l("The placement proposal of %(student)s came back"),
    NoticeKind.PLACEMENT_APPROVED: _l("The placement of %(student)s is approved"),
    NoticeKind.HOURS_RETURNED: _l("Hours of %(student)s came back to be corrected"),
    NoticeKind.FEEDBACK_REQUESTED: _l("%(student)s asks you for feedback on a lesson"),
    NoticeKind.FEEDBACK_GIVEN: _l("New feedback for %(student)s"),
    NoticeKind.JOURNAL_HANDED_IN: _l("%(student)s handed in a reflection journal"),
    NoticeKind.JOURNAL_RESUBMIT: _l("Hand in the reflection journal of %(student)s again"),
    NoticeKind.JOURNAL_GRADED: _l("The reflection journal of %(student)s is graded"),
}
SEVERAL = _l("%(count)d updates about placements in Driehoek")
DIGEST = _l("Still waiting for you in Driehoek")


# -- guests: mailed with a personal sign-in link, by the package that issues those ---------------


@dataclass(frozen=True)
class GuestMail:
    find: Callable[[Session, int], Any]  # the guest (a Mentor) with this id, or None
    # mail_with_sign_in_link(session, guest, subject, template, context, *, valid_days=…):
    # mails the template with ``url`` (the sign-in link) and ``expires_at`` in its context.
    mail: Callable[..., Any]


_guests: list[GuestMail] = []


def register_guest_mail(find: Callable[[Session, int], Any], mail: Callable[..., Any]) -> None:
    """How to find a mentor and mail them with a sign-in link (called once, at app start)."""
    _guests[:] = [GuestMail(find, mail)]


@dataclass(frozen=True)
class Recipient:
    key: str
    name: str
    email: str | None
    locale: str | None
    guest: Any = None  # the Mentor, mailed with a sign-in link


def _payload_key(payload: dict[str, Any]) -> str:
    try:
        return recipient_key(str(payload.get("recipient", "")))
    except ValueError as exc:
        raise PermanentJobError(str(exc)) from None


def find_recipient(session: Session, key: str) -> Recipient | None:
    kind, _, raw = key.partition(":")
    if kind == "person":
        person = session.get(Person, int(raw))
        if person is None:
            return None
        return Recipient(key, person.display_name, person.email, person.locale)
    if not _guests:
        raise JobError("mentors cannot be mailed: register_guest_mail was not called")
    mentor = _guests[0].find(session, int(raw))
    if mentor is None:
        return None
    return Recipient(key, mentor.display_name, mentor.email, mentor.locale, guest=mentor)


# -- what a mail says about each notice --------------------------------------------------------


def notice_url(notice: Notice) -> str:
    return f"{str(current_app.config['BASE_URL']).rstrip('/')}/n/{notice.token}"


def notice_items(session: Session, notices: list[Notice]) -> list[dict[str, Any]]:
    """The template's view of each notice: who and what it is about, what changed, its link."""
    college_ids = {n.college_id for n in notices}
    colleges = {
        c.id: c.name for c in session.scalars(select(College).where(College.id.in_(college_ids)))
    }
    return [
        {
            "kind": notice.kind.value,
            "college": colleges.get(notice.college_id, ""),
            "course": notice.names.get("course", ""),
            "student": notice.names.get("student", ""),
            "school": notice.names.get("school", ""),
            "details": notice.details or {},
            "url": notice_url(notice),
        }
        for notice in notices
    ]


def _write(
    session: Session,
    recipient: Recipient,
    subject: Any,
    template: str,
    context: dict[str, Any],
    link_days: int,
) -> int | str | None:
    """Mail ``template`` to ``recipient``: the OutgoingMail's id, or why it was not written."""
    address = (recipient.email or "").strip()
    if not address:
        return "no address"
    if is_bounced(session, address):
        return "bounced address"
    context = {"name": recipient.name, **context}
    try:
        if recipient.guest is not None:
            issued = _guests[0].mail(
                session, recipient.guest, subject, template, context, valid_days=link_days
            )
            return getattr(getattr(issued, "invitation", None), "mail_id", None)
        mail = send_mail(
            session, address, subject, template, {**context, "url": None}, recipient.locale
        )
    except InvalidAddress:
        return "no valid address"
    return mail.id


# -- the bundle ----------------------------------------------------------------------------------


@job_handler(BUNDLE_JOB)
def send_bundle(
    session: Session, payload: dict[str, Any], progress: ProgressCallback
) -> dict[str, Any]:
    """The "notifications.bundle" job: one mail with everything not yet told to this person."""
    key = _payload_key(payload)
    pending = unmailed_notices(session, key)
    if not pending:
        return {"outcome": "nothing to tell"}
    now = clock.now()
    last = last_mailed(session, key)
    if last is not None and last + bundle_window() > now:
        # Another bundle went out moments ago: this one waits until the window has passed.
        due = last + bundle_window()
        enqueue(
            session,
            BUNDLE_JOB,
            {"recipient": key},
            dedupe_key=f"notice-bundle:{key}:at:{due.isoformat()}",
            run_after=due,
        )
        return {"outcome": "mailed recently", "waiting": len(pending)}
    recipient = find_recipient(session, key)
    if recipient is None:
        return {"outcome": "recipient gone"}
    items = notice_items(session, pending)
    subject = SUBJECTS[pending[0].kind] if len(items) == 1 else SEVERAL
    context = {"items": items, "count": len(items), "student": items[0]["student"]}
    written = _write(session, recipient, subject, "mail/notices.html", context, BUNDLE_LINK_DAYS)
    if isinstance(written, str):
        return {"outcome": written, "waiting": len(pending)}
    for notice in pending:
        notice.mailed_at = now
        notice.mail_id = written
        if notice.kind not in ASKS_ACTION:
            notice.done_at = now  # news: told once is enough
    if any(n.kind in ASKS_ACTION for n in pending):
        # At least an hour after this mail: not the same thing twice in one morning.
        schedule_digest(session, key, after=now + timedelta(hours=1))
    return {"outcome": "sent", "notices": len(pending)}


# -- the daily digest ----------------------------------------------------------------------------


def next_digest_at(now: datetime, hour: int) -> datetime:
    """The first digest moment (``hour`` o'clock in Brussels) after ``now``."""
    local = now.astimezone(BRUSSELS)
    slot = datetime.combine(local.date(), time(hour), tzinfo=BRUSSELS)
    if slot <= local:
        slot = datetime.combine(local.date() + timedelta(days=1), time(hour), tzinfo=BRUSSELS)
    return slot.astimezone(now.tzinfo)


def schedule_digest(session: Session, key: str, after: datetime | None = None) -> Job:
    """Make sure ``key`` gets the next daily digest after ``after`` (default now); one a day."""
    slot = next_digest_at(after or clock.now(), int(current_app.config["AGREEMENT_DIGEST_HOUR"]))
    return enqueue(
        session,
        DIGEST_JOB,
        {"recipient": key, "slot": slot.isoformat()},
        dedupe_key=f"notice-digest:{key}:{slot.astimezone(BRUSSELS).date().isoformat()}",
        run_after=slot,
        max_attempts=5,
    )


def _sent_recently(session: Session, key: str, slot: datetime) -> bool:
    """Whether a digest went to ``key`` in the 20 hours before this one's own moment."""
    finished = session.scalars(
        select(Job.result).where(
            Job.kind == DIGEST_JOB,
            Job.dedupe_key.like(f"notice-digest:{key}:%"),
            Job.state == JobState.DONE,
            Job.finished_at >= slot - timedelta(hours=20),
        )
    )
    return any((result or {}).get("outcome") == "sent" for result in finished)


@job_handler(DIGEST_JOB)
def send_digest(
    session: Session, payload: dict[str, Any], progress: ProgressCallback
) -> dict[str, Any]:
    """The "notifications.digest" job: what was told and is still not done, once a day."""
    key = _payload_key(payload)
    waiting = open_notices(session, key)
    if not waiting:
        return {"outcome": "nothing open"}
    slot = datetime.fromisoformat(str(payload.get("slot") or clock.now().isoformat()))
    if _sent_recently(session, key, slot):
        return {"outcome": "sent in the last day already", "open": len(waiting)}
    recipient = find_recipient(session, key)
    if recipient is None:
        return {"outcome": "recipient gone"}
    items = notice_items(session, waiting)
    context = {"items": items, "count": len(items)}
    written = _write(
        session, recipient, DIGEST, "mail/notice_digest.html", context, DIGEST_LINK_DAYS
    )
    if isinstance(written, str):
        return {"outcome": written, "open": len(items)}
    schedule_digest(session, key, after=max(clock.now(), slot))
    return {"outcome": "sent", "open": len(items)}
