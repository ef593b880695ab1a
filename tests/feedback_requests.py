"""Helpers for tests of feedback requests: a request made straight in the database (for walks
that need one to exist), as the student would have sent it."""

from __future__ import annotations

from flask import Flask

from lti_app import clock, db
from lti_app.feedback.models import FeedbackRequest, RequestState
from lti_app.placements.models import Placement


def add_request(
    app: Flask,
    placement_id: int,
    *,
    mentor_id: int | None = None,
    state: RequestState = RequestState.OPEN,
    note: str = "Kijk je naar mijn instructie?",
) -> int:
    """An open request of the placement's student to ``mentor_id`` (default: its first mentor);
    its id. Nobody is told (the walks need the row, not the mail)."""
    with app.app_context():
        s = db.session()
        placement = s.get(Placement, placement_id)
        assert placement is not None
        request = FeedbackRequest(
            placement_id=placement_id,
            mentor_id=mentor_id or placement.mentor_links[0].mentor_id,
            lesson_date=clock.today(),
            class_name="3B",
            subject="Wiskunde",
            focus=["fg1"],
            note=note,
            state=state,
            created_by_id=placement.student_id,
        )
        s.add(request)
        s.commit()
        return request.id
