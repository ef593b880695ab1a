"""Mentors as guests: invited by the coach, in with one tap on a link that mail scanners cannot
burn, and into a portal that shows their own students only.

Mail goes through a real SMTP server on loopback (aiosmtpd) and the job worker, as in
production. What people notice: the invitation arrives in the mentor's language; opening the
link (as a mail scanner does) spends nothing; the button signs in; a link that is used, expired
or withdrawn says so and offers a new one; asking for a link never tells whether an address is
known; the coach sees whether the mentor got in.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lti_app import create_app, db
from lti_app.db import utcnow
from lti_app.guests import invitations, links
from lti_app.guests.models import InvitationState, MentorInvitation
from lti_app.jobs.worker import run_due
from lti_app.notifications.models import OutgoingMail
from lti_app.placements.models import ChangeRecord, Placement, PlacementMentor, PlacementState
from lti_app.roster.models import Person as PersonRow
from lti_app.schools.models import Mentor
from tests.conftest import empty_tables, settings
from tests.functional.test_mail import Mailbox, SmtpServer
from tests.guests import (
    add_mentor,
    add_placement,
    csrf,
    english_client,
    issue_sign_in_link,
    launched_course,
    path_of,
    text,
)
from tests.lms import INSTRUCTOR, LEARNER, Person
from tests.servers import on_a_free_port

SENDER = "Driehoek Hogeschool <stage@hogeschool.example>"
ELS = "els.mertens@sint-jozef.example"
JAN = "jan.peeters@atheneum.example"
COACH = Person("coach-1", "An Peeters", [INSTRUCTOR], "an@hogeschool.example", locale="en")
LINK = re.compile(r"http://tool\.test/m/[A-Za-z0-9_-]+")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = on_a_free_port(lambda port: SmtpServer(Mailbox(), port).start())
    yield server
    server.stop()


@pytest.fixture
def app(database_url: str, instance_dir: Path, smtp: SmtpServer) -> Iterator[Flask]:
    """The app sending mail through the loopback SMTP server."""
    import lti_app.models  # noqa: F401

    empty_tables(database_url)
    application = create_app(
        settings(database_url, instance_dir, MAIL_URL=smtp.url, MAIL_FROM=SENDER)
    )
    yield application
    application.extensions["db_engine"].dispose()


@dataclass
class Scene:
    coach: FlaskClient  # launched from the LMS as the coach of "Stage SO"
    course_id: int
    els: int  # mentor of Lotte (this course) and of Noor (another course)
    jan: int  # mentor of Bram (this course)
    lotte: int
    bram: int
    noor: int

    def coach_token(self) -> str:
        return csrf(text(self.coach.get("/coach")))

    def invite(self, placement_id: int, email: str, **extra: str) -> Any:
        data = {"csrf_token": self.coach_token(), "email": email, "language": "en", **extra}
        return self.coach.post(f"/coach/placements/{placement_id}/invitations", data=data)

    def placement_page(self, placement_id: int) -> str:
        page = self.coach.get(f"/placements/{placement_id}")
        assert page.status_code == 200, text(page)[:800]
        return text(page)


@pytest.fixture
def scene(app: Flask, client: FlaskClient, launched: Any) -> Scene:
    assert launched(COACH).status == 200
    deliver(app)  # the roster sync the coach's launch started (this test LMS has no NRPS)
    course_id = launched_course(app)
    els = add_mentor(app, ELS, "Els Mertens")
    jan = add_mentor(app, JAN, "Jan Peeters")
    return Scene(
        coach=client,
        course_id=course_id,
        els=els,
        jan=jan,
        lotte=add_placement(
            app,
            mentors=[els],
            course_id=course_id,
            student_name="Lotte Janssens",
            school="Sint-Jozefscollege Aalst",
        ),
        bram=add_placement(
            app,
            mentors=[jan],
            course_id=course_id,
            student_name="Bram Claes",
            school="Koninklijk Atheneum Deurne",
        ),
        noor=add_placement(
            app, mentors=[els], student_name="Noor Vermeulen", school="Sint-Jozefscollege Aalst"
        ),
    )


def deliver(app: Flask) -> int:
    """The worker runs what is due (`flask jobs run --once`)."""
    with app.app_context():
        return run_due(app.extensions["db_sessionmaker"], "worker-1")


def received(smtp: SmtpServer) -> list[EmailMessage]:
    return smtp.mailbox.messages()


def plain(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return cast(EmailMessage, body).get_content().replace("\r\n", "\n")


def link_in(message: EmailMessage) -> str:
    match = LINK.search(plain(message))
    assert match, plain(message)
    return match.group(0)


def invitation_rows(app: Flask) -> list[MentorInvitation]:
    with app.app_context():
        return list(db.session().scalars(select(MentorInvitation).order_by(MentorInvitation.id)))


def press_button(client: FlaskClient, path: str) -> Any:
    page = client.get(path)
    return client.post(path, data={"csrf_token": csrf(text(page))})


def signed_in(client: FlaskClient) -> bool:
    return client.get("/mentor").status_code == 200


# -- the whole journey --------------------------------------------------------------------------


def test_a_mentors_journey_from_invitation_to_portal(
    app: Flask, scene: Scene, smtp: SmtpServer
) -> None:
    # The coach invites Els from Lotte's placement.
    response = scene.invite(scene.lotte, ELS)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/placements/{scene.lotte}#mentor-access")
    page = scene.placement_page(scene.lotte)
    assert f"Invitation sent to {ELS}." in page
    assert 'data-state="sent"' in page
    assert received(smtp) == []  # the worker sends it

    assert deliver(app) == 1
    [mail] = received(smtp)
    assert mail["To"] == ELS
    assert mail["Subject"] == "Invitation: mentor of Lotte Janssens in Driehoek"
    body = plain(mail)
    assert "Hello Els Mertens," in body
    assert "An Peeters of Stage SO invites you to Driehoek as the mentor of Lotte Janssens" in body
    assert "Sint-Jozefscollege Aalst" in body
    assert "no password" in body
    url = link_in(mail)
    token = url.rsplit("/", 1)[1]

    # Only the token's hash is kept with the invitation, and the sent mail forgot the link.
    [row] = invitation_rows(app)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash
    with app.app_context():
        from lti_app import db
        from lti_app.notifications.models import OutgoingMail

        [stored] = db.session().scalars(select(OutgoingMail)).all()
        assert token not in stored.body_text and token not in (stored.body_html or "")
        assert "Hello Els Mertens," in stored.body_text  # the rest stays, for the record

    # A mail scanner (or the mentor) opens the link: nothing is spent, nobody is signed in.
    mentor = english_client(app)
    first = mentor.get(path_of(url))
    assert first.status_code == 200
    assert "Sign in as Els Mertens" in text(first)
    assert "mentor of Lotte Janssens at Sint-Jozefscollege Aalst" in text(first)
    assert first.headers["Referrer-Policy"] == "no-referrer"
    assert first.headers["Cache-Control"] == "no-store"
    assert not signed_in(mentor)
    second = english_client(app).get(path_of(url))
    assert second.status_code == 200
    assert "Sign in as Els Mertens" in text(second)
    [row] = invitation_rows(app)
    assert (row.state, row.used_at) == (InvitationState.OPENED, None)
    assert row.opened_at is not None
    assert 'data-state="opened"' in scene.placement_page(scene.lotte)

    # The button signs in; the portal shows exactly Els's students, from both courses.
    response = mentor.post(path_of(url), data={"csrf_token": csrf(text(first))})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/mentor")
    assert "driehoek_mentor=" in response.headers.get("Set-Cookie", "") + str(
        response.headers.getlist("Set-Cookie")
    )
    portal = mentor.get("/mentor")
    assert portal.status_code == 200
    assert "Lotte Janssens" in text(portal)
    assert "Noor Vermeulen" in text(portal)
    assert "Bram Claes" not in text(portal)
    # No roster: the coach is named only as whom to call about one's own students.
    contacts = text(portal).split('<ul class="contacts">', 1)
    assert "An Peeters" not in contacts[0]
    assert 'href="mailto:an@hogeschool.example"' in contacts[1]

    coach_view = scene.placement_page(scene.lotte)
    assert 'data-state="active"' in coach_view
    assert "Signed in; last sign-in" in coach_view

    # The same link again: a clear page and a way to a new link; it signs nobody in.
    reused = english_client(app)
    page = reused.get(path_of(url))
    assert page.status_code == 410
    assert "This link was already used" in text(page)
    assert 'action="/mentor/request-link"' in text(page)
    assert "E-mail me a new link" in text(page)
    assert reused.post(path_of(url), data={"csrf_token": csrf(text(page))}).status_code == 410
    assert not signed_in(reused)

    # On the device where Els is signed in, the used link leads to her students.
    again = mentor.get(path_of(url))
    assert again.status_code == 303 and again.headers["Location"].endswith("/mentor")

    with app.app_context():
        actions = db.session().scalars(
            select(ChangeRecord.action)
            .where(ChangeRecord.entity == "invitation", ChangeRecord.entity_id == row.id)
            .order_by(ChangeRecord.id)
        )
        assert list(actions) == ["sent", "opened", "used"]


def test_the_button_needs_its_csrf_token(app: Flask, scene: Scene) -> None:
    url = issue_sign_in_link(app, ELS)
    mentor = english_client(app)
    assert mentor.post(path_of(url), data={}).status_code == 400
    assert not signed_in(mentor)
    assert press_button(mentor, path_of(url)).status_code == 303  # still unspent


def test_two_clicks_at_once_sign_in_once(app: Flask, scene: Scene) -> None:
    url = issue_sign_in_link(app, ELS)
    token = url.rsplit("/", 1)[1]
    with app.app_context():
        s = db.session()
        first = links.spend(s, token)
        second = links.spend(s, token)
        s.commit()
    assert first[1] is None and first[0] is not None
    assert second[1] is links.LinkProblem.USED


def test_an_expired_link_says_so_and_mails_a_new_one_on_request(
    app: Flask, scene: Scene, smtp: SmtpServer
) -> None:
    with app.test_request_context():
        s = db.session()
        placement = s.get(Placement, scene.lotte)
        mentor = s.get(Mentor, scene.els)
        assert placement is not None and mentor is not None
        old = invitations.invite(s, placement, mentor, None, now=utcnow() - timedelta(days=15))
        s.commit()

    visitor = english_client(app)
    page = visitor.get(path_of(old.url))
    assert page.status_code == 410
    assert "This link has expired" in text(page)
    assert "works for 14 days" in text(page)
    assert visitor.post(path_of(old.url), data={"csrf_token": csrf(text(page))}).status_code == 410
    assert not signed_in(visitor)
    assert 'data-state="expired"' in scene.placement_page(scene.lotte)

    # One tap: a new link goes to the address Driehoek knows, not to whoever taps.
    renewed = visitor.post(path_of(old.url) + "/renew", data={"csrf_token": csrf(text(page))})
    assert renewed.status_code == 200
    assert "on its way to the e-mail address Driehoek knows for you" in text(renewed)
    deliver(app)
    fresh = [m for m in received(smtp) if m["Subject"] == "Your sign-in link for Driehoek"]
    assert [m["To"] for m in fresh] == [ELS]
    assert press_button(visitor, path_of(link_in(fresh[0]))).status_code == 303
    assert signed_in(visitor)


def test_a_withdrawn_link_says_so(app: Flask, scene: Scene, smtp: SmtpServer) -> None:
    scene.invite(scene.lotte, ELS)
    deliver(app)
    url = link_in(received(smtp)[0])
    [row] = invitation_rows(app)

    response = scene.coach.post(
        f"/coach/placements/{scene.lotte}/invitations/{row.id}/revoke",
        data={"csrf_token": scene.coach_token()},
    )
    assert response.status_code == 303
    page = scene.placement_page(scene.lotte)
    assert f"The link to {ELS} no longer works." in page
    assert 'data-state="revoked"' in page

    visitor = english_client(app)
    dead = visitor.get(path_of(url))
    assert dead.status_code == 410
    assert "This link was withdrawn" in text(dead)
    assert 'action="/mentor/request-link"' in text(dead)
    assert visitor.post(path_of(url), data={"csrf_token": csrf(text(dead))}).status_code == 410
    assert not signed_in(visitor)


def test_a_link_that_signed_in_cannot_be_withdrawn(
    app: Flask, scene: Scene, smtp: SmtpServer
) -> None:
    scene.invite(scene.lotte, ELS)
    deliver(app)
    assert press_button(english_client(app), path_of(link_in(received(smtp)[0]))).status_code == 303
    [row] = invitation_rows(app)
    scene.coach.post(
        f"/coach/placements/{scene.lotte}/invitations/{row.id}/revoke",
        data={"csrf_token": scene.coach_token()},
    )
    page = scene.placement_page(scene.lotte)
    assert "This link was already used" in page
    assert 'data-state="active"' in page


def test_resending_replaces_the_older_link(app: Flask, scene: Scene, smtp: SmtpServer) -> None:
    scene.invite(scene.lotte, ELS)
    deliver(app)
    [first_row] = invitation_rows(app)
    response = scene.coach.post(
        f"/coach/placements/{scene.lotte}/invitations/{first_row.id}/resend",
        data={"csrf_token": scene.coach_token()},
    )
    assert response.status_code == 303
    assert f"A new link was sent to {ELS}." in scene.placement_page(scene.lotte)
    deliver(app)
    first, second = (link_in(m) for m in received(smtp))
    assert first != second

    visitor = english_client(app)
    assert "This link was withdrawn" in text(visitor.get(path_of(first)))
    assert press_button(visitor, path_of(second)).status_code == 303
    assert signed_in(visitor)
    states = [r.state for r in invitation_rows(app)]
    assert states == [InvitationState.REVOKED, InvitationState.ACTIVE]


def test_an_unknown_link_says_it_does_not_work(app: Flask, scene: Scene) -> None:
    page = english_client(app).get("/m/not-a-real-token")
    assert page.status_code == 404
    assert "This link does not work" in text(page)
    assert 'action="/mentor/request-link"' in text(page)
    assert "E-mail me a new link" not in text(page)


# -- the coach's side ---------------------------------------------------------------------------


def test_the_coach_sees_a_bounced_invitation(app: Flask, scene: Scene, smtp: SmtpServer) -> None:
    smtp.mailbox.refuse[ELS] = "550 5.1.1 <els.mertens@sint-jozef.example>: User unknown"
    scene.invite(scene.lotte, ELS)
    deliver(app)
    page = scene.placement_page(scene.lotte)
    assert 'data-state="bounced"' in page
    assert "The mail server refused this address" in page


def test_the_coach_invites_a_new_mentor_by_address(
    app: Flask, scene: Scene, smtp: SmtpServer
) -> None:
    response = scene.invite(
        scene.bram, "Katrien.Wouters@Atheneum.example", name="Katrien Wouters", language="nl"
    )
    assert response.status_code == 303
    deliver(app)
    [mail] = received(smtp)
    assert mail["To"] == "katrien.wouters@atheneum.example"
    assert mail["Content-Language"] == "nl"
    with app.app_context():
        s = db.session()
        katrien = s.scalars(
            select(Mentor).where(Mentor.email == "katrien.wouters@atheneum.example")
        ).one()
        assert (katrien.name, katrien.locale) == ("Katrien Wouters", "nl")
        assert s.scalar(
            select(PlacementMentor.id).where(
                PlacementMentor.placement_id == scene.bram, PlacementMentor.mentor_id == katrien.id
            )
        )
        added = s.scalars(
            select(ChangeRecord).where(
                ChangeRecord.entity == "placement", ChangeRecord.action == "mentor_added"
            )
        ).one()
        coach = s.scalars(select(PersonRow).where(PersonRow.sub == "coach-1")).one()
        assert added.actor == f"person:{coach.id}"


def test_a_known_mentor_keeps_name_and_language(app: Flask, scene: Scene, smtp: SmtpServer) -> None:
    scene.invite(scene.bram, ELS.upper(), name="Someone Else", language="nl")
    deliver(app)
    [mail] = received(smtp)
    assert mail["Content-Language"] == "en"
    assert "Hello Els Mertens," in plain(mail)


def test_a_bad_address_is_refused_with_a_reason_and_nothing_is_sent(
    app: Flask, scene: Scene, smtp: SmtpServer
) -> None:
    response = scene.invite(scene.lotte, "els at sint-jozef")
    assert response.status_code == 303
    assert "Enter one e-mail address" in scene.placement_page(scene.lotte)
    assert deliver(app) == 0
    assert invitation_rows(app) == []


def test_an_unapproved_placement_cannot_invite_yet(app: Flask, scene: Scene) -> None:
    with app.app_context():
        s = db.session()
        placement = s.get(Placement, scene.lotte)
        assert placement is not None
        placement.state = PlacementState.PROPOSED
        s.commit()
    scene.invite(scene.lotte, ELS)
    assert "Approve the placement before you invite its mentor." in scene.placement_page(
        scene.lotte
    )
    assert invitation_rows(app) == []


def test_a_coach_acts_only_on_placements_of_their_course(app: Flask, scene: Scene) -> None:
    assert scene.invite(scene.noor, ELS).status_code == 404  # Noor is in another course
    assert invitation_rows(app) == []


def test_students_and_mentors_cannot_invite(
    app: Flask, scene: Scene, launched: Any, browser: Any
) -> None:
    student = Person("student-9", "Lotte Janssens", [LEARNER], "lotte@student.example", locale="en")
    launched(student)  # the shared browser is now the student's
    token = csrf(text(scene.coach.get("/student")))
    response = scene.coach.post(
        f"/coach/placements/{scene.lotte}/invitations", data={"csrf_token": token, "email": ELS}
    )
    assert response.status_code == 403

    mentor = english_client(app)
    press_button(mentor, path_of(issue_sign_in_link(app, ELS)))
    token = csrf(text(mentor.get("/mentor")))
    response = mentor.post(
        f"/coach/placements/{scene.lotte}/invitations", data={"csrf_token": token, "email": JAN}
    )
    assert response.status_code == 403
    assert invitation_rows(app)[-1].placement_id is None  # only the sign-in link above


# -- asking for a fresh link --------------------------------------------------------------------


def _ask(client: FlaskClient, email: str) -> Any:
    page = client.get("/mentor/request-link")
    return client.post(
        "/mentor/request-link", data={"csrf_token": csrf(text(page)), "email": email}
    )


CSRF_VALUE = re.compile(r'(name="csrf_token" value=")[^"]+(")')


def _same_page(page: str, address: str) -> str:
    assert CSRF_VALUE.search(page), "the page's form has a CSRF token"
    return CSRF_VALUE.sub(r"\1…\2", page.replace(address, "@"))


def test_asking_for_a_link_answers_the_same_for_unknown_addresses(
    app: Flask, scene: Scene, smtp: SmtpServer
) -> None:
    client = english_client(app)
    known = _ask(client, ELS)
    unknown = _ask(client, "nobody@sint-jozef.example")
    assert known.status_code == unknown.status_code == 200
    assert "is on its way" in text(known)
    # The same page but for the address typed, and the forms' CSRF tokens (which carry the
    # second they were made in).
    assert _same_page(text(known), ELS) == _same_page(text(unknown), "nobody@sint-jozef.example")

    deliver(app)
    assert [m["To"] for m in received(smtp)] == [ELS]
    url = link_in(received(smtp)[0])
    with app.app_context():
        row = db.session().scalars(select(MentorInvitation)).one()
        assert row.placement_id is None  # a general sign-in link
    assert press_button(client, path_of(url)).status_code == 303
    assert "Lotte Janssens" in text(client.get("/mentor"))


def test_asking_for_a_link_checks_the_address_first(app: Flask, scene: Scene) -> None:
    page = _ask(english_client(app), "not an address")
    assert page.status_code == 400
    assert "Enter one e-mail address" in text(page)


def test_asking_for_links_is_rate_limited_per_address_and_per_client(
    app: Flask, scene: Scene, smtp: SmtpServer
) -> None:
    client = english_client(app)
    for _ in range(5):
        assert _ask(client, ELS).status_code == 200
    assert _ask(client, ELS).status_code == 429
    assert _ask(client, "NOBODY@example.be").status_code == 200  # another address still goes
    # At most 20 asks from one client within the hour, whatever the addresses.
    answered = 6
    for n in range(30):
        response = _ask(client, f"teacher{n}@example.be")
        if response.status_code == 429:
            assert "Too many attempts" in text(response)
            break
        answered += 1
    assert answered == 20
    assert _ask(client, JAN).status_code == 429
    assert _ask(english_client(app), JAN).status_code == 429  # the same network address
    deliver(app)
    assert [m["To"] for m in received(smtp)] == [ELS] * 5


def test_a_signed_out_mentor_is_offered_a_new_link(app: Flask, scene: Scene) -> None:
    page = english_client(app).get("/mentor")
    assert page.status_code == 401
    assert "Use the link from your invitation e-mail, or ask for a new link here." in text(page)
    assert 'action="/mentor/request-link"' in text(page)


def test_signing_out_ends_the_mentors_session(app: Flask, scene: Scene) -> None:
    mentor = english_client(app)
    press_button(mentor, path_of(issue_sign_in_link(app, ELS)))
    token = csrf(text(mentor.get("/mentor")))
    response = mentor.post("/mentor/sign-out", data={"csrf_token": token})
    assert response.status_code == 200
    assert "You are signed out" in text(response)
    assert not signed_in(mentor)


def test_the_mentors_session_lasts_mentor_session_days(app: Flask, scene: Scene) -> None:
    mentor = english_client(app)
    path = path_of(issue_sign_in_link(app, ELS))
    page = mentor.get(path)
    response = mentor.post(path, data={"csrf_token": csrf(text(page))})
    cookies = response.headers.getlist("Set-Cookie")
    [remember] = [c for c in cookies if c.startswith("driehoek_mentor=")]
    assert "HttpOnly" in remember and "SameSite=Lax" in remember
    expires = re.search(r"Expires=([^;]+)", remember)
    assert expires is not None
    from email.utils import parsedate_to_datetime

    lasts = parsedate_to_datetime(expires.group(1)) - utcnow()
    assert timedelta(days=29) < lasts <= timedelta(days=30)

    # A new browser session with only the remember cookie is still signed in.
    mentor.delete_cookie("driehoek_session")
    assert signed_in(mentor)


def test_the_invitation_mail_is_written_in_dutch_for_a_dutch_speaking_mentor(
    app: Flask, scene: Scene, smtp: SmtpServer
) -> None:
    with app.app_context():
        s = db.session()
        mentor = s.get(Mentor, scene.jan)
        assert mentor is not None
        mentor.locale = "nl"
        s.commit()
    scene.invite(scene.bram, JAN)
    deliver(app)
    [mail] = received(smtp)
    assert mail["Content-Language"] == "nl"
    html = mail.get_body(("html",))
    assert html is not None and 'lang="nl"' in cast(EmailMessage, html).get_content()
    assert link_in(mail).startswith("http://tool.test/m/")
    with app.app_context():
        stored = db.session().scalars(select(OutgoingMail)).one()
        assert stored.locale == "nl"


# -- the sandbox: a mailbox to follow the link, and a worker in the sandbox's process -----------


@pytest.fixture
def file_mail_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """Without MAIL_URL: mail is written to instance/mail/, as in development."""
    empty_tables(database_url)
    application = create_app(settings(database_url, tmp_path, MAIL_FROM=SENDER))
    yield application
    application.extensions["db_engine"].dispose()


def test_the_sandbox_mailbox_shows_the_invitation_with_a_link_to_follow(
    file_mail_app: Flask,
) -> None:
    app = file_mail_app
    els = add_mentor(app, ELS, "Els Mertens")
    add_placement(app, mentors=[els], student_name="Lotte Janssens")
    issue_sign_in_link(app, ELS)
    with app.test_request_context():
        s = db.session()
        invitations.send_sign_in_link(s, ELS)  # a second mail, newer
        s.commit()
    assert deliver(app) == 2

    browser = english_client(app)
    assert 'href="/sandbox/mail"' in text(browser.get("/sandbox/"))
    mailbox = browser.get("/sandbox/mail")
    assert mailbox.status_code == 200
    names = re.findall(r'href="/sandbox/mail/([^"]+)"', text(mailbox))
    assert len(names) == 2 and names == sorted(names, reverse=True)  # newest first
    assert ELS in text(mailbox)

    message = browser.get(f"/sandbox/mail/{names[0]}")
    assert message.status_code == 200
    link = re.search(r'<a href="(http://tool\.test/m/[^"]+)" rel="noreferrer">', text(message))
    assert link, text(message)
    assert "Your sign-in link for Driehoek" in text(message)
    assert press_button(browser, path_of(link.group(1))).status_code == 303
    assert "Lotte Janssens" in text(browser.get("/mentor"))


@pytest.mark.parametrize(
    "name", ["..%2fsecret_key", "secret_key", "x.eml", "20250101T000000000000Z-zzzz.eml"]
)
def test_the_mailbox_opens_only_its_own_mail_files(file_mail_app: Flask, name: str) -> None:
    assert english_client(file_mail_app).get(f"/sandbox/mail/{name}").status_code == 404


def test_sandbox_run_sends_mail_from_a_worker_in_its_own_process(file_mail_app: Flask) -> None:
    from lti_app.cli import start_background_worker
    from lti_app.notifications.models import MailState

    app = file_mail_app
    add_mentor(app, ELS, "Els Mertens")
    worker = start_background_worker(app)
    try:
        issue_sign_in_link(app, ELS)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with app.app_context():
                mail = db.session().scalars(select(OutgoingMail)).one()
                if mail.state == MailState.SENT:
                    break
            time.sleep(0.1)
        assert mail.state == MailState.SENT
    finally:
        worker.stop()
        for thread in threading.enumerate():
            if thread.name == "driehoek-worker":
                thread.join(timeout=5)
    assert [p.suffix for p in (Path(app.instance_path) / "mail").iterdir()] == [".eml"]


def test_latest_invitation_states_for_a_whole_course_at_once(
    app: Flask, scene: Scene, smtp: SmtpServer
) -> None:
    """For the coach's pipeline: per placement and mentor, the newest invitation's state."""
    from lti_app.guests.access import latest_invitation_states

    smtp.mailbox.refuse[JAN] = "550 5.1.1 User unknown"
    scene.invite(scene.lotte, ELS)
    scene.invite(scene.bram, JAN)
    deliver(app)
    press_button(english_client(app), path_of(link_in(received(smtp)[0])))
    with app.app_context():
        states = latest_invitation_states(db.session(), [scene.lotte, scene.bram, scene.noor])
    assert states == {
        scene.lotte: {scene.els: InvitationState.ACTIVE},
        scene.bram: {scene.jan: InvitationState.BOUNCED},
    }
