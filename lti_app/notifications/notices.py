"""Telling people when something waits for them: one line in the service that made it happen.

When an event leaves something for someone (their turn to sign, a proposal sent back, hours
returned), the service says so in its own transaction::

    from lti_app.notifications.notices import NoticeKind, settle, tell

    tell(session, recipient=mentor, kind=NoticeKind.AGREEMENT_YOUR_TURN, placement=placement,
         about=f"agreement:{agreement.id}", link=f"/agreements/{agreement.id}")

and when it is done (the signature given, the proposal sent again, the hours fixed)::

    settle(session, about=f"agreement:{agreement.id}", recipient=signer_key,
           kind=NoticeKind.AGREEMENT_YOUR_TURN)

- ``recipient``: a ``Person`` or a ``Mentor`` (anything with ``get_id()``), or its key
  ("person:5", "mentor:3", as ``Signature.signer`` holds it).
- ``placement``: the placement it is about; the mail names its college, course, student and
  school as they are now.
- ``about``: what a later ``settle`` names: "agreement:12", "placement:7", "hours:7".
- ``link``: the app-relative path of the page to open ("/agreements/12"), or
  ``(endpoint, {args})``; for a mentor, a page of the mentor's.
- ``details``: small JSON the wording uses: ``actor`` (who did it), ``reason`` (why it came
  back), ``addendum`` (its number), ``count`` (hours returned), ``changes`` (a list of
  ``{"label", "before", "after"}`` for a change that voided a signature: ``label`` an English
  msgid, translated for the recipient when the catalogue has it; before/after as shown).
- ``actor``: the key of whoever caused it; they are not told (they know).

The notice is mailed in one bundle with whatever else comes for that person within
``NOTICE_BUNDLE_MINUTES`` (the "notifications.bundle" job, see notice_mail.py); a notice that
asks something of them is listed in their daily digest ("notifications.digest") until settled.
A new notice of the same kind about the same thing replaces one not mailed yet, and retires
one already mailed, so nobody reads the same thing twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lti_app import clock
from lti_app.jobs.models import Job, JobState
from lti_app.jobs.service import enqueue
from lti_app.notifications.models import Notice, NoticeKind

__all__ = ["NoticeKind", "open_notices", "recipient_key", "settle", "tell"]

BUNDLE_JOB = "notifications.bundle"
LinkTarget = str | tuple[str, Mapping[str, Any]]


class _Named(Protocol):
    @property
    def display_name(self) -> str: ...


class _Course(Protocol):
    title: str

    @property
    def platform(self) -> Any: ...  # .college_id


class _School(Protocol):
    name: str


class _Placement(Protocol):
    """What ``tell`` reads of a placement (a Placement, wherever the house split puts it)."""

    id: int
    student_id: int

    @property
    def course(self) -> _Course: ...

    @property
    def student(self) -> _Named: ...

    @property
    def school(self) -> _School: ...


def recipient_key(recipient: Any) -> str:
    """ "person:<id>" / "mentor:<id>" of a Person, a Mentor or such a key.

    :raise ValueError: anything else.
    """
    key = recipient if isinstance(recipient, str) else recipient.get_id()
    kind, _, raw = str(key).partition(":")
    if kind not in ("person", "mentor") or not raw.isdigit():
        raise ValueError(f"not a recipient: {key!r}")
    return f"{kind}:{int(raw)}"


def _recipient_column(key: str) -> tuple[Any, int]:
    kind, _, raw = key.partition(":")
    return (Notice.person_id if kind == "person" else Notice.mentor_id), int(raw)


def link_path(link: LinkTarget) -> str:
    """An app-relative path: as given, or built from (endpoint, args) without a request.

    :raise ValueError: not a path of this app (the button must not lead elsewhere).
    """
    if isinstance(link, tuple):
        endpoint, args = link
        path = current_app.url_map.bind("localhost").build(endpoint, dict(args))
    else:
        path = link
    if not path.startswith("/") or path.startswith("//") or "\\" in path or len(path) > 500:
        raise ValueError(f"not an app-relative path: {path!r}")
    return path


def tell(
    session: Session,
    *,
    recipient: Any,
    kind: NoticeKind | str,
    placement: _Placement,
    about: str,
    link: LinkTarget,
    details: Mapping[str, Any] | None = None,
    actor: str | None = None,
) -> Notice | None:
    """Record that something waits for ``recipient`` and plan the mail that tells them (the
    caller commits). None when ``recipient`` is ``actor``."""
    key = recipient_key(recipient)
    if actor is not None and key == actor:
        return None
    kind = NoticeKind(kind)
    column, recipient_id = _recipient_column(key)
    now = clock.now()
    course = placement.course
    values = {
        "college_id": int(course.platform.college_id),
        "placement_id": placement.id,
        "student_id": placement.student_id,
        "link": link_path(link),
        "names": {
            "course": course.title,
            "student": placement.student.display_name,
            "school": placement.school.name,
        },
        "details": dict(details or {}),
        "created_at": now,
    }
    earlier = list(
        session.scalars(
            select(Notice).where(
                column == recipient_id,
                Notice.about == about,
                Notice.kind == kind,
                Notice.done_at.is_(None),
            )
        )
    )
    notice = next((n for n in earlier if n.mailed_at is None), None)
    for told in earlier:
        if told is not notice:
            told.done_at = now  # mailed already: the new one says it again, and newer
    if notice is None:
        notice = Notice(
            token=secrets.token_urlsafe(16),
            kind=kind,
            about=about,
            person_id=recipient_id if key.startswith("person:") else None,
            mentor_id=recipient_id if key.startswith("mentor:") else None,
            **values,
        )
        session.add(notice)
    else:
        for name, value in values.items():
            setattr(notice, name, value)
    session.flush()
    plan_bundle(session, key, now)
    return notice


def settle(
    session: Session,
    *,
    about: str,
    recipient: Any | None = None,
    kind: NoticeKind | str | None = None,
) -> int:
    """Mark the open notices about ``about`` done (for one recipient, of one kind, or all): a
    notice not mailed yet never is, and a mailed one leaves the digest. Returns how many."""
    conditions = [Notice.about == about, Notice.done_at.is_(None)]
    if recipient is not None:
        column, recipient_id = _recipient_column(recipient_key(recipient))
        conditions.append(column == recipient_id)
    if kind is not None:
        conditions.append(Notice.kind == NoticeKind(kind))
    result = session.execute(
        update(Notice).where(*conditions).values(done_at=clock.now()),
        execution_options={"synchronize_session": "fetch"},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def open_notices(session: Session, recipient: Any) -> list[Notice]:
    """What was mailed to ``recipient`` (a key, Person or Mentor) and is not done yet: what
    the daily digest lists, oldest first."""
    column, recipient_id = _recipient_column(recipient_key(recipient))
    return list(
        session.scalars(
            select(Notice)
            .where(column == recipient_id, Notice.mailed_at.is_not(None), Notice.done_at.is_(None))
            .order_by(Notice.created_at, Notice.id)
        )
    )


def unmailed_notices(session: Session, key: str) -> list[Notice]:
    column, recipient_id = _recipient_column(key)
    return list(
        session.scalars(
            select(Notice)
            .where(column == recipient_id, Notice.mailed_at.is_(None), Notice.done_at.is_(None))
            .order_by(Notice.created_at, Notice.id)
        )
    )


def bundle_window() -> timedelta:
    return timedelta(minutes=int(current_app.config["NOTICE_BUNDLE_MINUTES"]))


def last_mailed(session: Session, key: str) -> datetime | None:
    column, recipient_id = _recipient_column(key)
    last: datetime | None = session.scalar(
        select(func.max(Notice.mailed_at)).where(column == recipient_id)
    )
    return last


def plan_bundle(session: Session, key: str, now: datetime) -> Job:
    """One "notifications.bundle" job per recipient, due a window from the first notice: what
    else comes meanwhile joins it. (The job itself keeps two mails a window apart.)"""
    dedupe = f"notice-bundle:{key}"
    due = now + bundle_window()
    job = enqueue(session, BUNDLE_JOB, {"recipient": key}, dedupe_key=dedupe, run_after=due)
    if job.state == JobState.RUNNING:
        # The waiting bundle is being written right now and may have looked already: this
        # notice gets a bundle of its own (it finds nothing if the running one took it).
        job = enqueue(
            session,
            BUNDLE_JOB,
            {"recipient": key},
            dedupe_key=f"{dedupe}:after:{job.id}",
            run_after=due,
        )
    return job
