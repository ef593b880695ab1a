"""What the coach sees of a grade's way to the LMS gradebook, per student (read only)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.grading.models import ScoreSync, SyncState


@dataclass(frozen=True)
class ScoreStatus:
    score_id: int
    state: SyncState
    sent_at: datetime | None
    last_error: str
    next_try_at: datetime | None
    version: int
    sent_version: int

    @property
    def in_gradebook(self) -> bool:
        """The newest grade is what the gradebook shows."""
        return self.state is SyncState.SENT and self.sent_version >= self.version

    @property
    def failed(self) -> bool:
        return self.state is SyncState.FAILED

    @property
    def reason(self) -> str:
        """The stored reason (written by the worker in English, for the log too) in the
        reader's language; the LMS's own status line stays as the LMS said it."""
        return shown_reason(self.last_error)

    @property
    def retrying(self) -> bool:
        """Pending after a failed try: the LMS's reason and the next try are worth showing."""
        return self.state is SyncState.PENDING and bool(self.last_error)


_PREFIX = re.compile(r"^(?:grade not delivered|grade refused): ")
_TOKEN = re.compile(r"^the platform refused an access token \(HTTP (\d+|None)\)$")
_HTTP = re.compile(r"^HTTP (\d{3})(?: (.+))?$")


def shown_reason(stored: str) -> str:
    """A reason from grading/sync.py's ``describe`` (or the worker's) as the coach reads it."""
    text = _PREFIX.sub("", stored.strip())
    fixed = {
        "no answer from the platform in time": _("no answer from the learning platform in time"),
        "the platform could not be reached": _("the learning platform could not be reached"),
        "Driehoek may not call this platform's address": _(
            "Driehoek may not call this learning platform's address"
        ),
        "the worker stopped during the last attempt": _(
            "the sending stopped during the last attempt"
        ),
    }
    if text in fixed:
        return fixed[text]
    if match := _TOKEN.match(text):
        return _(
            "the learning platform refused Driehoek's access (HTTP %(status)s)",
            status=match.group(1),
        )
    if match := _HTTP.match(text):
        said = f" {match.group(2)}" if match.group(2) else ""
        return _(
            "the learning platform answered HTTP %(status)s%(said)s",
            status=match.group(1),
            said=said,
        )
    return text


def score_statuses(
    session: Session, line_item_id: int, person_ids: Iterable[int]
) -> dict[int, ScoreStatus]:
    """Person id → the status of that student's score in the line item (absent: none yet)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(
            ScoreSync.person_id,
            ScoreSync.id,
            ScoreSync.state,
            ScoreSync.sent_at,
            ScoreSync.last_error,
            ScoreSync.next_try_at,
            ScoreSync.version,
            ScoreSync.sent_version,
        ).where(ScoreSync.line_item_id == line_item_id, ScoreSync.person_id.in_(ids))
    )
    return {
        person_id: ScoreStatus(
            score_id=score_id,
            state=SyncState(state),
            sent_at=sent_at,
            last_error=last_error or "",
            next_try_at=next_try_at,
            version=version,
            sent_version=sent_version,
        )
        for person_id, score_id, state, sent_at, last_error, next_try_at, version, sent_version in rows
    }


def score_status(session: Session, score_id: int) -> ScoreStatus | None:
    row = session.get(ScoreSync, score_id)
    if row is None:
        return None
    return score_statuses(session, row.line_item_id, [row.person_id]).get(row.person_id)
