"""Helpers for agreement tests: a placement with its three parties signed in the way they are
in life (student and coach by LTI launch, mentor through a sign-in link), and the pages' forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lti_app import db
from lti_app.agreements.models import Agreement, AgreementDocument, Signature
from lti_app.jobs.worker import run_due
from lti_app.notifications.models import OutgoingMail
from tests.guests import (
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


@dataclass
class Parties:
    app: Flask
    student: FlaskClient
    mentor: FlaskClient
    coach: FlaskClient
    placement: int
    course: int


def new_invite(app: Flask, college: str | None = None, hours: int = 72) -> str:
    """A one-time registration URL's token, as `platform invite --college` makes it."""
    from lti_app import db
    from lti_app.colleges.service import college_named
    from lti_app.lti.invites import make_invite

    with app.app_context():
        s = db.session()
        token = make_invite(s, college_named(s, college, "Hogeschool"), hours)
        s.commit()
        return token


def course_programme(session: Any, course_id: int) -> Any:
    """The programme the course's launches named (the test LMS's custom parameter)."""
    from lti_app.roster.models import Course

    course = session.get(Course, course_id)
    assert course is not None and course.programme is not None, "launch the course first"
    return course.programme


def three_parties(app: Flask, lms: TestLMS, **placement: Any) -> Parties:
    """Lotte (student), Els (her mentor) and An (coach), each in a browser of their own."""
    coach = launch_client(app, lms, COACH)
    student = launch_client(app, lms, LOTTE)
    course = launched_course(app)
    els = add_mentor(app, ELS, "Els Mertens")
    placement_id = add_placement(
        app,
        mentors=[els],
        course_id=course,
        student_id=person_id(app, LOTTE.sub),
        coach_id=person_id(app, COACH.sub),
        school=placement.pop("school", "Sint-Jozefscollege"),
        **placement,
    )
    mentor = english_client(app)
    sign_in_mentor(app, mentor, ELS)
    return Parties(app, student, mentor, coach, placement_id, course)


def post(client: FlaskClient, page_path: str, path: str, data: dict[str, str] | None = None) -> Any:
    """Post ``data`` to ``path`` with the CSRF token of the page at ``page_path``."""
    page = client.get(page_path)
    assert page.status_code == 200, (page_path, page.status_code, text(page)[:500])
    return client.post(path, data={"csrf_token": csrf(text(page)), **(data or {})})


def make_agreement(parties: Parties, **form: str) -> int:
    """The coach makes the agreement from the placement's page; returns its id."""
    placement_page = f"/placements/{parties.placement}"
    response = post(
        parties.coach, placement_page, f"/placements/{parties.placement}/agreement", form
    )
    assert response.status_code == 303, text(response)[:800]
    match = re.search(r"/agreements/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def page_of(client: FlaskClient, agreement_id: int) -> str:
    page = client.get(f"/agreements/{agreement_id}")
    assert page.status_code == 200, text(page)[:800]
    return text(page)


def sign_forms(html: str) -> list[tuple[int, str]]:
    """The sign buttons on an agreement page: (document id, SHA-256 of the text shown)."""
    return [
        (int(doc), digest)
        for doc, digest in re.findall(
            r'action="/agreements/documents/(\d+)/sign".*?name="sha256" value="([0-9a-f]{64})"',
            html,
            flags=re.S,
        )
    ]


def shown_text(html: str, number: int = 0) -> str:
    """The canonical text as the page shows it in document ``number``'s section."""
    section = html.split(f'id="document-{number}"', 1)[1]
    match = re.search(r'<div class="agreement-text"[^>]*>(.*?)</div>', section, flags=re.S)
    assert match
    return unescape(match.group(1))


def post_signature(
    client: FlaskClient, token: str, document_id: int, digest: str, **kwargs: Any
) -> Any:
    """Post a signature as the sign button does, with a CSRF ``token`` of the client's own."""
    return client.post(
        f"/agreements/documents/{document_id}/sign",
        data={"csrf_token": token, "sha256": digest, "agree": "y"},
        **kwargs,
    )


def sign(client: FlaskClient, agreement_id: int, *, agree: bool = True) -> Any:
    """Read the agreement page and press the first sign button on it, as the signer does."""
    html = page_of(client, agreement_id)
    forms = sign_forms(html)
    assert forms, f"no sign button: {html[:3000]}"
    document_id, digest = forms[0]
    data = {"csrf_token": csrf(html), "sha256": digest}
    if agree:
        data["agree"] = "y"
    return client.post(f"/agreements/documents/{document_id}/sign", data=data)


def send_for_signing(parties: Parties, agreement_id: int) -> None:
    response = post(
        parties.coach, f"/agreements/{agreement_id}", f"/agreements/{agreement_id}/send"
    )
    assert response.status_code == 303, text(response)[:800]


def documents(app: Flask, agreement_id: int) -> list[AgreementDocument]:
    with app.app_context():
        s = db.session()
        found = list(
            s.scalars(
                select(AgreementDocument)
                .where(AgreementDocument.agreement_id == agreement_id)
                .order_by(AgreementDocument.number)
            )
        )
        for d in found:
            _ = d.pdf, d.signatures  # loaded before the session goes
        s.expunge_all()
        return found


def agreement_state(app: Flask, agreement_id: int) -> str:
    with app.app_context():
        agreement = db.session().get(Agreement, agreement_id)
        assert agreement is not None
        return agreement.state.value


def signatures(app: Flask) -> list[tuple[str, str, bool]]:
    """Every signature row: (party, signer name, still valid)."""
    with app.app_context():
        return [
            (s.party.value, s.signer_name, s.voided_at is None)
            for s in db.session().scalars(select(Signature).order_by(Signature.id))
        ]


def mails_to(app: Flask, address: str) -> list[OutgoingMail]:
    with app.app_context():
        s = db.session()
        found = list(
            s.scalars(
                select(OutgoingMail)
                .where(OutgoingMail.to_address == address)
                .order_by(OutgoingMail.id)
            )
        )
        s.expunge_all()
        return found


def run_jobs(app: Flask, **kwargs: Any) -> int:
    with app.app_context():
        return run_due(app.extensions["db_sessionmaker"], "test-worker", **kwargs)


def dutch(msgid: str) -> str:
    """A string as the Dutch catalog says it (for pages a Dutch-speaking guest is shown)."""
    from pathlib import Path

    from babel.support import Translations

    catalogs = Path(__file__).resolve().parent.parent / "lti_app" / "translations"
    return str(Translations.load(str(catalogs), ["nl"]).gettext(msgid))
