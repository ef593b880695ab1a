"""A school mentor signs the placement agreement on a phone: from the link in a mail to the
signature, in a real Chromium with a phone's screen, against the app under gunicorn.

The agreement is prepared in the server's database (the student has signed; it is the school's
turn), as a coach and a student would have left it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OpenChromium, Sites
from tests.signing import dutch

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]

MENTOR = "greet.wouters@busleyden.example"
STUDENT = "Yasmine El Amrani"
PHONE = {"width": 390, "height": 844}


def _prepare(sites: Sites) -> tuple[str, int]:
    """An agreement awaiting the school's signature, and a fresh sign-in link for its mentor."""
    from lti_app import db
    from lti_app.agreements import service, signing, template_service
    from lti_app.agreements.parties import person_signer
    from lti_app.colleges.service import programme_named
    from lti_app.guests.invitations import send_sign_in_link
    from lti_app.placements.service import get_placement
    from lti_app.roster.models import Role
    from lti_app.schools.models import Mentor
    from tests import factories

    app = sites.app()
    with app.test_request_context():
        s = db.session()
        with factories.bound(s):
            given, _, family = STUDENT.partition(" ")
            student = factories.PersonFactory(name=STUDENT, given_name=given, family_name=family)
            mentor = factories.MentorFactory(email=MENTOR, name="Greet Wouters", locale="nl")
            made = factories.PlacementFactory(
                student=student, mentors=[mentor], school=factories.SchoolFactory(name="Busleyden")
            )
        placement = get_placement(s, made.id)
        assert placement is not None
        agreement = service.create_agreement(
            s,
            placement,
            template_service.template_for(
                s, programme_named(s, placement.school.college_id, "Educatief graduaat")
            ),
            "system",
        )
        service.send_for_signing(s, agreement, "system")
        document = service.main_document(agreement)
        signer = person_signer(student, placement, Role.STUDENT)
        assert signer is not None
        signing.sign(s, document, signer, document.text_sha256)
        link = send_sign_in_link(s, MENTOR)
        assert link is not None
        s.commit()
        assert s.query(Mentor).filter_by(email=MENTOR).count() == 1
        url, agreement_id = link.url, agreement.id
    app.extensions["db_engine"].dispose()
    return url, agreement_id


def _signature_parties(sites: Sites, agreement_id: int) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(sites.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT s.party FROM agreement_signature s JOIN agreement_document d"
                    " ON d.id = s.document_id WHERE d.agreement_id = :a AND s.voided_at IS NULL"
                    " ORDER BY s.id"
                ),
                {"a": agreement_id},
            )
            return [row[0] for row in rows]
    finally:
        engine.dispose()


def test_a_mentor_signs_on_a_phone(
    sites: Sites, open_chromium: OpenChromium, artifacts: Path
) -> None:
    url, agreement_id = _prepare(sites)
    page = open_chromium().new_page()
    page.set_viewport_size(PHONE)

    page.goto(url)  # the link in the mail: opening it spends nothing
    page.get_by_role(
        "button", name=dutch("Sign in as %(name)s") % {"name": "Greet Wouters"}
    ).click()
    expect(page.get_by_role("heading", name=dutch("Waiting for your signature"))).to_be_visible()
    page.get_by_role("link", name=STUDENT).first.click()
    expect(
        page.get_by_text(
            dutch(
                "It is your turn to sign for the %(party)s: read the text below, then sign under it."
            ).split("%")[0]
        )
    ).to_be_visible()

    sign = page.get_by_role(
        "button", name=dutch("Sign for the %(party)s") % {"party": dutch("school")}
    )
    sign.click()  # the box is not ticked: the browser keeps the form
    assert _signature_parties(sites, agreement_id) == ["student"]

    page.get_by_label(dutch("I have read this text and agree to it.")).check()
    sign.click()
    expect(page.get_by_role("status").first).to_contain_text(
        dutch("Signed. The others are told when it is their turn.")
    )
    page.screenshot(path=str(artifacts / "mentor-signed-on-a-phone.png"), full_page=True)
    assert _signature_parties(sites, agreement_id) == ["student", "school"]
    # Nothing on the phone is wider than the screen but the text box itself.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
