"""Nobody reaches another's placement: every mentor URL tried with another mentor's session,
every student URL of the hours log with another student's session, and each role on the
others' pages. Refused means 403 or 404, no data on the page, and nothing changed.

The lists of URLs are checked against the app's URL map: a new mentor or hours page that is
missing here fails the first test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lti_app import clock, db
from lti_app.guests.models import GuestSession
from lti_app.hours.models import HourEntry, HourState
from lti_app.jobs.worker import run_due
from lti_app.placements.models import ChangeRecord
from lti_app.schools.models import Mentor
from lti_app.security import Permission
from tests.guests import (
    add_entry,
    add_mentor,
    add_placement,
    csrf,
    english_client,
    launch_client,
    launched_course,
    person_id,
    sign_in_mentor,
    text,
)
from tests.lms import INSTRUCTOR, LEARNER, Person, TestLMS

LOTTE = Person("student-1", "Lotte Janssens", [LEARNER], "lotte@student.example", locale="en")
BRAM = Person("student-2", "Bram Claes", [LEARNER], "bram@student.example", locale="en")
COACH = Person("coach-1", "An Peeters", [INSTRUCTOR], "an@hogeschool.example", locale="en")
ELS = "els.mertens@sint-jozef.example"
JAN = "jan.peeters@atheneum.example"
BRAMS_NOTE = "Bram taught fractions in 2B"


@dataclass
class World:
    lotte: FlaskClient  # student, mentored by Els
    bram: FlaskClient  # student, mentored by Jan
    els: FlaskClient
    jan: FlaskClient
    lotte_placement: int
    bram_placement: int
    lotte_entry: int
    bram_entry: int


@pytest.fixture
def world(app: Flask, lms: TestLMS) -> World:
    lotte = launch_client(app, lms, LOTTE)
    bram = launch_client(app, lms, BRAM)
    course = launched_course(app)
    els, jan = add_mentor(app, ELS, "Els Mertens"), add_mentor(app, JAN, "Jan Peeters")
    lotte_placement = add_placement(
        app, mentors=[els], course_id=course, student_id=person_id(app, "student-1")
    )
    bram_placement = add_placement(
        app, mentors=[jan], course_id=course, student_id=person_id(app, "student-2")
    )
    yesterday = clock.today() - timedelta(days=1)
    world = World(
        lotte=lotte,
        bram=bram,
        els=english_client(app),
        jan=english_client(app),
        lotte_placement=lotte_placement,
        bram_placement=bram_placement,
        lotte_entry=add_entry(app, lotte_placement, day=yesterday, note="Lotte observed class 3A"),
        bram_entry=add_entry(app, bram_placement, day=yesterday, note=BRAMS_NOTE),
    )
    sign_in_mentor(app, world.els, ELS)
    sign_in_mentor(app, world.jan, JAN)
    return world


Request = Callable[[FlaskClient, World], Any]
Path = Callable[[World], str]


def _own_page(client: FlaskClient) -> str:
    """A page of the client's own, for a CSRF token of its session."""
    for own in ("/mentor", "/hours"):
        page = client.get(own, follow_redirects=True)
        if page.status_code == 200:
            return text(page)
    raise AssertionError("no page of its own")


def _get(path: Path) -> Request:
    return lambda client, w: client.get(path(w))


def _post(path: Path, data: Callable[[World], dict[str, str]] = lambda w: {}) -> Request:
    def send(client: FlaskClient, w: World) -> Any:
        token = csrf(_own_page(client))
        return client.post(path(w), data={"csrf_token": token, **data(w)})

    return send


def _monday() -> str:
    yesterday = clock.today() - timedelta(days=1)
    return (yesterday - timedelta(days=yesterday.weekday())).isoformat()


def _bram_placement(suffix: str = "") -> Path:
    return lambda w: f"/mentor/placements/{w.bram_placement}{suffix}"


# Els's session against Jan's student (Bram): each mentor page or action.
MENTOR_REQUESTS: dict[str, list[Request]] = {
    "mentors.placement": [_get(_bram_placement())],
    "hours.approve_week": [
        _post(
            _bram_placement("/hours/approve-week"),
            lambda w: {
                "week": _monday(),
                "entries": str(w.bram_entry),
                "seen_at": "2999-01-01T00:00:00+00:00",
            },
        ),
    ],
    "hours.reject": [
        _get(lambda w: f"/mentor/placements/{w.bram_placement}/hours/{w.bram_entry}/reject"),
        _post(
            lambda w: f"/mentor/placements/{w.bram_placement}/hours/{w.bram_entry}/reject",
            lambda w: {"reason": "not mine to judge"},
        ),
        # Through Els's own placement, with Bram's entry.
        _get(lambda w: f"/mentor/placements/{w.lotte_placement}/hours/{w.bram_entry}/reject"),
        _post(
            lambda w: f"/mentor/placements/{w.lotte_placement}/hours/{w.bram_entry}/reject",
            lambda w: {"reason": "not mine to judge"},
        ),
    ],
}
# Pages without another party's id in them: they show the signed-in mentor's own data only.
MENTOR_OWN_ONLY = {"mentors.portal", "mentors.sign_out", "mentors.sign_out_everywhere"}


def _entry_form(kind: str) -> Callable[[World], dict[str, str]]:
    return lambda w: {
        "day": clock.today().isoformat(),
        "kind": kind,
        "amount": "50",
        "unit": "minutes",
    }


# Lotte's session against Bram's placement and entry.
STUDENT_REQUESTS: dict[str, list[Request]] = {
    "hours.log": [
        _get(lambda w: f"/hours/placements/{w.bram_placement}"),
        _post(lambda w: f"/hours/placements/{w.bram_placement}", _entry_form("observation")),
    ],
    "hours.edit": [
        _get(lambda w: f"/hours/entries/{w.bram_entry}/edit"),
        _post(lambda w: f"/hours/entries/{w.bram_entry}/edit", _entry_form("other")),
    ],
    "hours.delete": [_post(lambda w: f"/hours/entries/{w.bram_entry}/delete")],
}
STUDENT_OWN_ONLY = {"hours.index"}


def _endpoints(app: Flask, permissions: set[Permission]) -> set[str]:
    return {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "permission", None) in permissions
        and endpoint.split(".")[0] in {"mentors", "hours"}
    }


def test_every_mentor_and_student_url_is_in_these_lists(app: Flask) -> None:
    mentor = _endpoints(app, {Permission.MENTOR_PORTAL, Permission.APPROVE_HOURS})
    assert mentor == set(MENTOR_REQUESTS) | MENTOR_OWN_ONLY
    student = _endpoints(app, {Permission.LOG_HOURS})
    assert student == set(STUDENT_REQUESTS) | STUDENT_OWN_ONLY


def _snapshot(app: Flask) -> tuple[list[tuple[int, str, int, str]], int]:
    with app.app_context():
        s = db.session()
        entries = [
            (e.id, str(e.state), e.minutes, e.note)
            for e in s.scalars(select(HourEntry).order_by(HourEntry.id))
        ]
        changes = len(s.scalars(select(ChangeRecord)).all())
        return entries, changes


def _refused(response: Any) -> None:
    assert response.status_code in (403, 404), (response.status_code, text(response)[:400])
    body = text(response)
    assert "Bram" not in body
    assert BRAMS_NOTE not in body


@pytest.mark.parametrize("endpoint", sorted(MENTOR_REQUESTS))
def test_a_mentor_cannot_reach_another_mentors_student(
    app: Flask, world: World, endpoint: str
) -> None:
    before = _snapshot(app)
    for request in MENTOR_REQUESTS[endpoint]:
        _refused(request(world.els, world))
    assert _snapshot(app) == before
    # Jan, whose student it is, does reach it.
    first = MENTOR_REQUESTS[endpoint][0]
    assert first(world.jan, world).status_code in (200, 303)


@pytest.mark.parametrize("endpoint", sorted(STUDENT_REQUESTS))
def test_a_student_cannot_reach_another_students_hours(
    app: Flask, world: World, endpoint: str
) -> None:
    before = _snapshot(app)
    for request in STUDENT_REQUESTS[endpoint]:
        _refused(request(world.lotte, world))
    assert _snapshot(app) == before
    first = STUDENT_REQUESTS[endpoint][0]
    assert first(world.bram, world).status_code in (200, 303)


def test_the_portal_lists_only_the_mentors_own_students(app: Flask, world: World) -> None:
    els = text(world.els.get("/mentor"))
    assert "Lotte Janssens" in els and "Bram" not in els
    jan = text(world.jan.get("/mentor"))
    assert "Bram Claes" in jan and "Lotte" not in jan


def test_a_student_sees_only_their_own_hours(app: Flask, world: World) -> None:
    page = world.lotte.get("/hours", follow_redirects=True)
    assert page.status_code == 200
    assert "Lotte observed class 3A" in text(page)
    assert BRAMS_NOTE not in text(page)


def test_approving_a_week_ignores_entries_of_other_placements(app: Flask, world: World) -> None:
    page = text(world.els.get(f"/mentor/placements/{world.lotte_placement}"))
    response = world.els.post(
        f"/mentor/placements/{world.lotte_placement}/hours/approve-week",
        data={
            "csrf_token": csrf(page),
            "week": _monday(),
            "entries": f"{world.lotte_entry},{world.bram_entry}",
            "seen_at": "2999-01-01T00:00:00+00:00",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        s = db.session()
        assert s.get(HourEntry, world.lotte_entry).state == HourState.APPROVED  # type: ignore[union-attr]
        assert s.get(HourEntry, world.bram_entry).state == HourState.PENDING  # type: ignore[union-attr]


MENTOR_PAGES = ["/mentor", "/mentor/placements/{lotte_placement}"]
STUDENT_PAGES = [
    "/hours",
    "/hours/placements/{lotte_placement}",
    "/hours/entries/{lotte_entry}/edit",
]


def _fill(path: str, w: World) -> str:
    return path.format(lotte_placement=w.lotte_placement, lotte_entry=w.lotte_entry)


def test_students_and_coaches_cannot_open_mentor_pages(
    app: Flask, lms: TestLMS, world: World
) -> None:
    coach = launch_client(app, lms, COACH)
    with app.app_context():
        run_due(app.extensions["db_sessionmaker"], "worker-1")  # the coach's roster sync
    for client in (world.lotte, coach):
        for path in MENTOR_PAGES:
            response = client.get(_fill(path, world))
            assert response.status_code == 403, path
            assert "Lotte observed class 3A" not in text(response)


def test_mentors_and_coaches_cannot_open_student_hours_pages(
    app: Flask, lms: TestLMS, world: World
) -> None:
    coach = launch_client(app, lms, COACH)
    for client in (world.els, coach):
        for path in STUDENT_PAGES:
            response = client.get(_fill(path, world))
            assert response.status_code == 403, path
            assert "Lotte observed class 3A" not in text(response)


def test_nobody_signed_in_gets_nothing(app: Flask, world: World) -> None:
    anonymous = english_client(app)
    for path in MENTOR_PAGES + STUDENT_PAGES:
        response = anonymous.get(_fill(path, world))
        assert response.status_code == 401, path
        assert "Lotte" not in text(response)


def _live_sessions(app: Flask) -> list[int]:
    with app.app_context():
        live = GuestSession.ended_at.is_(None)
        return list(db.session().scalars(select(GuestSession.id).where(live)))


def test_outsiders_end_nobodys_sessions(app: Flask, world: World) -> None:
    """The mentor's own sign-out buttons, and the coach's on a mentor, with a valid CSRF token
    of the outsider's own session: refused, and every mentor stays signed in."""
    before = _live_sessions(app)
    assert len(before) == 2
    with app.app_context():
        jan = db.session().scalar(select(Mentor.id).where(Mentor.email == JAN))
    anonymous = english_client(app)
    token = csrf(text(anonymous.get("/mentor/request-link")))
    for path in ("/mentor/sign-out", "/mentor/sign-out-everywhere"):
        assert anonymous.post(path, data={"csrf_token": token}).status_code == 401
        student_token = csrf(_own_page(world.lotte))
        assert world.lotte.post(path, data={"csrf_token": student_token}).status_code == 403
    coachs_button = _post(
        lambda w: f"/coach/placements/{w.bram_placement}/mentors/{jan}/sign-out-everywhere"
    )
    for client in (world.els, world.lotte):
        assert coachs_button(client, world).status_code == 403
    assert _live_sessions(app) == before
    assert "Bram Claes" in text(world.jan.get("/mentor"))
