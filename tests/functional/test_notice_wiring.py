"""Who is told what, by the services that make it happen (issue 9, item 2): sent for signing,
the turn passing on, the agreement active, a change that voids signatures, a proposal approved
or returned, hours returned. Each person once, with a link that opens the right page for them,
bundled when several things happen together, and in the daily digest until it is done.

Real launches and pages, the job worker for the mail; the clock is moved, never waited for.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lti_app import clock, db
from lti_app.notifications.models import OutgoingMail
from lti_app.notifications.notice_mail import next_digest_at
from lti_app.placements.models import Placement, PlacementState
from tests.conftest import TOOL_BASE
from tests.guests import csrf, text
from tests.lms import TestLMS
from tests.signing import (
    COACH,
    ELS,
    LOTTE,
    Parties,
    make_agreement,
    post,
    run_jobs,
    send_for_signing,
    sign,
    three_parties,
)

WINDOW = timedelta(minutes=5)  # NOTICE_BUNDLE_MINUTES
NOTICE_LINK = re.compile(re.escape(TOOL_BASE) + r"(/n/[A-Za-z0-9_-]{16,})")
DIGEST = "Still waiting for you in Driehoek"
SetClock = Callable[..., datetime]


class Mailboxes:
    """The notice mails each party got (subjects of the bundles and digests only)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def of(self, address: str) -> list[OutgoingMail]:
        with self.app.app_context():
            s = db.session()
            found = [
                m
                for m in s.query(OutgoingMail).order_by(OutgoingMail.id)
                if m.to_address == address and "/n/" in m.body_text
            ]
            s.expunge_all()
            return found


@pytest.fixture
def parties(app: Flask, lms: TestLMS, set_clock: SetClock) -> Parties:
    set_clock(clock.now())  # stopped: the test moves it
    return three_parties(app, lms)


def _later(set_clock: SetClock, by: timedelta) -> datetime:
    return set_clock(clock.now() + by)


def _bundles(app: Flask, set_clock: SetClock) -> None:
    """Let the bundle window pass and the worker mail what came."""
    _later(set_clock, WINDOW + timedelta(seconds=1))
    run_jobs(app)


def _opens(client: FlaskClient, mail: OutgoingMail, path: str) -> str:
    """The mail's link (one of them) leads this person to ``path``, which shows; its text."""
    targets = []
    for link in NOTICE_LINK.findall(mail.body_text):
        opened = client.get(link)
        if opened.status_code == 303:
            targets.append(opened.headers["Location"])
    assert path in targets, (path, targets)
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return text(page)


def _proposed(app: Flask, placement_id: int) -> None:
    with app.app_context():
        placement = db.session().get(Placement, placement_id)
        assert placement is not None
        placement.state = PlacementState.PROPOSED
        db.session().commit()


# -- the agreement -------------------------------------------------------------------------------


def test_approving_and_sending_within_a_minute_come_to_the_student_in_one_mail(
    app: Flask, parties: Parties, set_clock: SetClock
) -> None:
    mails = Mailboxes(app)
    _proposed(app, parties.placement)
    placement_page = f"/placements/{parties.placement}"
    approved = post(parties.coach, placement_page, f"{placement_page}/approve")
    assert approved.status_code == 303
    _later(set_clock, timedelta(seconds=40))
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)

    _bundles(app, set_clock)
    [mail] = mails.of(LOTTE.email)
    assert mail.subject == "2 updates about placements in Driehoek"
    assert "An Peeters approved the placement of Lotte Janssens at Sint-Jozefscollege." in (
        mail.body_text
    )
    assert "It is your turn to sign the placement agreement of Lotte Janssens" in mail.body_text
    assert mail.body_text.count("Hogeschool") >= 2  # every item names the college
    _opens(parties.student, mail, f"/my/placements/{parties.placement}")
    assert "Lotte Janssens" in _opens(parties.student, mail, f"/agreements/{agreement}")
    # The coach did both; the school's turn has not come.
    assert mails.of(COACH.email) == [] and mails.of(ELS) == []


def test_the_turn_passes_on_each_is_told_once_and_the_active_agreement_reaches_everyone(
    app: Flask, parties: Parties, set_clock: SetClock
) -> None:
    mails = Mailboxes(app)
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    _bundles(app, set_clock)
    [student_turn] = mails.of(LOTTE.email)
    assert student_turn.subject == "Your turn to sign the agreement of Lotte Janssens"
    assert mails.of(ELS) == [] and mails.of(COACH.email) == []

    assert sign(parties.student, agreement).status_code == 303
    mentor_told_at = _later(set_clock, WINDOW + timedelta(seconds=1))
    run_jobs(app)
    [mentor_turn] = mails.of(ELS)
    assert mentor_turn.subject == "Your turn to sign the agreement of Lotte Janssens"
    assert "Sign in with your personal link" in mentor_turn.body_text
    assert "Stage" in mentor_turn.body_text and "Sint-Jozefscollege" in mentor_turn.body_text
    _opens(parties.mentor, mentor_turn, f"/agreements/{agreement}")

    # The next morning's digest: the mentor's turn waits still; the student's is done.
    digest_at = next_digest_at(mentor_told_at + timedelta(hours=1), 8) + timedelta(minutes=1)
    set_clock(digest_at)
    run_jobs(app)
    [_, digest] = mails.of(ELS)
    assert digest.subject == DIGEST and "Lotte Janssens" in digest.body_text
    assert len(mails.of(LOTTE.email)) == 1

    assert sign(parties.mentor, agreement).status_code == 303
    _bundles(app, set_clock)
    [coach_turn] = mails.of(COACH.email)
    assert coach_turn.subject == "Your turn to sign the agreement of Lotte Janssens"
    _opens(parties.coach, coach_turn, f"/agreements/{agreement}")
    set_clock(digest_at + timedelta(days=1))
    run_jobs(app)
    assert len(mails.of(ELS)) == 2  # signed: out of the mentor's digest
    assert [m.subject for m in mails.of(COACH.email)][1:] == [DIGEST]  # not signed yet

    assert sign(parties.coach, agreement).status_code == 303
    _bundles(app, set_clock)
    for client, address in ((parties.student, LOTTE.email), (parties.mentor, ELS)):
        active = mails.of(address)[-1]
        assert active.subject == "The agreement of Lotte Janssens is signed by everyone"
        page = _opens(client, active, f"/agreements/{agreement}")
        assert "PDF" in page
    assert len(mails.of(LOTTE.email)) == 2 and len(mails.of(ELS)) == 3
    # The coach signed last: told of nothing they did, and out of the digest.
    set_clock(digest_at + timedelta(days=2))
    run_jobs(app)
    assert len(mails.of(COACH.email)) == 2
    assert len(mails.of(LOTTE.email)) == 2 and len(mails.of(ELS)) == 3


def test_a_change_that_voids_signatures_tells_those_signers_what_changed_once(
    app: Flask, parties: Parties, set_clock: SetClock
) -> None:
    mails = Mailboxes(app)
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    assert sign(parties.student, agreement).status_code == 303
    assert sign(parties.mentor, agreement).status_code == 303
    fields = f"/agreements/{agreement}/fields"
    page = parties.coach.get(fields)
    changed = parties.coach.post(
        fields,
        data={
            "csrf_token": csrf(text(page)),
            "schedule": "Woensdag en donderdag",
            "arrangements": "",
            "learning_goals": "",
        },
    )
    assert changed.status_code == 303
    _bundles(app, set_clock)
    for client, address in ((parties.student, LOTTE.email), (parties.mentor, ELS)):
        [mail] = mails.of(address)  # the turns they had were done before the bundle went
        assert mail.subject == "The agreement of Lotte Janssens changed: please sign again"
        assert "An Peeters changed the placement agreement of Lotte Janssens" in mail.body_text
        # Before and after, under the label the (Dutch) text itself uses.
        assert "Uurrooster (dagen en uren op de school): — → Woensdag en donderdag" in (
            mail.body_text
        )
        assert "<del>—</del>" in (mail.body_html or "")
        _opens(client, mail, f"/agreements/{agreement}")
    assert mails.of(COACH.email) == []  # made the change; and it is not the coach's turn

    # Signing again: the mentor's notice stands for their turn, so nobody is told twice.
    assert sign(parties.student, agreement).status_code == 303
    _bundles(app, set_clock)
    assert sign(parties.mentor, agreement).status_code == 303
    _bundles(app, set_clock)
    assert len(mails.of(LOTTE.email)) == 1 and len(mails.of(ELS)) == 1
    [coach_turn] = mails.of(COACH.email)
    assert coach_turn.subject == "Your turn to sign the agreement of Lotte Janssens"


# -- the proposal ----------------------------------------------------------------------------------


def test_a_returned_proposal_reaches_the_student_with_the_reason_until_proposed_again(
    app: Flask, parties: Parties, set_clock: SetClock
) -> None:
    from lti_app.placements.service import repropose_placement
    from lti_app.roster.models import Person

    mails = Mailboxes(app)
    _proposed(app, parties.placement)
    placement_page = f"/placements/{parties.placement}"
    reason = "Name the subject your mentor teaches."
    returned = post(parties.coach, placement_page, f"{placement_page}/return", {"reason": reason})
    assert returned.status_code == 303
    told_at = _later(set_clock, WINDOW + timedelta(seconds=1))
    run_jobs(app)
    [mail] = mails.of(LOTTE.email)
    assert mail.subject == "The placement proposal of Lotte Janssens came back"
    assert "An Peeters sent the placement proposal of Lotte Janssens" in mail.body_text
    assert f"Reason: {reason}" in mail.body_text
    _opens(parties.student, mail, f"/my/placements/{parties.placement}/edit")
    assert mails.of(COACH.email) == []

    digest_at = next_digest_at(told_at + timedelta(hours=1), 8) + timedelta(minutes=1)
    set_clock(digest_at)
    run_jobs(app)
    [_, digest] = mails.of(LOTTE.email)
    assert digest.subject == DIGEST and reason in digest.body_text

    with app.test_request_context():
        s = db.session()
        placement = s.get(Placement, parties.placement)
        student = s.get(Person, placement.student_id)  # type: ignore[union-attr]
        assert placement is not None and student is not None
        repropose_placement(s, placement, values={}, mentors=[], student=student)
        s.commit()
    set_clock(digest_at + timedelta(days=1))
    run_jobs(app)
    assert len(mails.of(LOTTE.email)) == 2  # proposed again: out of the digest


# -- hours -----------------------------------------------------------------------------------------


def test_hours_returned_together_come_in_one_mail_and_stay_until_all_are_corrected(
    app: Flask, lms: TestLMS, set_clock: SetClock
) -> None:
    from tests.functional.test_hours import entries, make_setting

    set_clock(clock.now())
    setting = make_setting(app, lms)
    mails = Mailboxes(app)
    for day in (-1, -2):
        logged = setting.log(day=(clock.today() + timedelta(days=day)).isoformat())
        assert logged.status_code == 303
    first, second = [e.id for e in entries(app)]
    assert setting.reject(first, "You left at noon.").status_code == 303
    _later(set_clock, timedelta(minutes=1))
    assert setting.reject(second, "That was a Sunday.").status_code == 303
    told_at = _later(set_clock, WINDOW)
    run_jobs(app)
    [mail] = mails.of(LOTTE.email)
    assert mail.subject == "Hours of Lotte Janssens came back to be corrected"
    assert "Els Mertens returned 2 hour entries of Lotte Janssens" in mail.body_text
    assert "Reason: That was a Sunday." in mail.body_text
    _opens(setting.student, mail, f"/hours/placements/{setting.placement}")
    assert mails.of(ELS) == []

    assert setting.edit(first, amount="40").status_code == 303
    digest_at = next_digest_at(told_at + timedelta(hours=1), 8) + timedelta(minutes=1)
    set_clock(digest_at)
    run_jobs(app)
    [_, digest] = mails.of(LOTTE.email)  # one entry still waits
    assert digest.subject == DIGEST

    assert setting.edit(second, amount="40").status_code == 303
    set_clock(digest_at + timedelta(days=1))
    run_jobs(app)
    assert len(mails.of(LOTTE.email)) == 2  # all corrected: out of the digest


def test_a_digest_queued_before_the_upgrade_becomes_a_notice(
    app: Flask, parties: Parties, set_clock: SetClock
) -> None:
    """An installation upgraded with an old "agreements.digest" job in its queue: the job runs
    (it does not wait for ever for a handler), and the signature still waiting is told once."""
    from lti_app.agreements.reminders import LEGACY_DIGEST_JOB
    from lti_app.jobs.models import Job, JobState
    from lti_app.jobs.service import enqueue
    from lti_app.notifications.models import Notice

    mails = Mailboxes(app)
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    with app.app_context():
        s = db.session()
        # As the upgrade finds it: the turn's notice never made (sent before notices existed).
        s.query(Notice).delete()
        s.query(Job).filter(Job.kind == "notifications.bundle").delete()
        student = s.get(Placement, parties.placement)
        assert student is not None
        enqueue(s, LEGACY_DIGEST_JOB, {"recipient": f"person:{student.student_id}"})
        s.commit()

    run_jobs(app)
    with app.app_context():
        s = db.session()
        legacy = s.query(Job).filter_by(kind=LEGACY_DIGEST_JOB).one()
        assert legacy.state == JobState.DONE
        assert legacy.result == {"outcome": "folded into notices", "waiting": 1}
    _bundles(app, set_clock)
    [mail] = mails.of(LOTTE.email)
    assert "/n/" in mail.body_text
