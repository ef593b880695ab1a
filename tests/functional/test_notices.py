"""Notices (lti_app/notifications/notices.py): a person is told when something waits for them,
in one mail per few minutes however much happens, then in the daily digest until it is done.

Mail goes out through the job worker to a real SMTP server on loopback, as it does in life;
the clock is moved with ``set_clock`` rather than waited for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lti_app import db
from lti_app.notifications.models import Notice, NoticeKind
from lti_app.notifications.notice_mail import next_digest_at
from lti_app.notifications.notices import open_notices, settle, tell
from lti_app.notifications.service import record_bounce
from lti_app.placements.models import Placement
from tests import factories
from tests.conftest import TOOL_BASE
from tests.functional.test_mail import Mailbox, SmtpServer, parts
from tests.guests import csrf, english_client, text
from tests.lms import TestLMS
from tests.servers import on_a_free_port
from tests.signing import ELS, LOTTE, run_jobs, three_parties

WINDOW = timedelta(minutes=5)  # NOTICE_BUNDLE_MINUTES by default
NOTICE_LINK = re.compile(re.escape(TOOL_BASE) + r"(/n/[A-Za-z0-9_-]{16,})")
SIGN_IN_LINK = re.compile(re.escape(TOOL_BASE) + r"(/m/[A-Za-z0-9_-]{20,})")
START = datetime.fromisoformat("2026-12-01T13:00:00+00:00")  # 14:00 in Brussels


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = on_a_free_port(lambda port: SmtpServer(Mailbox(), port).start())
    yield server
    server.stop()


@pytest.fixture
def app(database_url: str, instance_dir: Path, smtp: SmtpServer) -> Iterator[Flask]:
    """The app sending through the loopback server."""
    from lti_app import create_app
    from tests.conftest import empty_tables, settings

    empty_tables(database_url)
    application = create_app(settings(database_url, instance_dir, MAIL_URL=smtp.url))
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def world(app: Flask, set_clock: Callable[..., datetime]) -> dict[str, Any]:
    """A coach (English) with three placements of three students, each with a mentor."""
    set_clock(START)
    with app.app_context():
        s = db.session()
        with factories.bound(s):
            college = factories.the_college()
            college.name = "Hogeschool Gent"
            coach = factories.PersonFactory(name="An Peeters", email="an@hogeschool.example")
            coach.locale = "en"
            course = factories.CourseFactory(title="Stage SO 2")
            placements = [
                factories.PlacementFactory(
                    course=course,
                    coach=coach,
                    student=factories.PersonFactory(name=name, locale="en"),
                    school=factories.SchoolFactory(name=school),
                    mentors=[factories.MentorFactory(name=mentor, email=address, locale="en")],
                )
                for name, school, mentor, address in (
                    ("Lotte D'Hondt", "Sint-Jozefscollege", "Els Mertens", ELS),
                    ("Noor Willems", "Atheneum Aalst", "Jan Peeters", "jan@atheneum.example"),
                    ("Wout Maes", "Sint-Maria", "Mia Claes", "mia@sint-maria.example"),
                )
            ]
        s.commit()
        return {
            "coach": coach.get_id(),
            "placements": [p.id for p in placements],
            "students": [p.student.get_id() for p in placements],
            "mentors": [p.mentor_links[0].mentor.get_id() for p in placements],
        }


def _tell(app: Flask, placement_id: int, **kwargs: Any) -> str | None:
    """``tell`` as a service calls it, in its own committed transaction; the notice's token."""
    with app.test_request_context():
        s = db.session()
        placement = s.get(Placement, placement_id)
        assert placement is not None
        notice = tell(s, placement=placement, **kwargs)
        s.commit()
        return notice.token if notice else None


def _settle(app: Flask, **kwargs: Any) -> int:
    with app.test_request_context():
        s = db.session()
        count = settle(s, **kwargs)
        s.commit()
        return count


def _work(app: Flask, set_clock: Callable[..., datetime], at: datetime) -> None:
    set_clock(at)
    run_jobs(app)


def _mails(smtp: SmtpServer, address: str) -> list[EmailMessage]:
    return [m for m in smtp.mailbox.messages() if m["To"] == address]


def _your_turn(world: dict[str, Any], i: int, recipient: str | None = None) -> dict[str, Any]:
    return {
        "recipient": recipient or world["coach"],
        "kind": NoticeKind.AGREEMENT_YOUR_TURN,
        "about": f"agreement:{i + 1}",
        "link": f"/placements/{world['placements'][i]}",
    }


# -- bundled: one mail per person per window -----------------------------------------------------


def test_what_happens_within_the_window_comes_in_one_mail_and_what_comes_later_in_another(
    app: Flask, world: dict[str, Any], smtp: SmtpServer, set_clock: Callable[..., datetime]
) -> None:
    coach = "an@hogeschool.example"
    tokens = [_tell(app, world["placements"][0], **_your_turn(world, 0))]
    set_clock(START + timedelta(minutes=2))
    tokens += [_tell(app, world["placements"][i], **_your_turn(world, i)) for i in (1, 2)]

    _work(app, set_clock, START + WINDOW - timedelta(seconds=1))
    assert _mails(smtp, coach) == []  # the window from the first notice has not passed
    _work(app, set_clock, START + WINDOW)
    [mail] = _mails(smtp, coach)
    assert mail["Subject"] == "3 updates about placements in Driehoek"
    body, html = parts(mail)
    for student, school in (
        ("Lotte D'Hondt", "Sint-Jozefscollege"),
        ("Noor Willems", "Atheneum Aalst"),
        ("Wout Maes", "Sint-Maria"),
    ):
        assert f"It is your turn to sign the placement agreement of {student} at {school}." in body
    assert body.count("Hogeschool Gent, Stage SO 2") == 3
    assert "Lotte D&#39;Hondt" in html and "Lotte D'Hondt" not in html
    assert NOTICE_LINK.findall(body) == [f"/n/{t}" for t in tokens]
    assert not SIGN_IN_LINK.search(body)  # a coach gets in through the LMS

    _work(app, set_clock, START + timedelta(hours=1))
    assert len(_mails(smtp, coach)) == 1  # told once
    returned = {
        "recipient": world["coach"],
        "kind": NoticeKind.HOURS_RETURNED,
        "about": "hours:9",
        "link": f"/placements/{world['placements'][1]}",
        "details": {"actor": "Jan Peeters", "count": 2, "reason": "Wrong day"},
    }
    _tell(app, world["placements"][1], **returned)
    _work(app, set_clock, START + timedelta(hours=1) + WINDOW)
    second = _mails(smtp, coach)[1]
    assert second["Subject"] == "Hours of Noor Willems came back to be corrected"
    body, html = parts(second)
    assert "Jan Peeters returned 2 hour entries of Noor Willems at Atheneum Aalst" in body
    assert "Reason: Wrong day" in body
    assert "Lotte" not in body  # told already: not again in the next bundle
    # One notice: one button, which is its link.
    [button] = re.findall(r'<a href="([^"]+)" style="display:inline-block', html)
    assert NOTICE_LINK.fullmatch(button)


def test_two_mails_to_one_person_are_a_window_apart_whatever_the_jobs(
    app: Flask, world: dict[str, Any], smtp: SmtpServer, set_clock: Callable[..., datetime]
) -> None:
    _tell(app, world["placements"][0], **_your_turn(world, 0))
    _work(app, set_clock, START + WINDOW)
    assert len(_mails(smtp, "an@hogeschool.example")) == 1
    set_clock(START + WINDOW + timedelta(seconds=30))
    _tell(app, world["placements"][1], **_your_turn(world, 1))
    # A second bundle job that comes due at once (as one planned while another ran does):
    from lti_app.jobs.service import enqueue
    from lti_app.notifications.notices import BUNDLE_JOB

    with app.app_context():
        s = db.session()
        enqueue(s, BUNDLE_JOB, {"recipient": world["coach"]}, dedupe_key="extra")
        s.commit()
    _work(app, set_clock, START + WINDOW + timedelta(minutes=1))
    assert len(_mails(smtp, "an@hogeschool.example")) == 1  # not within the window
    _work(app, set_clock, START + 2 * WINDOW)
    assert len(_mails(smtp, "an@hogeschool.example")) == 2


def test_a_newer_notice_of_the_same_thing_replaces_the_older(
    app: Flask, world: dict[str, Any], smtp: SmtpServer, set_clock: Callable[..., datetime]
) -> None:
    student = world["students"][0]
    changed = {
        "recipient": student,
        "kind": NoticeKind.AGREEMENT_CHANGED,
        "about": "agreement:1",
        "link": f"/placements/{world['placements'][0]}",
    }
    _tell(app, world["placements"][0], **changed, details={"changes": [{"label": "End date"}]})
    details = {
        "actor": "An Peeters",
        "changes": [{"label": "End date", "before": "30 May 2027", "after": "13 June 2027"}],
    }
    _tell(app, world["placements"][0], **changed, details=details)
    with app.app_context():
        s = db.session()
        [only] = s.scalars(select(Notice)).all()
        address = s.get(Placement, world["placements"][0]).student.email  # type: ignore[union-attr]
    assert only.details == details
    _work(app, set_clock, START + WINDOW)
    [mail] = _mails(smtp, address)
    assert mail["Subject"] == "The agreement of Lotte D'Hondt changed: please sign again"
    body, html = parts(mail)
    assert (
        "An Peeters changed the placement agreement of Lotte D'Hondt at Sint-Jozefscollege" in body
    )
    assert "End date: 30 May 2027 → 13 June 2027" in body
    assert "<del>30 May 2027</del>" in html

    # Told, not done, and changed again: the new notice retires the one already mailed.
    set_clock(START + timedelta(hours=1))
    _tell(app, world["placements"][0], **changed, details=details)
    _work(app, set_clock, START + timedelta(hours=1) + WINDOW)
    assert len(_mails(smtp, address)) == 2
    with app.app_context():
        assert len(open_notices(db.session(), student)) == 1


# -- done: settled notices are not mailed, and leave the digest --------------------------------


def test_a_settled_notice_is_never_mailed_and_what_is_open_comes_back_daily_until_done(
    app: Flask, world: dict[str, Any], smtp: SmtpServer, set_clock: Callable[..., datetime]
) -> None:
    coach = "an@hogeschool.example"
    for i in (0, 1):
        _tell(app, world["placements"][i], **_your_turn(world, i))
    approved = {
        "recipient": world["coach"],
        "kind": NoticeKind.PLACEMENT_APPROVED,
        "about": "placement:3",
        "link": f"/placements/{world['placements'][2]}",
    }
    _tell(app, world["placements"][2], **approved)
    assert _settle(app, about="agreement:1", recipient=world["coach"]) == 1  # signed meanwhile
    _work(app, set_clock, START + WINDOW)
    [mail] = _mails(smtp, coach)
    body, _ = parts(mail)
    assert (
        "Noor Willems" in body and "The placement of Wout Maes at Sint-Maria is approved." in body
    )
    assert "Lotte" not in body
    with app.app_context():
        # News is done once told; what asks something stays open.
        assert [n.about for n in open_notices(db.session(), world["coach"])] == ["agreement:2"]

    digest_at = next_digest_at(START, 8)
    _work(app, set_clock, digest_at - timedelta(minutes=1))
    assert len(_mails(smtp, coach)) == 1
    _work(app, set_clock, digest_at + timedelta(minutes=1))
    digest = _mails(smtp, coach)[1]
    assert digest["Subject"] == "Still waiting for you in Driehoek"
    body, _ = parts(digest)
    assert "One thing in Driehoek still waits for you:" in body
    assert "Noor Willems" in body and "Wout Maes" not in body and "Lotte" not in body

    _settle(app, about="agreement:2", kind=NoticeKind.AGREEMENT_YOUR_TURN)
    _work(app, set_clock, digest_at + timedelta(days=1, minutes=1))
    assert len(_mails(smtp, coach)) == 2  # nothing open: no digest
    _work(app, set_clock, digest_at + timedelta(days=2, minutes=1))
    assert len(_mails(smtp, coach)) == 2


def test_nobody_is_told_what_they_did_themselves_nor_mailed_at_a_bounced_address(
    app: Flask, world: dict[str, Any], smtp: SmtpServer, set_clock: Callable[..., datetime]
) -> None:
    assert _tell(app, world["placements"][0], **_your_turn(world, 0), actor=world["coach"]) is None
    with app.app_context():
        s = db.session()
        record_bounce(s, "an@hogeschool.example", "550 no such user")
        s.commit()
    _tell(app, world["placements"][1], **_your_turn(world, 1))
    _work(app, set_clock, START + WINDOW)
    assert smtp.mailbox.rcpt_seen == []
    with pytest.raises(ValueError):
        _tell(app, world["placements"][1], **{**_your_turn(world, 1), "link": "//evil.example/"})


# -- the link opens the right page -----------------------------------------------------------


def test_a_mentor_signs_in_from_the_mail_and_its_link_then_opens_the_placement(
    app: Flask, world: dict[str, Any], smtp: SmtpServer, set_clock: Callable[..., datetime]
) -> None:
    placement = world["placements"][0]
    _tell(
        app,
        placement,
        recipient=world["mentors"][0],
        kind=NoticeKind.AGREEMENT_YOUR_TURN,
        about="agreement:1",
        link=f"/mentor/placements/{placement}",
    )
    _work(app, set_clock, START + WINDOW)
    [mail] = _mails(smtp, ELS)
    assert mail["Subject"] == "Your turn to sign the agreement of Lotte D'Hondt"
    body, html = parts(mail)
    assert "Hogeschool Gent, Stage SO 2" in body
    [sign_in] = SIGN_IN_LINK.findall(body)
    [notice] = NOTICE_LINK.findall(body)
    assert "Sign in to Driehoek" in html

    browser = english_client(app)
    elsewhere = browser.get(notice)
    assert elsewhere.status_code == 200
    assert "Sign in with the personal link in your e-mail" in text(elsewhere)
    page = browser.get(sign_in)
    assert browser.post(sign_in, data={"csrf_token": csrf(text(page))}).status_code == 303
    opened = browser.get(notice)
    assert opened.status_code == 303
    assert opened.headers["Location"] == f"/mentor/placements/{placement}"
    assert browser.get(opened.headers["Location"]).status_code == 200
    with app.app_context():  # the stored copy keeps no sign-in token once sent
        from lti_app.notifications.models import OutgoingMail

        stored = db.session().scalars(select(OutgoingMail.body_text)).all()
        assert not any(SIGN_IN_LINK.search(b) for b in stored)


def test_a_students_link_opens_the_page_when_signed_in_and_otherwise_names_the_course(
    app: Flask, lms: TestLMS, smtp: SmtpServer, set_clock: Callable[..., datetime]
) -> None:
    set_clock(START)
    parties = three_parties(app, lms)
    link = f"/my/placements/{parties.placement}"
    _tell(
        app,
        parties.placement,
        recipient=_person(app, LOTTE.sub),
        kind=NoticeKind.PLACEMENT_RETURNED,
        about=f"placement:{parties.placement}",
        link=link,
        details={"actor": "An Peeters", "reason": "Name your mentor's subject."},
    )
    _work(app, set_clock, START + WINDOW)
    [mail] = [m for m in _mails(smtp, LOTTE.email) if "came back" in str(m["Subject"])]
    body, _ = parts(mail)
    assert "An Peeters sent the placement proposal of Lotte Janssens" in body
    assert "Reason: Name your mentor's subject." in body
    [notice] = NOTICE_LINK.findall(body)

    opened = parties.student.get(notice)  # her browser, signed in through the LMS
    assert opened.status_code == 303 and opened.headers["Location"] == link
    assert parties.student.get(link).status_code == 200

    for somebody_else in (english_client(app), parties.coach):
        page = somebody_else.get(notice)
        assert page.status_code == 200
        with app.app_context():
            course = db.session().get(Placement, parties.placement).course  # type: ignore[union-attr]
            college = course.platform.college.name
        assert f"Open Driehoek from your course {course.title} in the learning platform of" in text(
            page
        ).replace("\n", " ")
        assert college in text(page)
        assert "Lotte" not in text(page)
    assert "signed in here as someone other" in text(parties.coach.get(notice))
    assert english_client(app).get("/n/not-a-notice-token-at-all").status_code == 404


def _person(app: Flask, sub: str) -> str:
    from lti_app.roster.models import Person

    with app.app_context():
        person = db.session().scalars(select(Person).where(Person.sub == sub)).one()
        return person.get_id()
