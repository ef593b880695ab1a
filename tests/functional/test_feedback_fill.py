"""A mentor fills in a feedback form and loses nothing: a request → the form opened from it →
several autosaves → the sign-in runs out (autosave says so, the draft stays) → a new link →
the draft intact → submitted → the student (responds and) reads it → the coach reads both.
Two devices never overwrite each other (409); a correction is a new version and both stay
readable; a submit with required items empty is refused with messages and keeps every word;
what is not answers to the form is refused (400).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lti_app import clock, db
from lti_app.feedback.models import (
    FeedbackForm,
    FeedbackRequest,
    FormKind,
    FormState,
    RequestState,
)
from lti_app.notifications.models import Notice, NoticeKind
from tests.guests import csrf, english_client, person_id, sign_in_mentor, text
from tests.lms import TestLMS
from tests.signing import ELS, LOTTE, Parties, three_parties

STRENGTHS = "Lotte gaf een heldere instructie en liet de klas zelf ontdekken."
GROWTH = "Meer wachttijd na een vraag; differentiëren voor de snelle leerlingen."
ACTIONS = "Volgende les: een exit-ticket."


@dataclass
class Scene:
    parties: Parties
    request_id: int

    @property
    def placement(self) -> int:
        return self.parties.placement


@pytest.fixture
def scene(app: Flask, lms: TestLMS) -> Scene:
    parties = three_parties(app, lms)
    with app.app_context():
        s = db.session()
        asked = FeedbackRequest(
            placement_id=parties.placement,
            mentor_id=_mentor_id(s, parties.placement),
            kind=FormKind.LESSON_OBSERVATION,
            lesson_date=date(2025, 3, 14),
            class_name="5 Latijn-Wiskunde",
            subject="Wiskunde: kwadratische functies",
            created_by_id=person_id(app, LOTTE.sub),
        )
        s.add(asked)
        s.commit()
        return Scene(parties, asked.id)


def _mentor_id(s: Any, placement_id: int) -> int:
    from lti_app.placements.models import Placement

    placement = s.get(Placement, placement_id)
    return int(placement.mentor_links[0].mentor_id)


# -- helpers: what the page and its script send -------------------------------------------------


def token_of(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, text(page)[:500]
    return csrf(text(page))


def open_form(client: FlaskClient, placement: int, token: str, **fields: str) -> Any:
    return client.post(
        f"/feedback/placements/{placement}/forms", data={"csrf_token": token, **fields}
    )


def form_id_of(response: Any) -> int:
    assert response.status_code == 303, text(response)[:800]
    match = re.search(r"/feedback/forms/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def autosave(
    client: FlaskClient, form_id: int, token: str, revision: Any, answers: Any, **lesson: Any
) -> Any:
    return client.post(
        f"/feedback/forms/{form_id}/autosave",
        json={"revision": revision, "answers": answers, **lesson},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )


def stored(app: Flask, form_id: int) -> FeedbackForm:
    with app.app_context():
        found = db.session().get(FeedbackForm, form_id)
        assert found is not None
        db.session().expunge(found)
        return found


def revision_on(page: str) -> int:
    match = re.search(r'name="revision" value="(\d+)"', page)
    assert match, page[:1500]
    return int(match.group(1))


def complete_answers() -> dict[str, Any]:
    return {
        "goals": "kwaliteit",
        "goals:comment": "Doelen op het bord en bij de start overlopen.",
        "instruction": "voldoende",
        "climate": "not_observed",
        "strengths": STRENGTHS,
        "growth": GROWTH,
        "actions": ACTIONS,
    }


def as_fields(answers: dict[str, Any]) -> dict[str, Any]:
    return {f"a-{key}": value for key, value in answers.items()}


# -- the whole way ------------------------------------------------------------------------------


def test_request_to_submitted_form_through_an_expired_sign_in(
    app: Flask, lms: TestLMS, scene: Scene, set_clock: Callable[..., datetime]
) -> None:
    # The student asks her mentor on her own page.
    lesson = clock.today() + timedelta(days=1)
    student = scene.parties.student
    asking = text(student.get(f"/feedback/placements/{scene.placement}/requests/new"))
    mentor_id = re.search(r'name="mentor"[^>]*value="(\d+)"', asking)
    asked = student.post(
        f"/feedback/placements/{scene.placement}/requests/new",
        data={
            "csrf_token": csrf(asking),
            **({"mentor": mentor_id.group(1)} if mentor_id else {}),
            "lesson_date": lesson.isoformat(),
            "class_name": "6 Latijn-Wiskunde",
            "subject": "Wiskunde: exponentiële functies",
            "focus": ["fg1", "fg3"],
        },
    )
    assert asked.status_code == 303, text(asked)[:800]
    with app.app_context():
        request_id = db.session().scalar(
            select(FeedbackRequest.id).where(FeedbackRequest.class_name == "6 Latijn-Wiskunde")
        )
    assert request_id is not None
    mentor = scene.parties.mentor
    overview = text(mentor.get(f"/feedback/placements/{scene.placement}"))
    assert "6 Latijn-Wiskunde" in overview  # the mentor sees what is asked of them
    token = token_of(mentor, "/mentor")
    first = form_id_of(open_form(mentor, scene.placement, token, request_id=str(request_id)))
    # A second tap reopens the same draft.
    again = form_id_of(open_form(mentor, scene.placement, token, request_id=str(request_id)))
    assert again == first
    page = mentor.get(f"/feedback/forms/{first}")
    html = text(page)
    assert page.status_code == 200
    assert "6 Latijn-Wiskunde" in html and "Wiskunde: exponentiële functies" in html
    assert f'value="{lesson.isoformat()}"' in html
    assert 'type="radio" name="a-goals" value="not_observed"' in html
    assert 'name="a-goals:comment"' in html and 'name="a-strengths"' in html
    assert "(required)" in html and "<legend>" in html
    assert "feedback-form.js" in html
    token = csrf(html)
    revision = revision_on(html)
    assert revision == 0

    # The mentor types: every pause is an autosave, and the revision grows.
    typed: dict[str, Any] = {}
    for key, value in (
        ("goals", "kwaliteit"),
        ("strengths", STRENGTHS[:30]),
        ("strengths", STRENGTHS),
    ):
        typed[key] = value
        saved = autosave(mentor, first, token, revision, typed)
        assert saved.status_code == 200, saved.get_json()
        assert saved.get_json()["revision"] == revision + 1
        assert re.fullmatch(r"\d\d:\d\d", saved.get_json()["saved_at_text"])
        revision = saved.get_json()["revision"]
    assert stored(app, first).revision == 3

    # The mentor's sign-in runs out (MENTOR_SESSION_DAYS on the server's clock).
    days = int(app.config["MENTOR_SESSION_DAYS"])
    later = set_clock(clock.now() + timedelta(days=days, minutes=5))
    more = {**typed, "growth": GROWTH}
    refused = autosave(mentor, first, token, revision, more)
    assert refused.status_code == 401
    assert refused.is_json and refused.get_json()["error"] == "signed out"
    # Nothing typed before was lost, nothing was half-written.
    kept = stored(app, first)
    assert (kept.revision, kept.answers) == (3, typed)

    # A new link from the mail: the draft is there as it was.
    set_clock(later + timedelta(minutes=10))
    sign_in_mentor(app, mentor, ELS)
    page = mentor.get(f"/feedback/forms/{first}")
    html = text(page)
    assert page.status_code == 200
    assert STRENGTHS in html and revision_on(html) == 3
    assert 'value="kwaliteit" checked' in html
    # The script sends what the device kept, on the revision it was based on.
    token = csrf(html)
    resent = autosave(mentor, first, token, 3, more)
    assert resent.status_code == 200 and resent.get_json()["revision"] == 4

    # Submitted with the buttons' form.
    submitted = mentor.post(
        f"/feedback/forms/{first}",
        data={
            "csrf_token": token,
            "revision": "4",
            "action": "submit",
            "lesson_date": "2025-03-14",
            "class_name": "5 Latijn-Wiskunde",
            "subject": "Wiskunde: kwadratische functies",
            **as_fields(complete_answers()),
        },
    )
    assert submitted.status_code == 303, text(submitted)[:1500]
    form = stored(app, first)
    assert form.state == FormState.SUBMITTED and form.submitted_at is not None
    assert form.answers == complete_answers()
    with app.app_context():
        s = db.session()
        asked = s.get(FeedbackRequest, request_id)
        assert asked is not None and asked.state == RequestState.ANSWERED
        assert asked.answered_at is not None
        # The mentor's notice of the request is settled; the student's of the form is new.
        waiting = s.scalars(select(Notice).where(Notice.kind == NoticeKind.FEEDBACK_REQUESTED))
        assert [n.done_at is not None for n in waiting] == [True]
        notices = list(s.scalars(select(Notice).where(Notice.kind == NoticeKind.FEEDBACK_GIVEN)))
        student = person_id(app, LOTTE.sub)
        assert [(n.person_id, n.link) for n in notices] == [(student, f"/feedback/forms/{first}")]
    # Read-only now: the page has no fields, a late autosave changes nothing.
    page = text(mentor.get(f"/feedback/forms/{first}"))
    assert 'id="fill-form"' not in page and STRENGTHS in page
    late = autosave(mentor, first, token, 5, {"strengths": "overschreven"})
    assert late.status_code == 409 and late.get_json()["submitted"] is True
    assert stored(app, first).answers == complete_answers()

    # The student responds (fb-requests' page), then the coach reads both.
    student_client = scene.parties.student
    student_page = student_client.get(f"/feedback/forms/{first}")
    assert student_page.status_code == 200 and GROWTH in text(student_page)
    response_text = "Ik probeer volgende les meer wachttijd."
    if "feedback.respond" in app.view_functions:
        answered = student_client.post(
            f"/feedback/forms/{first}/response",
            data={
                "csrf_token": csrf(text(student_page)),
                "response": response_text,
                "follow_up": "Exit-ticket maken.",
            },
        )
        assert answered.status_code in (200, 303), text(answered)[:800]
    coach_page = scene.parties.coach.get(f"/feedback/forms/{first}")
    assert coach_page.status_code == 200
    assert STRENGTHS in text(coach_page) and GROWTH in text(coach_page)
    if "feedback.respond" in app.view_functions:  # else: fb-requests' test covers it
        assert response_text in text(coach_page)


def test_two_devices_never_overwrite_each_other(app: Flask, scene: Scene) -> None:
    phone = scene.parties.mentor
    laptop = english_client(app)
    sign_in_mentor(app, laptop, ELS)
    form = form_id_of(open_form(phone, scene.placement, token_of(phone, "/mentor"), kind="midterm"))
    phone_token = token_of(phone, f"/feedback/forms/{form}")
    laptop_token = token_of(laptop, f"/feedback/forms/{form}")

    first = autosave(phone, form, phone_token, 0, {"strengths": "Van de gsm."})
    assert first.status_code == 200
    second = autosave(laptop, form, laptop_token, 0, {"strengths": "Van de laptop."})
    assert second.status_code == 409
    body = second.get_json()
    assert body["revision"] == 1 and body["answers"] == {"strengths": "Van de gsm."}
    assert stored(app, form).answers == {"strengths": "Van de gsm."}

    # Without script, the same: the page shows both and saves nothing.
    page = laptop.post(
        f"/feedback/forms/{form}",
        data={
            "csrf_token": laptop_token,
            "revision": "0",
            "action": "save",
            "a-strengths": "Van de laptop, zonder script.",
        },
    )
    assert page.status_code == 409
    html = text(page)
    assert "Van de laptop, zonder script." in html and "Van de gsm." in html
    assert revision_on(html) == 1  # saving again keeps this page's text, knowingly
    assert stored(app, form).answers == {"strengths": "Van de gsm."}
    # The author chooses the laptop's text: based on the revision they saw, it is saved.
    chosen = autosave(laptop, form, laptop_token, 1, {"strengths": "Van de laptop."})
    assert chosen.status_code == 200 and chosen.get_json()["revision"] == 2


def test_a_correction_is_a_new_version_and_both_stay_readable(app: Flask, scene: Scene) -> None:
    mentor = scene.parties.mentor
    form = form_id_of(
        open_form(mentor, scene.placement, token_of(mentor, "/mentor"), kind="lesson_observation")
    )
    token = token_of(mentor, f"/feedback/forms/{form}")
    answers = complete_answers()
    assert (
        mentor.post(
            f"/feedback/forms/{form}",
            data={"csrf_token": token, "revision": "0", "action": "submit", **as_fields(answers)},
        ).status_code
        == 303
    )

    no_reason = mentor.post(
        f"/feedback/forms/{form}/correct", data={"csrf_token": token, "reason": "  "}
    )
    assert no_reason.status_code == 422
    assert "Say why you correct the form" in text(no_reason)
    made = mentor.post(
        f"/feedback/forms/{form}/correct",
        data={"csrf_token": token, "reason": "Verkeerde klas ingevuld."},
    )
    correction = form_id_of(made)
    draft = stored(app, correction)
    assert (draft.series_id, draft.version, draft.state) == (form, 2, FormState.DRAFT)
    assert draft.answers == answers and draft.correction_reason == "Verkeerde klas ingevuld."
    # Asking again opens the same correction.
    again = mentor.post(
        f"/feedback/forms/{form}/correct", data={"csrf_token": token, "reason": "Nog eens."}
    )
    assert form_id_of(again) == correction
    # Until it is submitted, the student reads the first version only.
    assert scene.parties.student.get(f"/feedback/forms/{correction}").status_code == 404

    fixed = {**answers, "strengths": "Heldere instructie in 5 Latijn-Wiskunde."}
    assert (
        mentor.post(
            f"/feedback/forms/{correction}",
            data={"csrf_token": token, "revision": "0", "action": "submit", **as_fields(fixed)},
        ).status_code
        == 303
    )
    assert stored(app, form).superseded_at is not None
    assert stored(app, correction).state == FormState.SUBMITTED

    for client in (scene.parties.student, scene.parties.coach, mentor):
        new = text(client.get(f"/feedback/forms/{correction}"))
        old = text(client.get(f"/feedback/forms/{form}"))
        assert "Heldere instructie in 5 Latijn-Wiskunde." in new
        assert STRENGTHS in old and "replaced" in old
        for page in (new, old):
            assert "version 1" in page and "version 2" in page
            assert "Verkeerde klas ingevuld." in page
    # A replaced version is not corrected again.
    refused = mentor.post(
        f"/feedback/forms/{form}/correct", data={"csrf_token": token, "reason": "Nog eens."}
    )
    assert refused.status_code == 303 and refused.headers["Location"].endswith(f"/{form}")


def test_required_items_missing_keep_every_word(app: Flask, scene: Scene) -> None:
    mentor = scene.parties.mentor
    form = form_id_of(
        open_form(mentor, scene.placement, token_of(mentor, "/mentor"), kind="lesson_observation")
    )
    token = token_of(mentor, f"/feedback/forms/{form}")
    page = mentor.post(
        f"/feedback/forms/{form}",
        data={
            "csrf_token": token,
            "revision": "0",
            "action": "submit",
            "a-goals": "werkpunt",
            "a-strengths": STRENGTHS,
            "a-growth": "   ",
        },
    )
    assert page.status_code == 422
    html = text(page)
    assert 'id="problems"' in html and "error-focus.js" in html
    assert "“Growth points (2 or 3)” is required." in html and 'href="#a-growth"' in html
    assert STRENGTHS in html and 'value="werkpunt" checked' in html
    kept = stored(app, form)
    assert kept.state == FormState.DRAFT
    assert kept.answers == {"goals": "werkpunt", "strengths": STRENGTHS}
    assert revision_on(html) == kept.revision == 1


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        {"revision": "1", "answers": {}},
        {"revision": True, "answers": {}},
        {"revision": 0, "answers": ["strengths"]},
        {"revision": 0, "answers": {"nonsense": "x"}},
        {"revision": 0, "answers": {"h_lesson": "x"}},
        {"revision": 0, "answers": {"goals": "excellent"}},
        {"revision": 0, "answers": {"goals": 4}},
        {"revision": 0, "answers": {"strengths": 12}},
        {"revision": 0, "answers": {"strengths:comment": "x"}},
        {"revision": 0, "answers": {"strengths": "x" * 20_001}},
        {"revision": 0, "answers": {}, "lesson_date": "morgen"},
        {"revision": 0, "answers": {}, "class_name": ["3B"]},
    ],
)
def test_what_is_not_answers_to_the_form_is_refused(app: Flask, scene: Scene, body: Any) -> None:
    mentor = scene.parties.mentor
    form = form_id_of(
        open_form(mentor, scene.placement, token_of(mentor, "/mentor"), kind="lesson_observation")
    )
    token = token_of(mentor, f"/feedback/forms/{form}")
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    if isinstance(body, str):
        response = mentor.post(
            f"/feedback/forms/{form}/autosave",
            data=body,
            headers={**headers, "Content-Type": "application/json"},
        )
    else:
        response = mentor.post(f"/feedback/forms/{form}/autosave", json=body, headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.is_json and response.get_json()["reason"]
    assert stored(app, form).revision == 0


def test_a_checklist_and_a_dead_token(app: Flask, scene: Scene) -> None:
    mentor = scene.parties.mentor
    form = form_id_of(
        open_form(mentor, scene.placement, token_of(mentor, "/mentor"), kind="lesson_plan")
    )
    token = token_of(mentor, f"/feedback/forms/{form}")
    saved = autosave(mentor, form, token, 0, {"plan_checks": ["build", "goals"]})
    assert saved.status_code == 200
    assert stored(app, form).answers == {"plan_checks": ["goals", "build"]}
    # A page from an earlier session: JSON, so the script fetches a live token.
    stale = autosave(mentor, form, "not-the-token", 1, {"plan_checks": []})
    assert stale.status_code == 403 and stale.get_json()["error"] == "csrf"


def test_who_may_start_which_form(app: Flask, lms: TestLMS, scene: Scene) -> None:
    coach, mentor, student = scene.parties.coach, scene.parties.mentor, scene.parties.student
    coach_token = token_of(coach, "/coach")
    visit = form_id_of(open_form(coach, scene.placement, coach_token, kind="visit"))
    assert stored(app, visit).author_person_id == person_id(app, "coach-1")
    assert coach.get(f"/feedback/forms/{visit}").status_code == 200
    # A double tap on "start" makes one draft, not two.
    assert form_id_of(open_form(coach, scene.placement, coach_token, kind="visit")) == visit
    # A visit report is the coach's; a lesson observation the mentor's; the student fills none.
    mentor_token = token_of(mentor, "/mentor")
    assert open_form(mentor, scene.placement, mentor_token, kind="visit").status_code == 403
    assert (
        open_form(coach, scene.placement, coach_token, kind="lesson_observation").status_code == 403
    )
    assert open_form(mentor, scene.placement, mentor_token, kind="poem").status_code == 400
    student_token = token_of(student, "/student")
    assert open_form(student, scene.placement, student_token, kind="midterm").status_code == 403
    # A request of this placement, but not addressed to this mentor (or a coach): 404.
    assert (
        open_form(coach, scene.placement, coach_token, request_id=str(scene.request_id)).status_code
        == 404
    )
    assert open_form(mentor, scene.placement, mentor_token, request_id="999").status_code == 404
    # Only the author writes: the coach cannot save the mentor's submitted form.
    mine = form_id_of(open_form(mentor, scene.placement, mentor_token, kind="midterm"))
    token = token_of(mentor, f"/feedback/forms/{mine}")
    mentor.post(
        f"/feedback/forms/{mine}",
        data={
            "csrf_token": token,
            "revision": "0",
            "action": "submit",
            **as_fields(complete_answers()),
        },
    )
    assert stored(app, mine).state == FormState.SUBMITTED
    for client, tok in ((coach, coach_token), (student, student_token)):
        for path in (f"/feedback/forms/{mine}", f"/feedback/forms/{mine}/correct"):
            answer = client.post(path, data={"csrf_token": tok, "revision": "1", "reason": "x"})
            assert answer.status_code in (403, 404), (path, answer.status_code)
        refused = autosave(client, mine, tok, 1, {})
        assert refused.status_code in (403, 404) and refused.is_json
    assert stored(app, mine).version == 1


def test_a_withdrawn_request_gets_no_form(app: Flask, scene: Scene) -> None:
    with app.app_context():
        s = db.session()
        asked = s.get(FeedbackRequest, scene.request_id)
        assert asked is not None
        asked.state = RequestState.WITHDRAWN
        s.commit()
    mentor = scene.parties.mentor
    answer = open_form(
        mentor, scene.placement, token_of(mentor, "/mentor"), request_id=str(scene.request_id)
    )
    assert answer.status_code == 409
    assert "withdrew this request" in text(answer)
