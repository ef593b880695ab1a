"""Feedback requests and the student's response (issue 10, items 3 and 5): Lotte asks Els, her
mentor, for feedback on a lesson; Els sees it on her placement pages and is mailed after the
bundle window; a mentor of another placement cannot be chosen; Lotte withdraws a request; she
responds to a submitted form and the coach and the mentor read it; nobody else may respond.

Real launches and pages, the job worker for the mail; the clock is moved, never waited for.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from lti_app import clock, db
from lti_app.feedback import requesting
from lti_app.feedback.models import FeedbackForm, FeedbackRequest, RequestState
from lti_app.feedback.readers import Reader
from lti_app.feedback.reading import form_view
from lti_app.notifications.models import Notice, NoticeKind, OutgoingMail
from lti_app.placements.models import Placement
from tests.conftest import TOOL_BASE
from tests.feedback import add_form
from tests.feedback_requests import add_request
from tests.guests import add_mentor, add_placement, csrf, launch_client, person_id, text
from tests.lms import LEARNER, Person, TestLMS
from tests.signing import ELS, JAN, LOTTE, Parties, run_jobs, three_parties

WINDOW = timedelta(minutes=5)  # NOTICE_BUNDLE_MINUTES
NOTICE_LINK = re.compile(re.escape(TOOL_BASE) + r"(/n/[A-Za-z0-9_-]{16,})")
BRAM = Person("student-2", "Bram Claes", [LEARNER], "bram@student.example", locale="en")
NOTE = "Ik probeer voor het eerst een groepswerk: kijk je naar de overgangen?"
SetClock = Callable[..., datetime]


@pytest.fixture
def parties(app: Flask, lms: TestLMS, set_clock: SetClock) -> Parties:
    set_clock(clock.now())  # stopped: the test moves it
    return three_parties(app, lms)


def _els(app: Flask, placement_id: int) -> int:
    with app.app_context():
        placement = db.session().get(Placement, placement_id)
        assert placement is not None
        return placement.mentor_links[0].mentor_id


def _ask(client: FlaskClient, placement_id: int, **fields: Any) -> Any:
    page = client.get(f"/feedback/placements/{placement_id}/requests/new")
    assert page.status_code == 200, text(page)[:500]
    data = {
        "csrf_token": csrf(text(page)),
        "lesson_date": (clock.today() + timedelta(days=2)).isoformat(),
        "class_name": "3B",
        "subject": "Wiskunde",
        "focus": ["fg1", "fg4"],
        "note": NOTE,
        **fields,
    }
    return client.post(f"/feedback/placements/{placement_id}/requests/new", data=data)


def _requests(app: Flask) -> list[tuple[int, str, int]]:
    with app.app_context():
        return [
            (r.id, str(r.state), r.mentor_id)
            for r in db.session().scalars(select(FeedbackRequest).order_by(FeedbackRequest.id))
        ]


def _open_notices(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        return [
            (str(n.kind), n.about)
            for n in db.session().scalars(select(Notice).where(Notice.done_at.is_(None)))
        ]


def _mails(app: Flask, address: str) -> list[OutgoingMail]:
    with app.app_context():
        s = db.session()
        found = [
            m
            for m in s.scalars(select(OutgoingMail).order_by(OutgoingMail.id))
            if m.to_address == address and "/n/" in m.body_text
        ]
        s.expunge_all()
        return found


def _post_from(client: FlaskClient, page_path: str, path: str, data: dict[str, str]) -> Any:
    page = client.get(page_path)
    assert page.status_code == 200, (page_path, text(page)[:300])
    return client.post(path, data={"csrf_token": csrf(text(page)), **data})


def test_a_student_asks_her_mentor_who_sees_it_and_is_mailed_after_the_bundle(
    app: Flask, parties: Parties, set_clock: SetClock
) -> None:
    placement = parties.placement
    overview = text(parties.student.get(f"/feedback/placements/{placement}"))
    assert "Ask for feedback" in overview and "You have not asked for feedback yet." in overview

    asked = _ask(parties.student, placement, mentor=str(_els(app, placement)))
    assert asked.status_code == 303, text(asked)[:800]
    [(request_id, state, mentor)] = _requests(app)
    assert (state, mentor) == ("open", _els(app, placement))
    assert asked.headers["Location"].endswith(
        f"/feedback/placements/{placement}#request-{request_id}"
    )
    mine = text(parties.student.get(f"/feedback/placements/{placement}"))
    assert "Your request went to Els Mertens." in mine and NOTE in mine
    assert "waiting for feedback" in mine and "Withdraw this request" in mine

    # Els: the count on her placement page, the request with its button on the feedback page.
    portal = text(parties.mentor.get(f"/mentor/placements/{placement}"))
    assert "Give feedback: 1 request waits" in portal
    page = text(parties.mentor.get(f"/feedback/placements/{placement}"))
    assert NOTE in page and "Give feedback on this lesson" in page
    assert f'name="request_id" value="{request_id}"' in page
    assert "guide of learning and development" in page and "organiser" in page  # the focus
    assert "Lesson observation" in page and "Final evaluation" not in page.split("Start a form")[0]
    # The coach sees it open, and the count on the placement page.
    coach = text(parties.coach.get(f"/feedback/placements/{placement}"))
    assert "Open requests" in coach and NOTE in coach and "Visit report" in coach
    assert "1 open request" in text(parties.coach.get(f"/placements/{placement}"))

    # Nothing is mailed before the bundle window has passed; then one mail with the request.
    run_jobs(app)
    assert _mails(app, ELS) == []
    set_clock(clock.now() + WINDOW + timedelta(seconds=1))
    run_jobs(app)
    [mail] = _mails(app, ELS)
    assert mail.subject == "Lotte Janssens asks you for feedback on a lesson"
    assert "Lotte Janssens asks you for feedback on a lesson at Sint-Jozefscollege." in (
        mail.body_text
    )
    assert "3B · Wiskunde" in mail.body_text and "Open the request" in mail.body_text
    targets = [
        parties.mentor.get(link).headers.get("Location")
        for link in NOTICE_LINK.findall(mail.body_text)
    ]
    assert f"/feedback/placements/{placement}" in targets
    assert _mails(app, LOTTE.email) == []  # she asked: she is not told


def test_a_mentor_of_another_placement_cannot_be_chosen(
    app: Flask, lms: TestLMS, parties: Parties
) -> None:
    launch_client(app, lms, BRAM)
    jan = add_mentor(app, JAN, "Jan Peeters")
    add_placement(app, mentors=[jan], course_id=parties.course, student_id=person_id(app, BRAM.sub))
    page = text(parties.student.get(f"/feedback/placements/{parties.placement}/requests/new"))
    assert "Jan Peeters" not in page and "Els Mertens" in page

    tampered = _ask(parties.student, parties.placement, mentor=str(jan))
    assert tampered.status_code == 400
    assert "Not a valid choice" in text(tampered) and NOTE in text(tampered)
    assert _requests(app) == [] and _open_notices(app) == []


def test_a_bad_date_is_said_clearly_and_nothing_typed_is_lost(app: Flask, parties: Parties) -> None:
    els = str(_els(app, parties.placement))
    for typed, message in (
        ("31/02/2027", "This is not a date. Enter it like 14/03/2027."),
        ("", "Enter the date of the lesson, like 14/03/2027."),
        ("2019-01-01", "Enter a date within a year from today."),
    ):
        refused = _ask(parties.student, parties.placement, mentor=els, lesson_date=typed)
        page = text(refused)
        assert refused.status_code == 400, typed
        assert message in page and NOTE in page and 'value="Wiskunde"' in page, typed
        assert page.count(message) == 1, typed
        assert re.search(r'value="fg4"[^>]*checked|checked[^>]*value="fg4"', page), typed
    assert _requests(app) == []
    # Typed by hand the Belgian way, it is a date.
    day = clock.today() + timedelta(days=3)
    asked = _ask(parties.student, parties.placement, mentor=els, lesson_date=f"{day:%d/%m/%Y}")
    assert asked.status_code == 303
    with app.app_context():
        [request] = db.session().scalars(select(FeedbackRequest)).all()
        assert request.lesson_date == day


def test_the_student_withdraws_and_the_mentor_no_longer_waits(app: Flask, parties: Parties) -> None:
    assert _ask(parties.student, parties.placement, mentor=str(_els(app, parties.placement)))
    [(request_id, _, _)] = _requests(app)
    assert _open_notices(app) == [("feedback_requested", f"feedback_request:{request_id}")]
    overview = f"/feedback/placements/{parties.placement}"
    withdraw = f"/feedback/requests/{request_id}/withdraw"

    # Only the student withdraws: the mentor and the coach lack the permission.
    for other in (parties.mentor, parties.coach):
        assert _post_from(other, overview, withdraw, {}).status_code == 403
    done = _post_from(parties.student, overview, withdraw, {})
    assert done.status_code == 303
    assert _requests(app)[0][1] == "withdrawn" and _open_notices(app) == []
    assert "withdrawn" in text(parties.student.get(overview))
    assert "Nothing is asked of you now." in text(parties.mentor.get(overview))
    assert "Give feedback: " not in text(
        parties.mentor.get(f"/mentor/placements/{parties.placement}")
    )
    again = _post_from(parties.student, overview, withdraw, {})
    assert again.status_code == 303
    assert "This request was answered or withdrawn already." in text(parties.student.get(overview))


def test_a_submitted_form_answers_its_request_and_settles_the_notice(
    app: Flask, parties: Parties
) -> None:
    request_id = add_request(app, parties.placement)
    with app.app_context():
        s = db.session()
        request = s.get(FeedbackRequest, request_id)
        assert request is not None
        placement = s.get(Placement, parties.placement)
        assert placement is not None
        from lti_app.feedback import telling

        telling.requested(s, request, placement)
        s.commit()
    assert len(_open_notices(app)) == 1
    with app.app_context():
        s = db.session()
        request = s.get(FeedbackRequest, request_id)
        assert request is not None
        requesting.answered(s, request, clock.now())
        s.commit()
        assert request.state == RequestState.ANSWERED and request.answered_at is not None
    assert _open_notices(app) == []
    assert "answered" in text(parties.student.get(f"/feedback/placements/{parties.placement}"))


def test_the_student_responds_and_the_coach_and_the_mentor_read_it(
    app: Flask, parties: Parties
) -> None:
    form = add_form(app, parties.placement, mentor_id=_els(app, parties.placement))
    overview = f"/feedback/placements/{parties.placement}"
    mine = text(parties.student.get(overview))
    assert "Lesson observation" in mine and "by Els Mertens" in mine
    assert '<span class="tag tag-waiting">new</span>' in mine and "Read and respond" in mine
    with app.test_request_context():
        assert requesting.counts(db.session(), parties.placement)["new"] == 1

    said = {"response": "Ik neem de tip mee.", "follow_up": "Volgende les: instructie korter."}
    saved = _post_from(parties.student, overview, f"/feedback/forms/{form}/response", said)
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith(f"/feedback/forms/{form}#response")
    assert '<span class="tag tag-waiting">new</span>' not in text(parties.student.get(overview))
    with app.test_request_context():
        counts = requesting.counts(db.session(), parties.placement)
    assert counts == {"open": 0, "forms": 1, "new": 0}
    for reader in (parties.coach, parties.mentor):
        page = text(reader.get(overview))
        assert "Response of Lotte Janssens" in page
        assert said["response"] in page and said["follow_up"] in page

    # Saving again edits them.
    edited = {**said, "follow_up": "Instructie in drie stappen."}
    assert _post_from(parties.student, overview, f"/feedback/forms/{form}/response", edited)
    with app.app_context():
        found = db.session().get(FeedbackForm, form)
        assert found is not None
        assert (found.student_response, found.follow_up) == (said["response"], edited["follow_up"])
        assert found.responded_at is not None

    # Nothing to save: said on a page with what she typed, nothing changed.
    empty = _post_from(
        parties.student,
        overview,
        f"/feedback/forms/{form}/response",
        {"response": "  ", "follow_up": ""},
    )
    assert empty.status_code == 400
    assert "Write a response or a follow-up action before saving." in text(empty)


def test_only_the_student_responds(app: Flask, parties: Parties) -> None:
    form = add_form(app, parties.placement, mentor_id=_els(app, parties.placement))
    overview = f"/feedback/placements/{parties.placement}"
    for other in (parties.mentor, parties.coach):
        tried = _post_from(other, overview, f"/feedback/forms/{form}/response", {"response": "x"})
        assert tried.status_code == 403
    with app.app_context():
        found = db.session().get(FeedbackForm, form)
        assert found is not None and found.responded_at is None and found.student_response == ""


def test_the_response_part_of_the_form_page(app: Flask, parties: Parties) -> None:
    """feedback/_response.html, which the form page includes: textareas for the student, her
    words read-only for the others."""
    form = add_form(app, parties.placement, mentor_id=_els(app, parties.placement))
    # In English, as the people of these tests read (Dutch is the default without a choice).
    with app.test_request_context(headers={"Accept-Language": "en"}):
        s = db.session()
        found = s.get(FeedbackForm, form)
        assert found is not None
        found.student_response, found.follow_up = "Dank je.", "Meer wachttijd."
        found.responded_at = clock.now()
        view = form_view(s, found, "en")
        student_id = person_id(app, LOTTE.sub)
        as_student = render_template(
            "feedback/_response.html",
            view=view,
            placement=found.placement,
            reader=Reader("student", f"person:{student_id}", person_id=student_id),
        )
        as_mentor = render_template(
            "feedback/_response.html",
            view=view,
            placement=found.placement,
            reader=Reader("mentor", "mentor:1", mentor_id=1),
        )
        s.rollback()
    assert f'action="/feedback/forms/{form}/response"' in as_student
    assert "<textarea" in as_student and "Meer wachttijd." in as_student
    assert "<textarea" not in as_mentor and "<form" not in as_mentor
    assert "Response of Lotte Janssens" in as_mentor and "Meer wachttijd." in as_mentor


def _statements(app: Flask, client: FlaskClient, path: str) -> int:
    engine = app.extensions["db_engine"]
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        page = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert page.status_code == 200, text(page)[:500]
    return len(seen)


def test_the_feedback_page_costs_the_same_statements_for_one_form_and_for_many(
    app: Flask, parties: Parties
) -> None:
    els = _els(app, parties.placement)
    overview = f"/feedback/placements/{parties.placement}"
    coach = person_id(app, "coach-1")
    add_form(app, parties.placement, mentor_id=els)
    add_form(app, parties.placement, person_id=coach)  # one of each author's kind
    add_request(app, parties.placement)
    for client in (parties.student, parties.mentor, parties.coach):
        client.get(overview)  # warm: the first request of a process may load more
    few = {name: _statements(app, c, overview) for name, c in _clients(parties)}
    for days in range(2, 9):
        add_form(app, parties.placement, mentor_id=els, days_ago=days)
        add_form(app, parties.placement, person_id=coach, days_ago=days)
        add_request(app, parties.placement)
    many = {name: _statements(app, c, overview) for name, c in _clients(parties)}
    with app.app_context():
        assert db.session().scalar(select(func.count(FeedbackForm.id))) == 16
    # The include of each request's attachments is fb-attach's and reads per request; without
    # it (this branch) the page's statements stay flat.
    assert many == few, (few, many)


def _clients(parties: Parties) -> list[tuple[str, FlaskClient]]:
    return [("student", parties.student), ("mentor", parties.mentor), ("coach", parties.coach)]


def test_the_notice_kind_asks_something_of_the_mentor() -> None:
    from lti_app.notifications.models import ASKS_ACTION

    assert NoticeKind.FEEDBACK_REQUESTED in ASKS_ACTION
