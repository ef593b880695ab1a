"""The worker's side of grade passback: send a score row's newest version to the LMS, once.

The flow (LTI Assignment and Grade Services 2.0, https://www.imsglobal.org/spec/lti-ags/v2p0):

1. A coach releases a grade: ``service.release_score`` bumps the row's ``version`` and its AGS
   ``timestamp`` and queues a ``grading.send`` job, in the release's own transaction.
2. The job (this module) looks at the row. Nothing to do when the newest version is sent
   already (``version <= sent_version``: a regrade's job sent it, or a resend did), or the row
   is not PENDING (FAILED waits for the coach; NO_AGS has nowhere to go).
3. It **claims** the row: a conditional ``UPDATE`` sets ``sending_by``/``sending_since`` only
   when no other worker holds it (or that worker's lease passed: it died mid-send), committed
   at once. Two workers never send one row at once; the second tries again in a few seconds.
4. It finds the line item's URL when Driehoek does not know it yet (grading/line_items.py),
   the line item row locked so that two workers never both create a column: first among the
   course's line items (§3.2.4) by ``resource_link_id``, then by ``resourceId``; only when
   neither exists it creates one (§3.2.7). No line items URL and no line item URL: the course has no AGS
   (NO_AGS, nothing sent).
5. It posts the score to ``<line item>/scores`` (§3.4) with a client-credentials token (LTI
   Security 1.0 §4.1, cached by lti.services): ``userId`` the student's ``sub``, the grade,
   the comment, the row's ``timestamp`` (strictly later than the one before: §3.4.7),
   ``activityProgress`` and ``gradingProgress``; on Canvas also its submission extension
   (grading/canvas.py) so SpeedGrader opens the coach's review.
6. 2xx: ``sent_version`` = the version sent, state SENT (PENDING again if a newer version
   came meanwhile: its own job sends it), claim released. 429, 5xx, a timeout or an
   unreachable platform: the row keeps the LMS's reason and the next try (the platform's
   ``Retry-After`` or a growing backoff) and the job comes back then (``RetryLater``). Any
   other refusal (4xx, a token refused, an address Driehoek may not call): FAILED with the
   reason; the coach can send it again. Out of attempts: FAILED too.

A worker that dies after step 5's request reached the platform but before step 6 is written
sends that version again after the lease: the platform gets the same score with the same
timestamp twice, which changes nothing in its gradebook (at least once, never lost).
"""

from __future__ import annotations

import http
import secrets
import threading
from datetime import datetime, timedelta
from typing import Any, NoReturn, cast

from flask import current_app
from sqlalchemy import Table, bindparam, case, or_, select, text, update
from sqlalchemy.orm import Session

from lti_app.db import utcnow
from lti_app.grading import canvas
from lti_app.grading.line_items import line_item_url
from lti_app.grading.models import LineItem, ScoreSync, SyncState
from lti_app.grading.service import SEND_KIND
from lti_app.jobs.service import (
    PermanentJobError,
    ProgressCallback,
    RetryLater,
    job_handler,
    retry_delay,
)
from lti_app.lti import ags, outbound
from lti_app.lti.models import Platform
from lti_app.lti.services import LtiServiceError, ServiceFailure, service_client
from lti_app.roster.models import Course, Person

# How long a claim protects a send in flight: far longer than the few requests one send makes
# (each ends at the HTTP timeout), shorter than the job's own lease, so a job taken over from a
# dead worker finds the row free.
CLAIM_LEASE = timedelta(minutes=5)
BUSY_WAIT = timedelta(seconds=5)  # another worker holds the row: look again this soon
ERROR_LENGTH = 300
_connections = threading.local()

# The send path's statements, built once (it runs for every grade: building a statement costs
# more than running it on SQLite). Bound parameters are named p_* (column names are reserved).
_T = cast(Table, ScoreSync.__table__)
_CLAIM = (
    update(_T)
    .where(
        _T.c.id == bindparam("p_id"),
        _T.c.state == SyncState.PENDING,
        _T.c.version > _T.c.sent_version,
        or_(_T.c.next_try_at.is_(None), _T.c.next_try_at <= bindparam("p_now")),
        or_(_T.c.sending_by.is_(None), _T.c.sending_since < bindparam("p_stale")),
    )
    .values(sending_by=bindparam("p_token"), sending_since=bindparam("p_now"))
)
_ROW = (
    select(ScoreSync, LineItem, Course, Platform, Person)
    .join(LineItem, ScoreSync.line_item_id == LineItem.id)
    .join(Course, LineItem.course_id == Course.id)
    .join(Platform, Course.platform_id == Platform.id)
    .join(Person, ScoreSync.person_id == Person.id)
    .where(ScoreSync.id == bindparam("p_id"))
)
_SENT = (
    update(_T)
    .where(_T.c.id == bindparam("p_id"), _T.c.sending_by == bindparam("p_token"))
    .values(
        sent_version=bindparam("p_version"),
        sent_at=bindparam("p_now"),
        state=case(
            (_T.c.version > bindparam("p_version"), SyncState.PENDING), else_=SyncState.SENT
        ),
        attempts=0,
        last_error="",
        next_try_at=None,
        sending_by=None,
        sending_since=None,
    )
)
_SENT_UNCLAIMED = (
    update(_T)
    .where(_T.c.id == bindparam("p_id"), _T.c.sent_version < bindparam("p_version"))
    .values(sent_version=bindparam("p_version"), sent_at=bindparam("p_now"))
)


def _gave_up(session: Session, payload: dict[str, Any], error: str, gave_up: bool) -> None:
    """Out of attempts (or the worker died in the last one): the coach sees FAILED."""
    if not gave_up:
        return
    session.execute(
        update(ScoreSync)
        .where(
            ScoreSync.id == int(payload["score_id"]),
            ScoreSync.state == SyncState.PENDING,
            ScoreSync.version == int(payload.get("version") or 0),
            ScoreSync.sent_version < ScoreSync.version,
        )
        .values(
            state=SyncState.FAILED,
            last_error=error[:ERROR_LENGTH],
            next_try_at=None,
            sending_by=None,
            sending_since=None,
        ),
        execution_options={"synchronize_session": False},
    )


@job_handler(SEND_KIND, on_failure=_gave_up)
def send_score(
    session: Session, payload: dict[str, Any], progress: ProgressCallback
) -> dict[str, Any]:
    score_id = int(payload["score_id"])
    now = utcnow()
    token = secrets.token_hex(8)
    if not _claim(session, score_id, token, now):
        return _not_claimed(session, score_id, now)
    try:
        return _send(session, score_id, token)
    except (RetryLater, PermanentJobError):
        raise
    except BaseException:
        # A bug or a lost database: free the row now rather than after the claim's lease.
        session.rollback()
        _release(session, score_id, token)
        raise


def _not_claimed(session: Session, score_id: int, now: datetime) -> dict[str, Any]:
    """Why the row could not be claimed: nothing to send, a wait, or another worker."""
    row = session.get(ScoreSync, score_id, populate_existing=True)
    if row is None:
        return {"skipped": "gone"}
    if row.state is not SyncState.PENDING or row.version <= row.sent_version:
        return {"skipped": row.state.value, "sent_version": row.sent_version}
    if row.next_try_at is not None and row.next_try_at > now:
        # A newer version's job while the platform asked us to wait: wait with the others.
        raise RetryLater("waiting for the platform's next try", row.next_try_at - now)
    raise RetryLater("another worker is sending this score", _busy_wait(row, now))


def _send(session: Session, score_id: int, token: str) -> dict[str, Any]:
    # The row and all it needs in one statement (the send path runs a thousand times a minute).
    found = session.execute(
        _ROW, {"p_id": score_id}, execution_options={"populate_existing": True}
    ).first()
    assert found is not None  # claimed a moment ago; rows go only with their line item
    row = found[0]
    platform, person = found[3], found[4]
    version, item_id = row.version, row.line_item_id
    body = score_body(row, person.sub, on_canvas=canvas.is_canvas(platform.issuer))
    try:
        with service_client(session, platform, http=_http()) as client:
            url = line_item_url(session, client, item_id)
            if url is None:
                _finish(session, score_id, token, state=SyncState.NO_AGS, error="")
                return {"skipped": SyncState.NO_AGS.value}
            status = ags.post_score(client, url, body)
    except LtiServiceError as exc:
        session.rollback()
        _failed(session, score_id, token, exc)
    _sent(session, score_id, token, version)
    return {"sent_version": version, "status": status}


def _http() -> outbound.OutboundSession:
    """This thread's connections to platforms, kept from one send to the next: a worker that
    sends a course's grades makes one TCP and TLS handshake, not one per grade."""
    config = current_app.config
    key = (
        config["HTTP_TIMEOUT_SECONDS"],
        bool(config["IS_PRODUCTION"]),
        tuple(config["OUTBOUND_PRIVATE_HOSTS"]),
    )
    held = getattr(_connections, "held", None)
    if held is None or held[0] != key:
        if held is not None:
            held[1].close()
        held = (key, outbound.session_from_config(config))
        _connections.held = held
    return held[1]


def _busy_wait(row: ScoreSync, now: datetime) -> timedelta:
    """A few seconds behind a live send; as long again as a claim is old (its worker may have
    died: its lease then runs out), so waiting never uses up the job's attempts."""
    held = now - row.sending_since if row.sending_since is not None else timedelta(0)
    return min(max(BUSY_WAIT, held), CLAIM_LEASE)


def score_body(row: ScoreSync, user_id: str, *, on_canvas: bool) -> dict[str, Any]:
    """The AGS score (§3.4.1) of the row's current version."""
    body: dict[str, Any] = {
        "userId": user_id,
        "scoreMaximum": row.score_maximum,
        "comment": row.comment,
        "timestamp": ags.ags_timestamp(row.timestamp),
        "activityProgress": row.activity_progress,
        "gradingProgress": row.grading_progress,
    }
    if row.score_given is not None:
        body["scoreGiven"] = row.score_given
    if on_canvas and row.review_url:
        body[canvas.SUBMISSION_EXTENSION] = canvas.submission_extension(
            row.review_url, first=row.sent_version == 0
        )
    return body


def _claim(session: Session, score_id: int, token: str, now: datetime) -> bool:
    """Take the row for this send, if it has a version to send, is due, and is free."""
    params = {"p_id": score_id, "p_token": token, "p_now": now, "p_stale": now - CLAIM_LEASE}
    _without_waiting_for_disk(session)
    result = session.execute(_CLAIM, params)
    session.commit()
    return _rowcount(result) == 1


def _without_waiting_for_disk(session: Session) -> None:
    """PostgreSQL: this transaction's commit does not wait for its WAL to reach the disk.

    Safe for the claim and the "sent" record: both are seen by other workers at once, and a
    database crash that loses them loses at worst this: the same version, with the same
    timestamp, sent once more (which a platform ignores). The job's own completion, committed
    after, waits for the disk and so makes them durable as well. Saves two of a send's four
    disk flushes.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def _sent(session: Session, score_id: int, token: str, version: int) -> None:
    params = {"p_id": score_id, "p_token": token, "p_version": version, "p_now": utcnow()}
    _without_waiting_for_disk(session)
    if _rowcount(session.execute(_SENT, params)) != 1:
        # Our claim ran out while we sent (a stalled worker) and another worker took the row:
        # still record what the gradebook has; the claim is theirs.
        session.execute(_SENT_UNCLAIMED, params)
    session.commit()


def _failed(session: Session, score_id: int, token: str, exc: LtiServiceError) -> NoReturn:
    reason = describe(exc)
    if not _retryable(exc):
        _finish(session, score_id, token, state=SyncState.FAILED, error=reason)
        raise PermanentJobError(f"grade refused: {reason}") from exc
    now = utcnow()
    attempts = (session.scalar(select(ScoreSync.attempts).where(ScoreSync.id == score_id)) or 0) + 1
    if exc.retry_after is not None:
        wait = timedelta(seconds=exc.retry_after)
    else:
        wait = retry_delay(attempts)
    session.execute(
        update(ScoreSync)
        .where(ScoreSync.id == score_id, ScoreSync.sending_by == token)
        .values(
            attempts=attempts,
            last_error=reason,
            next_try_at=now + wait,
            sending_by=None,
            sending_since=None,
        ),
        execution_options={"synchronize_session": False},
    )
    session.commit()
    raise RetryLater(f"grade not delivered: {reason}", wait) from exc


def _finish(session: Session, score_id: int, token: str, *, state: SyncState, error: str) -> None:
    session.execute(
        update(ScoreSync)
        .where(ScoreSync.id == score_id, ScoreSync.sending_by == token)
        .values(
            state=state, last_error=error, next_try_at=None, sending_by=None, sending_since=None
        ),
        execution_options={"synchronize_session": False},
    )
    session.commit()


def _release(session: Session, score_id: int, token: str) -> None:
    session.execute(
        update(ScoreSync)
        .where(ScoreSync.id == score_id, ScoreSync.sending_by == token)
        .values(sending_by=None, sending_since=None),
        execution_options={"synchronize_session": False},
    )
    session.commit()


def _retryable(exc: LtiServiceError) -> bool:
    if exc.failure in (ServiceFailure.TIMEOUT, ServiceFailure.UNREACHABLE):
        return True
    status = exc.status_code
    return (
        exc.failure is ServiceFailure.HTTP_ERROR
        and status is not None
        and (status == 429 or status >= 500)
    )


def describe(exc: LtiServiceError) -> str:
    """The LMS's status and a short reason, for the coach (never a token or a body)."""
    status = exc.status_code
    if exc.failure is ServiceFailure.TOKEN_REFUSED:
        return f"the platform refused an access token (HTTP {status})"
    if exc.failure is ServiceFailure.TIMEOUT:
        return "no answer from the platform in time"
    if exc.failure is ServiceFailure.UNREACHABLE:
        return "the platform could not be reached"
    if exc.failure is ServiceFailure.REFUSED:
        return "Driehoek may not call this platform's address"
    if status is not None:
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        return f"HTTP {status} {phrase}".strip()
    return exc.reason[:ERROR_LENGTH]


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
