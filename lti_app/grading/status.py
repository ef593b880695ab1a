"""What the coach sees of a grade's way to the LMS gradebook, per student (read only)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

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
    def retrying(self) -> bool:
        """Pending after a failed try: the LMS's reason and the next try are worth showing."""
        return self.state is SyncState.PENDING and bool(self.last_error)


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
