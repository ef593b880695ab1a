"""The coach's pipeline puts what needs the coach first: proposals to decide, agreements waiting
for the college's signature, placements returned to the student and agreements nobody signed
for more than AGREEMENT_STALE_DAYS; each with its one action. Students without a placement fold
into one line; each student's name leads to their placement; hours read as durations."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from flask import Flask
from sqlalchemy import select, update

from lti_app import db
from lti_app.agreements.models import AgreementDocument
from lti_app.db import utcnow
from lti_app.hours.models import HourState
from lti_app.placements.models import Placement, PlacementState
from lti_app.roster.models import Course, Person
from tests import factories
from tests.guests import add_placement
from tests.lms import TestLMS
from tests.signing import (
    Parties,
    make_agreement,
    post,
    send_for_signing,
    sign,
    three_parties,
)


@pytest.fixture
def parties(app: Flask, lms: TestLMS) -> Parties:
    return three_parties(app, lms)


def needs_of(html: str) -> dict[str, list[str]]:
    """The "Needs you" section: each heading's items as text."""
    section = re.search(r'<section class="needs".*?</section>', html, re.S)
    assert section, html[:2000]
    found: dict[str, list[str]] = {}
    for heading, items in re.findall(
        r'<h3 class="need-kind">(.*?)<span.*?<ul class="need-list">(.*?)</ul>',
        section.group(0),
        re.S,
    ):
        found[unescape(heading).strip()] = [
            " ".join(unescape(re.sub(r"<[^>]+>", " ", li)).split())
            for li in re.findall(r"<li[^>]*>(.*?)</li>", items, re.S)
        ]
    return found


def _fill_and_send(parties: Parties) -> int:
    agreement = make_agreement(parties)
    filled = post(
        parties.student,
        f"/agreements/{agreement}/fields",
        f"/agreements/{agreement}/fields",
        {"schedule": "Maandag, 8:25–15:45", "learning_goals": "Differentiëren"},
    )
    assert filled.status_code == 303
    send_for_signing(parties, agreement)
    return agreement


def _more_placements(app: Flask, parties: Parties) -> None:
    """Bram's proposal waits for the coach, Mira's was returned, Wout has no placement."""
    for name, state in (("Bram Claes", PlacementState.PROPOSED), ("Mira Peeters", None)):
        add_placement(
            app,
            mentors=[],
            course_id=parties.course,
            student_name=name,
            school="Atheneum Zuid",
            state=state or PlacementState.RETURNED,
        )
    with app.app_context():
        s = db.session()
        course = s.get(Course, parties.course)
        with factories.bound(s):
            for person in s.scalars(
                select(Person).where(Person.name.in_(["Bram Claes", "Mira Peeters"]))
            ):
                factories.MembershipFactory(course=course, person=person)
            factories.MembershipFactory(course=course, person__name="Wout Maes")
        s.commit()


def test_what_needs_the_coach_comes_first_each_with_its_action(
    app: Flask, parties: Parties
) -> None:
    agreement = _fill_and_send(parties)
    assert sign(parties.student, agreement).status_code == 303
    assert sign(parties.mentor, agreement).status_code == 303  # now the college's turn
    _more_placements(app, parties)

    html = parties.coach.get("/coach").get_data(as_text=True)

    needs = needs_of(html)
    assert list(needs) == [
        "Proposals to approve or return",
        "Agreements waiting for your signature",
        "Returned to the student, waiting for a new proposal",
    ]
    assert needs["Proposals to approve or return"] == [
        "Bram Claes · Atheneum Zuid Review the proposal"
    ]
    assert needs["Agreements waiting for your signature"] == [
        "Lotte Janssens · Sint-Jozefscollege Sign the agreement"
    ]
    assert f'href="/agreements/{agreement}">Sign the agreement' in html
    assert needs["Returned to the student, waiting for a new proposal"] == [
        "Mira Peeters · Atheneum Zuid Open the placement"
    ]
    # "Needs you" comes before the students, who come with one folded line for Wout.
    assert html.index('class="needs"') < html.index('id="students-title"')
    assert "1 student without a placement" in html
    assert re.search(r"<details[^>]*>\s*<summary>1 student without a placement", html)
    # Lotte's name leads to her placement.
    assert re.search(
        rf'class="student"><a href="/placements/{parties.placement}">Lotte Janssens</a>', html
    )


def test_an_agreement_unsigned_for_more_than_the_setting_needs_the_coach(
    app: Flask, parties: Parties
) -> None:
    agreement = _fill_and_send(parties)  # the student's turn, not the coach's
    html = parties.coach.get("/coach").get_data(as_text=True)
    assert needs_of(html) == {}
    assert "Nothing waits for you" in html

    with app.app_context():  # nobody signed or changed it for eight days
        s = db.session()
        s.execute(
            update(AgreementDocument)
            .where(AgreementDocument.agreement_id == agreement)
            .values(updated_at=utcnow() - timedelta(days=8))
        )
        s.commit()
    needs = needs_of(parties.coach.get("/coach").get_data(as_text=True))
    assert needs == {
        "Agreements without a signature for more than 7 days": [
            "Lotte Janssens · Sint-Jozefscollege 0 of 3 signed · nothing for 8 days "
            "Open the agreement"
        ]
    }

    app.config["AGREEMENT_STALE_DAYS"] = 10  # the setting decides
    assert needs_of(parties.coach.get("/coach").get_data(as_text=True)) == {}


def test_hours_read_as_durations_in_both_languages(app: Flask, parties: Parties) -> None:
    with app.app_context():
        s = db.session()
        with factories.bound(s):
            placement = s.get(Placement, parties.placement)
            placement.planned_hours = 60
            factories.HourEntryFactory(placement=placement, minutes=230, state=HourState.PENDING)
        s.commit()
    html = parties.coach.get("/coach").get_data(as_text=True)
    assert "3 h 50 min of 60 h" in html and "3 h 50 min awaiting the mentor" in html
    assert post(parties.coach, "/coach", "/language", {"language": "nl"}).status_code in (302, 303)
    dutch = parties.coach.get("/coach").get_data(as_text=True)
    assert "3 u 50 min" in dutch and "3 h 50" not in dutch
