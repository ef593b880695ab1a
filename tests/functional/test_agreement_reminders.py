"""Reminders of signatures to give: a notice when the turn comes (bundled: one mail for what
comes together), then the one daily digest per person, whatever the number of agreements
waiting, through the job worker at AGREEMENT_DIGEST_HOUR (Brussels). The agreement's own digest
was folded into the notices' (lti_app/agreements/reminders.py): one digest a day, not two."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from lti_app import clock, db
from lti_app.agreements import service, signing, template_service
from lti_app.notifications.notice_mail import next_digest_at
from lti_app.placements.models import Placement
from tests.guests import add_placement
from tests.lms import TestLMS
from tests.signing import ELS, Parties, course_programme, mails_to, run_jobs, three_parties

SIGN_IN = re.compile(r"http://tool\.test(/m/[A-Za-z0-9_-]{20,}|\[…\])")


def test_the_digest_moment_is_the_next_eight_oclock_in_brussels() -> None:
    def at(text: str) -> datetime:
        return datetime.fromisoformat(text)

    # Brussels is UTC+1 in winter, UTC+2 in summer.
    assert next_digest_at(at("2026-12-01T06:00:00+00:00"), 8) == at("2026-12-01T07:00:00+00:00")
    assert next_digest_at(at("2026-12-01T07:00:00+00:00"), 8) == at("2026-12-02T07:00:00+00:00")
    assert next_digest_at(at("2026-07-01T05:30:00+00:00"), 8) == at("2026-07-01T06:00:00+00:00")
    assert next_digest_at(at("2026-03-28T08:00:00+00:00"), 8) == at("2026-03-29T06:00:00+00:00")


@pytest.fixture
def parties(app: Flask, lms: TestLMS) -> Parties:
    return three_parties(app, lms)


def _school_first_agreements(app: Flask, parties: Parties, placements: list[int]) -> None:
    """Agreements for these placements, out for signing with the school's signature first."""
    with app.test_request_context():
        s = db.session()
        template = template_service.save_template(
            s,
            programme=course_programme(s, parties.course),
            language="nl",
            college_name="Hogeschool",
            sections=[],
            signing_order="school>student>college",
            actor="system",
        )
        for placement_id in placements:
            placement = s.get(Placement, placement_id)
            assert placement is not None
            agreement = service.create_agreement(s, placement, template, "person:1")
            service.send_for_signing(s, agreement, "person:1")
        s.commit()


WINDOW = timedelta(minutes=5)  # NOTICE_BUNDLE_MINUTES


def _digest_after_bundle(start: datetime) -> datetime:
    """The first digest moment at least an hour after the bundle mailed at ``start + WINDOW``."""
    return next_digest_at(start + WINDOW + timedelta(hours=1), 8)


def test_a_mentor_with_three_agreements_waiting_gets_one_mail_then_one_digest_a_day(
    app: Flask, parties: Parties, set_clock: Any
) -> None:
    start = set_clock(clock.now())  # the whole test plans from this one moment
    with app.app_context():
        els = db.session().get(Placement, parties.placement).mentor_links[0].mentor_id  # type: ignore[union-attr]
    others = [
        add_placement(app, mentors=[els], course_id=parties.course, student_name=name)
        for name in ("Noor Willems", "Wout Maes")
    ]
    _school_first_agreements(app, parties, [parties.placement, *others])
    before = len(mails_to(app, ELS))

    set_clock(start + WINDOW)
    run_jobs(app)  # the three turns came together: one mail tells them all
    [told] = mails_to(app, ELS)[before:]
    for student in ("Lotte Janssens", "Noor Willems", "Wout Maes"):
        assert student in told.body_text
    # The students sign after the school: they get nothing yet.
    assert not [m for m in mails_to(app, "lotte@student.example") if "sign" in m.subject]

    slot = _digest_after_bundle(start)
    set_clock(slot - timedelta(minutes=1))
    run_jobs(app)
    assert len(mails_to(app, ELS)) == before + 1
    set_clock(slot + timedelta(minutes=1))
    run_jobs(app)
    [digest] = mails_to(app, ELS)[before + 1 :]
    assert digest.subject == "Still waiting for you in Driehoek"
    for student in ("Lotte Janssens", "Noor Willems", "Wout Maes"):
        assert student in digest.body_text
    # A sign-in link: as sent, or as stored once sent (the token forgotten).
    assert SIGN_IN.search(digest.body_text), digest.body_text
    with app.app_context():
        from sqlalchemy import select

        from lti_app.guests.models import MentorInvitation

        link = (
            db.session()
            .scalars(select(MentorInvitation).order_by(MentorInvitation.id.desc()))
            .first()
        )
        assert link is not None and link.expires_at - link.created_at == timedelta(days=2)

    set_clock(slot + timedelta(hours=3))
    run_jobs(app)  # later that day: no second mail
    assert len(mails_to(app, ELS)) == before + 2
    set_clock(slot + timedelta(days=1, minutes=1))
    run_jobs(app)  # the next morning, again
    assert len(mails_to(app, ELS)) == before + 3


def test_no_digest_once_everything_is_signed(app: Flask, parties: Parties, set_clock: Any) -> None:
    start = set_clock(clock.now())
    from lti_app.agreements.parties import Signer, school_signer
    from lti_app.placements.service import get_placement

    _school_first_agreements(app, parties, [parties.placement])
    before = len(mails_to(app, ELS))
    set_clock(start + WINDOW)
    run_jobs(app)
    assert len(mails_to(app, ELS)) == before + 1  # told it is the school's turn
    set_clock(start + WINDOW + timedelta(minutes=1))
    with app.test_request_context():
        s = db.session()
        placement = get_placement(s, parties.placement)
        assert placement is not None
        [agreement] = service.agreements_of(s, placement.id)
        document = service.main_document(agreement)
        signer: Signer | None = school_signer(placement.mentor_links[0].mentor, placement)
        assert signer is not None
        signing.sign(s, document, signer, document.text_sha256)
        s.commit()
    set_clock(start + 2 * WINDOW + timedelta(minutes=1))
    run_jobs(app)
    set_clock(_digest_after_bundle(start) + timedelta(minutes=1))
    run_jobs(app)
    assert len(mails_to(app, ELS)) == before + 1  # signed: no digest
    # The student's turn has come: she hears of it once, in her language, with no sign-in link.
    [mail] = [m for m in mails_to(app, "lotte@student.example") if "sign" in m.subject]
    assert mail.subject == "Your turn to sign the agreement of Lotte Janssens"
    assert "otherwise open Driehoek from your course" in mail.body_text
    assert "/m/" not in mail.body_text


def test_the_digest_writes_names_as_they_are(app: Flask, lms: TestLMS, set_clock: Any) -> None:
    start = set_clock(clock.now())
    parties = three_parties(app, lms, school="Sint-Jozef & Sint-Rita")
    with app.app_context():
        placement = db.session().get(Placement, parties.placement)
        assert placement is not None
        placement.student.name = "Lotte D'Hondt"
        db.session().commit()
    _school_first_agreements(app, parties, [parties.placement])
    set_clock(start + WINDOW)
    run_jobs(app)
    set_clock(_digest_after_bundle(start) + timedelta(minutes=1))
    run_jobs(app)
    [told] = [m for m in mails_to(app, ELS) if m.subject.startswith("Your turn")]
    [digest] = [m for m in mails_to(app, ELS) if m.subject == "Still waiting for you in Driehoek"]
    assert told.subject == "Your turn to sign the agreement of Lotte D'Hondt"
    for mail in (told, digest):
        assert "Lotte D'Hondt" in mail.body_text and "Sint-Jozef & Sint-Rita" in mail.body_text
        html = mail.body_html or ""
        assert "D&#39;Hondt" in html or "D&#x27;Hondt" in html
