"""Who is told of a journal's hand-in and review: the coach when a student hands in (until they
release or send it back), the student when asked to hand in again (until she does) and when
her grade is released. The mails say which assignment, never the grade."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from lti_app import clock, db
from lti_app.notifications.models import Notice, OutgoingMail
from tests.guests import text
from tests.journal_reviews import (
    Gradebook,
    assignment_ids,
    course_with_students,
    entries,
    fake_gradebook,
    hand_in,
    new_assignment,
    post_review,
    review_row,
)
from tests.lms import TestLMS
from tests.signing import run_jobs


@pytest.fixture
def book(monkeypatch: pytest.MonkeyPatch) -> Gradebook:
    return fake_gradebook(monkeypatch)


def notices(app: Flask) -> list[tuple[str, str, bool, str]]:
    """(recipient, kind, still open, link) of every journal notice, oldest first."""
    with app.app_context():
        rows = db.session().scalars(
            select(Notice).where(Notice.kind.like("journal_%")).order_by(Notice.id)
        )
        return [
            (
                f"person:{n.person_id}",
                str(n.kind),
                n.done_at is None,
                n.link,
            )
            for n in rows
        ]


def test_hand_in_resubmission_and_release_tell_whose_turn_it_is(
    app: Flask, lms: TestLMS, book: Gradebook, set_clock: Callable[..., datetime]
) -> None:
    set_clock(clock.now())  # stopped: the test moves it past the bundle window
    course = course_with_students(app, lms)
    assert new_assignment(course.coach, title="Reflecties blok 2").status_code == 303
    assignment = assignment_ids(app, course.course_id)[0]
    entries(app, course.placements["sofie"], 6, final=True)
    sofie = f"person:{course.people['sofie']}"

    assert hand_in(course.students["sofie"], assignment).status_code == 303
    review = review_row(app, assignment, course.people["sofie"])
    assert review is not None
    told = notices(app)
    # The course's coach (the placement names none) is told; Sofie herself is not.
    assert [(kind, still_open) for _who, kind, still_open, _link in told] == [
        ("journal_handed_in", True)
    ]
    assert told[0][0] != sofie and told[0][3].endswith(f"/journals/reviews/{review.id}")

    asked = post_review(
        course.coach,
        review.id,
        f"/journals/reviews/{review.id}/resubmit",
        reason="Werk reflectie 1 uit.",
    )
    assert asked.status_code == 303, text(asked)[:800]
    told = notices(app)
    assert [(who == sofie, kind, still_open) for who, kind, still_open, _ in told] == [
        (False, "journal_handed_in", False),  # nothing waits for the coach any more
        (True, "journal_resubmit", True),  # it waits for her
    ]
    assert told[1][3].endswith(f"/journals/assignments/{assignment}/mine")

    assert hand_in(course.students["sofie"], assignment).status_code == 303
    told = notices(app)
    assert [(kind, still_open) for _who, kind, still_open, _ in told][1:] == [
        ("journal_resubmit", False),
        ("journal_handed_in", True),
    ]

    page = text(course.coach.get(f"/journals/reviews/{review.id}"))
    points = {f"points-{key}": "5" for key in re.findall(r'name="points-(r\d+)"', page)}
    graded = post_review(course.coach, review.id, **points, action="graded")
    assert graded.status_code == 303, text(graded)[:800]
    released = post_review(course.coach, review.id, f"/journals/reviews/{review.id}/release")
    assert released.status_code == 303, text(released)[:800]
    told = notices(app)
    assert [(who == sofie, kind, still_open) for who, kind, still_open, _ in told][-2:] == [
        (False, "journal_handed_in", False),
        (True, "journal_graded", True),  # news: mailed once, then done
    ]
    assert len(book.releases) == 1

    # The bundle window passes: Sofie's mail names the assignment and never the grade.
    set_clock(clock.now() + timedelta(minutes=6))
    run_jobs(app)
    with app.app_context():
        mails = [
            m
            for m in db.session().scalars(select(OutgoingMail).order_by(OutgoingMail.id))
            if m.to_address == "sofie@student.example"
        ]
    assert [m.subject for m in mails] == ["The reflection journal of Sofie Maes is graded"]
    body = mails[0].body_text
    assert "An Peeters graded the reflection journal of Sofie Maes for “Reflecties blok 2”" in body
    assert "Open the assignment" in body and "10" not in body.split("Reflecties blok 2")[1][:80]
