"""The tripartite agreement as its three parties meet it: the coach makes it from the
placement's page, the student (LTI launch) fills in and signs, the mentor (sign-in link) signs
for the school, the coach (LTI launch) for the college; then the PDF, verification, addenda."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select

from lti_app import clock, db
from lti_app.agreements.models import AgreementDocument, Signature
from lti_app.placements.models import ChangeRecord
from tests.guests import (
    add_mentor,
    add_placement,
    csrf,
    english_client,
    launch_client,
    sign_in_mentor,
    text,
)
from tests.lms import TestLMS
from tests.signing import (
    BRAM,
    JAN,
    Parties,
    agreement_state,
    documents,
    dutch,
    mails_to,
    make_agreement,
    page_of,
    post,
    post_signature,
    run_jobs,
    send_for_signing,
    shown_text,
    sign,
    sign_forms,
    signatures,
    three_parties,
)


@pytest.fixture
def parties(app: Flask, lms: TestLMS) -> Parties:
    return three_parties(app, lms)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_student_mentor_and_coach_sign_and_the_pdf_holds_names_and_hash(
    app: Flask, parties: Parties
) -> None:
    agreement = make_agreement(parties)
    assert agreement_state(app, agreement) == "draft"
    draft = page_of(parties.coach, agreement)
    assert "Lotte Janssens" in draft and "Sint-Jozefscollege" in draft
    assert not sign_forms(draft)  # nobody signs a draft

    # The student fills in her schedule and goals; they become part of the text.
    filled = post(
        parties.student,
        f"/agreements/{agreement}/fields",
        f"/agreements/{agreement}/fields",
        {
            "schedule": "Maandag en donderdag, 8:25–15:45",
            "learning_goals": "Differentiëren in 2B → 3A",  # an arrow: not in Noto Sans
        },
    )
    assert filled.status_code == 303
    send_for_signing(parties, agreement)
    assert agreement_state(app, agreement) == "awaiting_signatures"

    # Default order: student → school → college. The mentor's turn has not come yet.
    assert not sign_forms(page_of(parties.mentor, agreement))
    assert sign(parties.student, agreement).status_code == 303
    assert sign(parties.mentor, agreement).status_code == 303
    assert agreement_state(app, agreement) == "awaiting_signatures"
    assert sign(parties.coach, agreement).status_code == 303
    assert agreement_state(app, agreement) == "active"

    [document] = documents(app, agreement)
    assert document.state.value == "signed"
    assert "Maandag en donderdag, 8:25–15:45" in document.text
    assert document.text_sha256 == hashlib.sha256(document.text.encode()).hexdigest()
    assert [(s.party.value, s.signer_name, s.signer_role) for s in document.signatures] == [
        ("student", "Lotte Janssens", "student"),
        ("school", "Els Mertens", "mentor"),
        ("college", "An Peeters", "coach"),
    ]
    assert {s.text_sha256 for s in document.signatures} == {document.text_sha256}
    assert {s.revision for s in document.signatures} == {document.revision}

    # Each party downloads the same stored PDF; its text holds the names and the hash.
    downloads = []
    for client in (parties.student, parties.mentor, parties.coach):
        response = client.get(f"/agreements/documents/{document.id}.pdf")
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        downloads.append(response.data)
    assert downloads[0] == downloads[1] == downloads[2] == document.pdf
    assert hashlib.sha256(downloads[0]).hexdigest() == document.pdf_sha256
    extracted = pdf_text(downloads[0])
    for name in ("Lotte Janssens", "Els Mertens", "An Peeters", "Sint-Jozefscollege"):
        assert name in extracted
    assert document.text_sha256 in extracted
    if Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").exists():
        assert "Differentiëren in 2B → 3A" in extracted  # drawn from the fallback font
    assert f"/verify/{document.text_sha256}" in extracted.replace("\n", "")

    # Once active the text is fixed: no more filling in, no sign buttons.
    assert not sign_forms(page_of(parties.student, agreement))
    refused = post(
        parties.student,
        f"/agreements/{agreement}",
        f"/agreements/{agreement}/fields",
        {"schedule": "changed"},
    )
    assert refused.status_code == 303
    assert documents(app, agreement)[0].text == document.text


def test_the_shown_text_is_exactly_what_is_signed(app: Flask, parties: Parties) -> None:
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    html = page_of(parties.student, agreement)
    [(_document_id, digest)] = sign_forms(html)
    assert hashlib.sha256(shown_text(html).encode()).hexdigest() == digest


def test_editing_after_the_first_signature_voids_it_and_tells_the_signer(
    app: Flask, parties: Parties, set_clock: Any
) -> None:
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    assert sign(parties.student, agreement).status_code == 303
    [before] = documents(app, agreement)

    edit_page = parties.coach.get(f"/agreements/{agreement}/fields")
    assert "Lotte Janssens (student) signed already" in text(edit_page)
    response = parties.coach.post(
        f"/agreements/{agreement}/fields",
        data={"csrf_token": csrf(text(edit_page)), "arrangements": "Sleutel via het secretariaat"},
    )
    assert response.status_code == 303
    flashed = text(parties.coach.get(f"/agreements/{agreement}"))
    assert "no longer count" in flashed

    [after] = documents(app, agreement)
    assert after.revision == before.revision + 1
    assert after.text_sha256 != before.text_sha256
    assert signatures(app) == [("student", "Lotte Janssens", False)]
    # She is told in the next notice bundle, with what changed (the text's own labels).
    set_clock(clock.now() + timedelta(minutes=6))
    run_jobs(app)
    [voided_mail] = [m for m in mails_to(app, "lotte@student.example") if "changed" in m.subject]
    assert "An Peeters changed the placement agreement" in voided_mail.body_text
    assert "Sleutel via het secretariaat" in voided_mail.body_text
    # The student sees why, and signs the new text.
    page = page_of(parties.student, agreement)
    assert "1 signature no longer counts" in page
    assert sign(parties.student, agreement).status_code == 303
    assert signatures(app) == [
        ("student", "Lotte Janssens", False),
        ("student", "Lotte Janssens", True),
    ]


def test_a_changed_placement_or_school_voids_the_signatures_of_its_draft(
    app: Flask, parties: Parties
) -> None:
    from tests.functional.test_placements import submit
    from tests.launching import FlaskBrowser

    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    assert sign(parties.student, agreement).status_code == 303
    coach = FlaskBrowser(parties.coach)
    form = coach.get(f"{coach.base}/placements/{parties.placement}/edit")
    saved = submit(coach, form, {"planned_hours": "120"})
    assert saved.status == 303, saved.text[:2000]
    assert signatures(app) == [("student", "Lotte Janssens", False)]
    assert "120 u in totaal" in documents(app, agreement)[0].text

    assert sign(parties.student, agreement).status_code == 303
    with app.app_context():
        from lti_app.placements.models import Placement

        school_id = db.session().get(Placement, parties.placement).school_id  # type: ignore[union-attr]
    form = coach.get(f"{coach.base}/schools/{school_id}/edit")
    assert submit(coach, form, {"street": "Nieuwstraat 9"}).status == 303
    assert "Nieuwstraat 9" in documents(app, agreement)[0].text
    assert [valid for _party, _name, valid in signatures(app)] == [False, False]


def test_a_text_that_changed_while_reading_is_not_signed(app: Flask, parties: Parties) -> None:
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    html = page_of(parties.student, agreement)
    [(document_id, stale)] = sign_forms(html)
    post(
        parties.coach,
        f"/agreements/{agreement}/fields",
        f"/agreements/{agreement}/fields",
        {"schedule": "Dinsdag"},
    )
    response = post_signature(
        parties.student, csrf(html), document_id, stale, follow_redirects=True
    )
    assert "The text changed while you were reading it" in text(response)
    assert signatures(app) == []


def test_signing_needs_the_box_ticked_and_keeps_to_the_order(app: Flask, parties: Parties) -> None:
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    unticked = sign(parties.student, agreement, agree=False)
    assert unticked.status_code == 422
    assert "Tick the box" in text(unticked)
    # The coach's turn comes last: posting early signs nothing.
    [document] = documents(app, agreement)
    html = page_of(parties.coach, agreement)
    early = post_signature(
        parties.coach, csrf(html), document.id, document.text_sha256, follow_redirects=True
    )
    assert "It is not your turn to sign yet" in text(early)
    assert signatures(app) == []
    # A second click of the student counts once.
    student_page = page_of(parties.student, agreement)
    assert sign(parties.student, agreement).status_code == 303
    again = post_signature(parties.student, csrf(student_page), document.id, document.text_sha256)
    assert again.status_code == 303
    assert signatures(app) == [("student", "Lotte Janssens", True)]


def _counts(app: Flask) -> tuple[int, int, str]:
    with app.app_context():
        s = db.session()
        return (
            int(s.scalar(select(func.count()).select_from(Signature)) or 0),
            int(s.scalar(select(func.count()).select_from(ChangeRecord)) or 0),
            ",".join(
                d.state.value
                for d in s.scalars(select(AgreementDocument).order_by(AgreementDocument.id))
            ),
        )


def without_csrf(html: str) -> str:
    """A page without its CSRF token, which is signed with the time and so differs per second."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html)


def test_someone_who_is_no_party_is_answered_as_if_there_were_no_such_document(
    app: Flask, lms: TestLMS, parties: Parties
) -> None:
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    [document] = documents(app, agreement)
    bram = launch_client(app, lms, BRAM)  # a student of the same course
    add_mentor(app, JAN, "Jan Peeters")  # a mentor, but of nobody here
    jan = english_client(app)
    sign_in_mentor(app, jan, JAN)
    before = _counts(app)
    for outsider, own_page in ((bram, "/student"), (jan, "/mentor")):
        token = csrf(text(outsider.get(own_page, follow_redirects=True)))
        response = post_signature(outsider, token, document.id, document.text_sha256)
        missing = post_signature(outsider, token, document.id + 1000, document.text_sha256)
        # The same answer as for a document that does not exist: nothing tells them it does.
        assert response.status_code == missing.status_code == 404
        assert without_csrf(text(response)) == without_csrf(text(missing))
        assert "Lotte" not in text(response)
        # Nor do they see it or its PDF.
        assert outsider.get(f"/agreements/{agreement}").status_code == 404
        assert outsider.get(f"/agreements/documents/{document.id}.pdf").status_code == 404
    # Someone signed in as nobody, with a valid CSRF token of their own (from a public page):
    # refused for not being signed in, not for the token.
    anonymous = english_client(app)
    token = csrf(text(anonymous.get("/verify")))
    response = post_signature(anonymous, token, document.id, document.text_sha256)
    assert response.status_code == 401
    assert "You are not signed in" in text(response)
    assert _counts(app) == before
    # The student's own page, from a student's launch, is not a coach's to manage.
    refused = post(parties.student, f"/agreements/{agreement}", f"/agreements/{agreement}/send")
    assert refused.status_code == 403


def test_verification_tells_a_signed_version_from_a_changed_one(
    app: Flask, parties: Parties
) -> None:
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    sign(parties.student, agreement)
    [first] = documents(app, agreement)
    post(
        parties.coach,
        f"/agreements/{agreement}/fields",
        f"/agreements/{agreement}/fields",
        {"arrangements": "Nieuwe afspraak"},
    )
    for client in (parties.student, parties.mentor, parties.coach):
        assert sign(client, agreement).status_code == 303
    [signed] = documents(app, agreement)
    assert signed.pdf is not None
    anyone = english_client(app)

    ok = anyone.get(f"/verify/{signed.text_sha256}")
    assert ok.status_code == 200
    assert "This matches a signed version" in text(ok)
    assert "Lotte Janssens" in text(ok) and "Els Mertens" in text(ok)

    # The text the student signed first carries her (old) signature, but was never the signed
    # version; and a text with one word changed has a hash nobody signed.
    tampered = signed.text.replace("Nieuwe afspraak", "Andere afspraak")
    for digest in (first.text_sha256, hashlib.sha256(tampered.encode()).hexdigest()):
        page = anyone.get(f"/verify/{digest}")
        assert "This does not match any signed version" in text(page)
        assert "Lotte" not in text(page)

    form_page = text(anyone.get("/verify"))
    upload = anyone.post(
        "/verify",
        data={"csrf_token": csrf(form_page), "file": (io.BytesIO(signed.pdf), "agreement.pdf")},
        content_type="multipart/form-data",
    )
    assert "exactly the one Driehoek made" in text(upload)
    changed_pdf = signed.pdf.replace(b"Driehoek", b"Driehoeq", 1)
    upload = anyone.post(
        "/verify",
        data={"csrf_token": csrf(form_page), "file": (io.BytesIO(changed_pdf), "agreement.pdf")},
        content_type="multipart/form-data",
    )
    assert "This does not match any signed version" in text(upload)
    bad = anyone.post("/verify", data={"csrf_token": csrf(form_page), "digest": "not-a-hash"})
    assert bad.status_code == 422
    assert "64 characters" in text(bad)


def test_an_addendum_is_signed_the_same_way_and_leaves_the_agreement_as_signed(
    app: Flask, parties: Parties
) -> None:
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    for client in (parties.student, parties.mentor, parties.coach):
        sign(client, agreement)
    [signed] = documents(app, agreement)

    response = post(
        parties.coach,
        f"/agreements/{agreement}/addenda/new",
        f"/agreements/{agreement}/addenda/new",
        {"title": "Verlenging met twee weken", "body": "De stage loopt tot 14 mei."},
    )
    assert response.status_code == 303
    main, addendum = documents(app, agreement)
    assert main.text == signed.text and main.pdf == signed.pdf
    assert addendum.state.value == "signing"
    assert signed.text_sha256 in addendum.text  # tied to the signed agreement
    for client in (parties.student, parties.mentor, parties.coach):
        assert sign(client, agreement).status_code == 303
    main, addendum = documents(app, agreement)
    assert addendum.state.value == "signed"
    assert "Verlenging met twee weken" in pdf_text(addendum.pdf or b"")
    assert agreement_state(app, agreement) == "active"


def test_the_coach_ends_an_active_agreement_early_or_cancels_a_draft_with_a_reason(
    app: Flask, parties: Parties
) -> None:
    agreement = make_agreement(parties)
    no_reason = post(parties.coach, f"/agreements/{agreement}", f"/agreements/{agreement}/cancel")
    assert no_reason.status_code == 422
    assert agreement_state(app, agreement) == "draft"
    post(
        parties.coach,
        f"/agreements/{agreement}",
        f"/agreements/{agreement}/cancel",
        {"reason": "Andere school gevonden"},
    )
    assert agreement_state(app, agreement) == "cancelled"
    assert "Andere school gevonden" in page_of(parties.student, agreement)

    second = make_agreement(parties)  # a cancelled agreement makes room for a new one
    send_for_signing(parties, second)
    for client in (parties.student, parties.mentor, parties.coach):
        sign(client, second)
    post(
        parties.coach,
        f"/agreements/{second}",
        f"/agreements/{second}/end",
        {"reason": "Langdurige ziekte van de mentor"},
    )
    assert agreement_state(app, second) == "ended_early"
    assert "Langdurige ziekte van de mentor" in page_of(parties.mentor, second)


def test_the_school_contact_person_signs_as_a_guest(app: Flask, parties: Parties) -> None:
    from lti_app.placements.models import Placement

    with app.app_context():
        placement = db.session().get(Placement, parties.placement)
        assert placement is not None
        contact = str(placement.school.contact_email)
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    sign(parties.student, agreement)
    response = post(
        parties.coach, f"/agreements/{agreement}", f"/agreements/{agreement}/ask-school-contact"
    )
    assert response.status_code == 303
    [mail] = mails_to(app, contact)
    assert "als aanspreekpunt van Sint-Jozefscollege" in mail.body_text  # a school: Dutch
    director = english_client(app)
    sign_in_mentor(app, director, contact)
    portal = text(director.get("/mentor"))
    # A school's guest is spoken to in Dutch.
    assert dutch("Waiting for your signature") in portal and "Lotte Janssens" in portal
    assert sign(director, agreement).status_code == 303
    [document] = documents(app, agreement)
    assert [(s.party.value, s.signer_role) for s in document.signatures] == [
        ("student", "student"),
        ("school", "contact"),
    ]


PAGE_STRINGS = {
    # path (filled in below) → strings that page shows, by who opens it
    "student:/agreements/{a}": [
        "Where it stands",
        "I have read this text and agree to it.",
        "Your name, your role, the time and the SHA-256 of this exact text are recorded.",
        "Fill in schedule, goals and arrangements",
    ],
    "coach:/agreements/{a}": ["For the coach", "Cancel the agreement", "Party", "Signed by"],
    "coach:/agreements/{a}/fields": ["Fill in the agreement", "Back without saving"],
    "mentor:/agreements/{a}": ["Where it stands", "after the previous signatures"],
    "mentor:/mentor": ["My students"],
    "anyone:/verify": ["Check a signed agreement", "Or the PDF itself"],
}


def _in_language(client: FlaskClient, language: str) -> FlaskClient:
    with client.session_transaction() as session:
        session["locale"] = language
    return client


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_agreement_pages_speak_dutch_and_english(
    app: Flask, parties: Parties, language: str
) -> None:
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    clients = {
        "student": parties.student,
        "coach": parties.coach,
        "mentor": parties.mentor,
        "anyone": english_client(app),
    }
    for where, strings in PAGE_STRINGS.items():
        who, _, path = where.partition(":")
        page = _in_language(clients[who], language).get(path.format(a=agreement))
        assert page.status_code == 200, where
        html = unescape(text(page))
        for msgid in strings:
            expected = dutch(msgid) if language == "nl" else msgid
            assert expected in html, (where, msgid)
            if language == "nl":
                assert expected != msgid, msgid


# Every agreement URL, as someone who is no party to Lotte's agreement would try it. A new
# agreement page that is missing here fails the first test below.
OUTSIDER_REQUESTS: dict[str, tuple[str, str]] = {
    "agreements.agreement": ("GET", "/agreements/{a}"),
    "agreements.create": ("POST", "/placements/{p}/agreement"),
    "agreements.edit_fields": ("POST", "/agreements/{a}/fields"),
    "agreements.send": ("POST", "/agreements/{a}/send"),
    "agreements.sign": ("POST", "/agreements/documents/{d}/sign"),
    "agreements.pdf": ("GET", "/agreements/documents/{d}.pdf"),
    "agreements.ask_school_contact": ("POST", "/agreements/{a}/ask-school-contact"),
    "agreements.cancel": ("POST", "/agreements/{a}/cancel"),
    "agreements.end_early": ("POST", "/agreements/{a}/end"),
    "agreements.complete": ("POST", "/agreements/{a}/complete"),
    "agreements.new_addendum": ("POST", "/agreements/{a}/addenda/new"),
    "agreements.edit_addendum": ("POST", "/agreements/documents/{d}/edit"),
}


def test_every_agreement_url_is_tried_by_outsiders(app: Flask) -> None:
    endpoints = {e for e in app.view_functions if e.startswith("agreements.")}
    assert endpoints == set(OUTSIDER_REQUESTS)


def test_outsiders_reach_no_agreement_url_and_change_nothing(
    app: Flask, lms: TestLMS, parties: Parties
) -> None:
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    [document] = documents(app, agreement)
    bram = launch_client(app, lms, BRAM)
    add_mentor(app, JAN, "Jan Peeters")
    jan = english_client(app)
    sign_in_mentor(app, jan, JAN)
    before = _counts(app)
    data = {
        "sha256": document.text_sha256,
        "agree": "y",
        "reason": "x",
        "title": "x",
        "body": "x",
        "schedule": "x",
    }
    for outsider, own_page in ((bram, "/student"), (jan, "/mentor")):
        token = csrf(text(outsider.get(own_page, follow_redirects=True)))
        for endpoint, (method, path) in OUTSIDER_REQUESTS.items():
            url = path.format(a=agreement, p=parties.placement, d=document.id)
            if method == "GET":
                response = outsider.get(url)
            else:
                response = outsider.post(url, data={"csrf_token": token, **data})
            # Signing a document of someone else's agreement answers as for no document.
            expected = (404,) if endpoint == "agreements.sign" else (403, 404)
            assert response.status_code in expected, (endpoint, response.status_code)
            assert "Lotte" not in text(response), endpoint
    assert _counts(app) == before


def test_the_coach_finds_who_has_not_signed_in_the_pipeline(app: Flask, parties: Parties) -> None:
    add_placement(app, mentors=[], course_id=parties.course, student_name="Noor Willems")
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    sign(parties.student, agreement)

    everyone = text(parties.coach.get("/coach"))
    assert "awaiting signatures" in everyone and "1 of 3 signed" in everyone
    waiting = text(parties.coach.get("/coach?agreement=awaiting_signatures"))
    assert "Lotte Janssens" in waiting and "Noor Willems" not in waiting
    without = text(parties.coach.get("/coach?agreement=none"))
    assert "Noor Willems" in without and "Lotte Janssens" not in without
    assert "Noor Willems" in text(parties.coach.get("/coach?agreement=bogus"))  # ignored


def test_a_school_contact_signs_only_what_they_were_asked_to(app: Flask, parties: Parties) -> None:
    from lti_app.placements.models import Placement

    with app.app_context():
        placement = db.session().get(Placement, parties.placement)
        assert placement is not None
        school, contact = placement.school.name, str(placement.school.contact_email)
    other = add_placement(
        app, mentors=[], course_id=parties.course, student_name="Noor Willems", school=school
    )
    with app.app_context():
        s = db.session()
        s.get(Placement, other).school_id = placement.school_id  # type: ignore[union-attr]
        s.commit()
    first = make_agreement(parties)
    send_for_signing(parties, first)
    parties.placement = other
    second = make_agreement(parties)
    send_for_signing(parties, second)
    post(parties.coach, f"/agreements/{first}", f"/agreements/{first}/ask-school-contact")
    director = english_client(app)
    sign_in_mentor(app, director, contact)
    assert director.get(f"/agreements/{first}").status_code == 200
    refused = director.get(f"/agreements/{second}")  # same school, never asked: not theirs
    assert refused.status_code == 404 and "Noor" not in text(refused)
    assert "Noor Willems" not in text(director.get("/mentor"))


def test_a_coach_of_another_course_reaches_nothing(
    app: Flask, lms: TestLMS, parties: Parties
) -> None:
    from tests.launching import FlaskBrowser, launch
    from tests.lms import INSTRUCTOR, Person

    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    [document] = documents(app, agreement)
    other = english_client(app)
    page = launch(
        FlaskBrowser(other),
        lms,
        Person("coach-9", "Kris Goossens", [INSTRUCTOR], "kris@hogeschool.example", "en"),
        context={"context_id": "course-9", "context_title": "Stage BaSO", "context_label": "BA"},
    )
    assert page.status == 200
    before = _counts(app)
    token = csrf(text(other.get("/coach")))
    assert other.get(f"/agreements/{agreement}").status_code == 404
    assert other.get(f"/agreements/documents/{document.id}.pdf").status_code == 404
    for path in (
        f"/agreements/{agreement}/send",
        f"/agreements/{agreement}/complete",
        f"/placements/{parties.placement}/agreement",
        f"/agreements/documents/{document.id}/sign",
    ):
        response = other.post(
            path, data={"csrf_token": token, "sha256": document.text_sha256, "agree": "y"}
        )
        assert response.status_code in (403, 404), path
    assert _counts(app) == before


def _signed_by_all(parties: Parties) -> int:
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    for client in (parties.student, parties.mentor, parties.coach):
        assert sign(client, agreement).status_code == 303
    return agreement


def _addendum(parties: Parties, agreement: int, title: str) -> Any:
    return post(
        parties.coach,
        f"/agreements/{agreement}/addenda/new",
        f"/agreements/{agreement}/addenda/new",
        {"title": title, "body": "De stage loopt tot 14 mei."},
    )


def test_changing_an_addendum_voids_its_signatures_and_a_second_one_is_number_two(
    app: Flask, parties: Parties, set_clock: Any
) -> None:
    agreement = _signed_by_all(parties)
    assert _addendum(parties, agreement, "Verlenging").status_code == 303
    refused = _addendum(parties, agreement, "Nog een")  # one addendum at a time
    assert "still being signed" in text(refused)
    assert sign(parties.student, agreement).status_code == 303
    _main, addendum = documents(app, agreement)
    edit = f"/agreements/documents/{addendum.id}/edit"
    changed = post(
        parties.coach, edit, edit, {"title": "Verlenging met drie weken", "body": "Tot 21 mei."}
    )
    assert changed.status_code == 303
    _main, addendum = documents(app, agreement)
    assert [s.voided_at is None for s in addendum.signatures] == [False]
    set_clock(clock.now() + timedelta(minutes=6))
    run_jobs(app)
    # One bundle: the agreement became active, then her signature on addendum 1 was voided.
    [told] = [m for m in mails_to(app, "lotte@student.example") if "addendum" in m.body_text]
    assert "changed addendum 1 to the agreement of Lotte Janssens" in told.body_text
    assert "Verlenging → Verlenging met drie weken" in told.body_text
    assert "De stage loopt tot 14 mei. → Tot 21 mei." in told.body_text
    for client in (parties.student, parties.mentor, parties.coach):
        assert sign(client, agreement).status_code == 303
    assert _addendum(parties, agreement, "Andere mentor").status_code == 303
    numbers = [d.number for d in documents(app, agreement)]
    assert numbers == [0, 1, 2]


def test_an_ended_agreement_takes_no_more_signatures_and_completing_keeps_the_texts(
    app: Flask, parties: Parties
) -> None:
    agreement = _signed_by_all(parties)
    _addendum(parties, agreement, "Verlenging")
    html = page_of(parties.student, agreement)
    [(addendum_id, digest)] = sign_forms(html)
    post(
        parties.coach,
        f"/agreements/{agreement}",
        f"/agreements/{agreement}/end",
        {"reason": "Stopgezet"},
    )
    late = post_signature(parties.student, csrf(html), addendum_id, digest, follow_redirects=True)
    assert "not open for signing" in text(late)
    assert documents(app, agreement)[1].state.value == "withdrawn"

    parties.placement = add_placement_for(app, parties)
    second = _signed_by_all(parties)
    done = post(parties.coach, f"/agreements/{second}", f"/agreements/{second}/complete")
    assert done.status_code == 303
    assert agreement_state(app, second) == "completed"
    [signed] = documents(app, second)
    assert parties.student.get(f"/agreements/documents/{signed.id}.pdf").data == signed.pdf


def add_placement_for(app: Flask, parties: Parties) -> int:
    """Another placement of Lotte with Els as mentor (a second period)."""
    from lti_app.placements.models import Placement

    with app.app_context():
        first = db.session().get(Placement, parties.placement)
        assert first is not None
        mentor, student = first.mentor_links[0].mentor_id, first.student_id
    return add_placement(app, mentors=[mentor], course_id=parties.course, student_id=student)


def test_a_stale_fill_in_form_does_not_undo_a_newer_change(app: Flask, parties: Parties) -> None:
    agreement = make_agreement(parties)
    path = f"/agreements/{agreement}/fields"
    stale = text(parties.coach.get(path))  # the coach opens the form …
    post(parties.student, path, path, {"schedule": "Maandag"})  # … the student saves first
    revision = re.search(r'name="revision" type="hidden" value="(\d+)"', stale)
    assert revision, stale[:2000]
    response = parties.coach.post(
        path,
        data={"csrf_token": csrf(stale), "revision": revision.group(1), "schedule": "Vrijdag"},
    )
    assert response.status_code == 409
    assert "Someone else changed the agreement" in text(response)
    assert "Vrijdag" in text(response)  # what the coach typed is still in the form
    [document] = documents(app, agreement)
    assert "Maandag" in document.text and "Vrijdag" not in document.text


def test_whoever_changes_their_own_signed_text_is_not_mailed_about_it(
    app: Flask, parties: Parties, set_clock: Any
) -> None:
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    sign(parties.student, agreement)
    path = f"/agreements/{agreement}/fields"
    post(parties.student, path, path, {"schedule": "Dinsdag"})
    assert signatures(app) == [("student", "Lotte Janssens", False)]
    set_clock(clock.now() + timedelta(minutes=6))
    run_jobs(app)
    assert not [m for m in mails_to(app, "lotte@student.example") if "changed" in m.subject]


def test_agreement_and_verification_pages_are_not_cached_or_indexed(
    app: Flask, parties: Parties
) -> None:
    agreement = make_agreement(parties)
    for response in (
        parties.student.get(f"/agreements/{agreement}"),
        english_client(app).get("/verify"),
    ):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Robots-Tag"] == "noindex"
