"""Mentor (guest) sessions that can be ended: a copied cookie is worth nothing after sign-out,
after "sign out everywhere" by the mentor or by the coach, or after MENTOR_SESSION_DAYS.

Each test signs a mentor in the way they do in life (a link, the button), then copies the
browser's cookies into a second browser, as someone with a copy of the cookie would: the copy
works while the session lasts on the server, and gets the sign-in page (401) once it is over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login.utils import encode_cookie
from sqlalchemy import select

from lti_app import clock, db
from lti_app.guests import invitations
from lti_app.guests.models import GuestSession, InvitationState, MentorInvitation
from lti_app.guests.sessions import describe_device
from lti_app.placements.models import ChangeRecord, Placement
from lti_app.roster.models import Person as PersonRow
from lti_app.schools.models import Mentor
from tests.guests import (
    add_mentor,
    add_placement,
    csrf,
    english_client,
    issue_sign_in_link,
    launch_client,
    launched_course,
    path_of,
    text,
)
from tests.lms import INSTRUCTOR, Person, TestLMS

ELS = "els.mertens@sint-jozef.example"
JAN = "jan.peeters@atheneum.example"
COACH = Person("coach-1", "An Peeters", [INSTRUCTOR], "an@hogeschool.example", locale="en")
OTHER_COACH = Person("coach-2", "Wim Maes", [INSTRUCTOR], "wim@hogeschool.example", locale="en")
OTHER_COURSE = {"context_id": "course-2", "context_title": "Stage LO", "context_label": "LO"}
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
LAPTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0"
SIGN_IN_PAGE = "Use the link from your invitation e-mail, or ask for a new link here."


def browser(app: Flask, user_agent: str = PHONE) -> FlaskClient:
    client = english_client(app)
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def sign_in(app: Flask, client: FlaskClient, email: str = ELS) -> None:
    """Open a fresh link from the mail and press the button."""
    path = path_of(issue_sign_in_link(app, email))
    page = client.get(path)
    response = client.post(path, data={"csrf_token": csrf(text(page))})
    assert response.status_code == 303, text(response)[:800]


def copy_of(app: Flask, client: FlaskClient, *names: str) -> FlaskClient:
    """Another browser with a copy of ``client``'s cookies (both, unless ``names`` says)."""
    thief = browser(app, LAPTOP)
    for name in names or ("driehoek_session", "driehoek_mentor"):
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def portal_status(client: FlaskClient) -> int:
    return client.get("/mentor").status_code


def assert_signed_out(client: FlaskClient) -> None:
    page = client.get("/mentor")
    assert page.status_code == 401
    assert SIGN_IN_PAGE in text(page)
    assert 'action="/mentor/request-link"' in text(page)
    assert "Lotte" not in text(page)


def live_sessions(app: Flask) -> list[GuestSession]:
    with app.app_context():
        live = GuestSession.ended_at.is_(None)
        return list(db.session().scalars(select(GuestSession).where(live)))


@dataclass
class Scene:
    els: int
    jan: int
    lotte: int  # Els's student, in the coach's course
    bram: int  # Jan's student, in the coach's course


@pytest.fixture
def scene(app: Flask, lms: TestLMS) -> Scene:
    launch_client(app, lms, COACH)
    course = launched_course(app)
    els, jan = add_mentor(app, ELS, "Els Mertens"), add_mentor(app, JAN, "Jan Peeters")
    return Scene(
        els=els,
        jan=jan,
        lotte=add_placement(app, mentors=[els], course_id=course, student_name="Lotte Janssens"),
        bram=add_placement(app, mentors=[jan], course_id=course, student_name="Bram Claes"),
    )


# -- the mentor's own buttons -------------------------------------------------------------------


def test_signing_out_makes_a_copied_cookie_useless(app: Flask, scene: Scene) -> None:
    phone = browser(app)
    sign_in(app, phone)
    both, remember_only = copy_of(app, phone), copy_of(app, phone, "driehoek_mentor")
    assert portal_status(both) == 200 and portal_status(remember_only) == 200

    page = phone.get("/mentor")
    response = phone.post("/mentor/sign-out", data={"csrf_token": csrf(text(page))})
    assert response.status_code == 200 and "You are signed out" in text(response)

    assert_signed_out(phone)
    assert_signed_out(both)
    assert_signed_out(remember_only)
    assert live_sessions(app) == []


def test_the_portal_lists_the_devices_and_signs_out_everywhere(app: Flask, scene: Scene) -> None:
    phone, laptop = browser(app, PHONE), browser(app, LAPTOP)
    sign_in(app, phone)
    sign_in(app, laptop)
    stolen = copy_of(app, phone)

    portal = text(phone.get("/mentor"))
    assert "Signed in on 2 devices" in portal
    assert "Chrome on Android" in portal and "Firefox on Windows" in portal
    assert "this device" in portal and "last used" in portal
    assert 'action="/mentor/sign-out-everywhere"' in portal

    response = phone.post("/mentor/sign-out-everywhere", data={"csrf_token": csrf(portal)})
    assert response.status_code == 200
    assert "Every sign-in has ended: 2 devices." in text(response)
    for client in (phone, laptop, stolen):
        assert_signed_out(client)
    assert live_sessions(app) == []
    # The other mentor is not touched.
    jan = browser(app)
    sign_in(app, jan, JAN)
    assert portal_status(jan) == 200


def test_signing_out_everywhere_needs_the_forms_token(app: Flask, scene: Scene) -> None:
    phone = browser(app)
    sign_in(app, phone)
    assert phone.post("/mentor/sign-out-everywhere").status_code == 400
    assert phone.post("/mentor/sign-out", data={"csrf_token": "forged"}).status_code == 400
    assert portal_status(phone) == 200
    assert len(live_sessions(app)) == 1


def test_a_new_sign_in_on_the_same_browser_ends_the_one_it_replaces(
    app: Flask, scene: Scene
) -> None:
    """The staff-room computer: Jan signs in where Els was signed in. Els's session is gone
    from that browser, so it ends on the server too, not lingering as a device of hers."""
    shared = browser(app, LAPTOP)
    sign_in(app, shared)
    old = copy_of(app, shared)
    sign_in(app, shared, JAN)
    assert "Bram Claes" in text(shared.get("/mentor"))
    assert_signed_out(old)
    els = browser(app)
    sign_in(app, els)
    assert "Signed in on 1 device" in text(els.get("/mentor"))


# -- on the server's clock ----------------------------------------------------------------------


def test_a_session_ends_after_mentor_session_days_whatever_the_cookie_says(
    app: Flask, scene: Scene, set_clock: Callable[..., datetime]
) -> None:
    start = clock.now()
    phone = browser(app)
    sign_in(app, phone)
    copy = copy_of(app, phone)
    days = int(app.config["MENTOR_SESSION_DAYS"])

    set_clock(start + timedelta(days=days) - timedelta(minutes=1))
    assert portal_status(phone) == 200 and portal_status(copy) == 200
    set_clock(start + timedelta(days=days, minutes=1))
    assert_signed_out(phone)
    assert_signed_out(copy)


def test_last_used_is_written_now_and_then_not_on_every_request(
    app: Flask, scene: Scene, set_clock: Callable[..., datetime]
) -> None:
    start = set_clock(clock.now())
    phone = browser(app)
    sign_in(app, phone)

    def last_used() -> datetime:
        [guest] = live_sessions(app)
        return guest.last_seen_at

    set_clock(start + timedelta(minutes=2))
    assert portal_status(phone) == 200
    assert last_used() == start
    set_clock(start + timedelta(minutes=7))
    assert portal_status(phone) == 200
    assert last_used() == start + timedelta(minutes=7)


def test_a_cookie_with_only_the_mentors_id_signs_nobody_in(app: Flask, scene: Scene) -> None:
    """The cookie of before: "mentor:<id>", signed with the app's key, valid for 30 days."""
    with app.test_request_context():
        forged = encode_cookie(f"mentor:{scene.els}")
    old_browser = english_client(app)
    old_browser.set_cookie("driehoek_mentor", forged)
    assert_signed_out(old_browser)


# -- the coach ----------------------------------------------------------------------------------


def coach_end_path(placement_id: int, mentor_id: int) -> str:
    return f"/coach/placements/{placement_id}/mentors/{mentor_id}/sign-out-everywhere"


def test_the_coach_signs_a_mentor_out_everywhere(app: Flask, lms: TestLMS, scene: Scene) -> None:
    phone, laptop = browser(app, PHONE), browser(app, LAPTOP)
    sign_in(app, phone)
    sign_in(app, laptop)
    stolen = copy_of(app, phone)
    jan = browser(app)
    sign_in(app, jan, JAN)
    coach = launch_client(app, lms, COACH)

    page = text(coach.get(f"/placements/{scene.lotte}"))
    assert "Signed in on 2 devices" in page
    assert f'action="{coach_end_path(scene.lotte, scene.els)}"' in page
    response = coach.post(coach_end_path(scene.lotte, scene.els), data={"csrf_token": csrf(page)})
    assert response.status_code == 303

    page = text(coach.get(f"/placements/{scene.lotte}"))
    assert "Els Mertens is signed out on 2 devices." in page
    assert coach_end_path(scene.lotte, scene.els) not in page
    assert "mentor signed out on every device" in page  # the placement's history
    assert "Not signed in at the moment; last sign-in" in page
    for client in (phone, laptop, stolen):
        assert_signed_out(client)
    assert portal_status(jan) == 200  # Bram's mentor is not touched
    with app.app_context():
        s = db.session()
        record = s.scalars(
            select(ChangeRecord).where(ChangeRecord.action == "mentor_signed_out")
        ).one()
        coach_id = s.scalar(select(PersonRow.id).where(PersonRow.sub == COACH.sub))
        assert (record.entity, record.entity_id) == ("placement", scene.lotte)
        assert record.actor == f"person:{coach_id}"
        assert record.changes == {"mentor_id": scene.els, "sessions": 2}


def test_another_courses_coach_cannot_sign_a_mentor_out(
    app: Flask, lms: TestLMS, scene: Scene
) -> None:
    phone = browser(app)
    sign_in(app, phone)
    other = launch_client(app, lms, OTHER_COACH)
    # Wim coaches course-2: he gets the same answer as for a placement that does not exist.
    from tests.launching import FlaskBrowser, launch

    launch(FlaskBrowser(other), lms, OTHER_COACH, context=OTHER_COURSE)
    token = csrf(text(other.get("/coach")))
    response = other.post(coach_end_path(scene.lotte, scene.els), data={"csrf_token": token})
    assert response.status_code == 404
    assert "Els" not in text(response) and "Lotte" not in text(response)
    assert portal_status(phone) == 200
    assert len(live_sessions(app)) == 1


def test_the_coach_can_only_sign_out_a_mentor_of_that_placement(
    app: Flask, lms: TestLMS, scene: Scene
) -> None:
    phone = browser(app)
    sign_in(app, phone)
    coach = launch_client(app, lms, COACH)
    token = csrf(text(coach.get("/coach")))
    # Els is no mentor of Bram's placement; mentor 999 does not exist.
    for path in (coach_end_path(scene.bram, scene.els), coach_end_path(scene.lotte, 999)):
        assert coach.post(path, data={"csrf_token": token}).status_code == 404
    # Without the form's token nothing happens either.
    assert coach.post(coach_end_path(scene.lotte, scene.els)).status_code == 400
    assert portal_status(phone) == 200
    with app.app_context():
        done = select(ChangeRecord).where(ChangeRecord.action == "mentor_signed_out")
        assert db.session().scalars(done).all() == []


# -- withdrawing a link -------------------------------------------------------------------------


def _invite(app: Flask, placement_id: int, mentor_id: int) -> tuple[int, str]:
    with app.test_request_context():
        s = db.session()
        placement, mentor = s.get(Placement, placement_id), s.get(Mentor, mentor_id)
        assert placement is not None and mentor is not None
        link = invitations.invite(s, placement, mentor, None)
        s.commit()
        return link.invitation.id, path_of(link.url)


def test_a_link_that_signed_in_is_not_withdrawn_and_the_coach_is_told_what_does(
    app: Flask, lms: TestLMS, scene: Scene
) -> None:
    """Withdrawing is for links nobody used; for a used one the page points to the button
    that does end the mentor's sessions."""
    invitation_id, path = _invite(app, scene.lotte, scene.els)
    phone = browser(app)
    response = phone.post(path, data={"csrf_token": csrf(text(phone.get(path)))})
    assert response.status_code == 303
    coach = launch_client(app, lms, COACH)
    revoke = f"/coach/placements/{scene.lotte}/invitations/{invitation_id}/revoke"
    coach.post(revoke, data={"csrf_token": csrf(text(coach.get("/coach")))})
    page = text(coach.get(f"/placements/{scene.lotte}"))
    assert "This link was already used, so it can no longer be withdrawn." in page
    assert "“Sign out everywhere” ends their sign-ins" in page
    assert "Signed in on 1 device" in page
    assert portal_status(phone) == 200


def test_a_link_is_either_spent_or_withdrawn_never_both(app: Flask, scene: Scene) -> None:
    """The coach's request read the link before the mentor pressed the button: the withdrawal
    that follows is refused, rather than leaving a session that came from a withdrawn link."""
    invitation_id, path = _invite(app, scene.lotte, scene.els)
    with app.app_context():
        s = db.session()
        stale = s.get(MentorInvitation, invitation_id)
        coach = s.scalars(select(PersonRow)).first()
        assert stale is not None and coach is not None and stale.used_at is None
        s.commit()  # the coach's request read it, as it was then

    phone = browser(app)
    response = phone.post(path, data={"csrf_token": csrf(text(phone.get(path)))})
    assert response.status_code == 303

    with app.test_request_context():
        s = db.session()
        s.add(stale)  # still as the coach's request read it: not used
        with pytest.raises(invitations.InvitationError):
            invitations.revoke(s, stale, coach)
        s.rollback()
        row = s.get(MentorInvitation, invitation_id)
        assert row is not None and row.revoked_at is None and row.state == InvitationState.ACTIVE
    assert portal_status(phone) == 200


# -- which device -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (PHONE, ("Chrome", "Android")),
        (LAPTOP, ("Firefox", "Windows")),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            ("Safari", "iPhone"),
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            ("Edge", "macOS"),
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
            ("Samsung Internet", "Android"),
        ),
        ("Werkzeug/3.1", ("", "")),
        ("", ("", "")),
    ],
)
def test_a_device_is_named_the_way_its_owner_knows_it(
    user_agent: str, device: tuple[str, str]
) -> None:
    assert describe_device(user_agent) == device
