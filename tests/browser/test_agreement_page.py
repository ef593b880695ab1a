"""The agreement page as a document, on a phone and on a laptop: a mentor reads it, presses
"sign" without ticking the box (the problem is said at the top, which gets the focus, and its
link takes the focus to the box), then ticks it and signs. axe-core finds nothing on the page
before, after the failed and after the successful signature; nothing scrolls sideways.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible, assert_no_horizontal_scroll
from tests.browser.conftest import OpenChromium, Sites
from tests.browser.test_mentor_signs import _signature_parties
from tests.signing import dutch

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}


def _prepare(sites: Sites, mentor_email: str, student: str) -> tuple[str, int]:
    """An agreement awaiting the school's signature, and a sign-in link for its mentor."""
    from lti_app import db
    from lti_app.agreements import service, signing, template_service
    from lti_app.agreements.parties import person_signer
    from lti_app.colleges.service import programme_named
    from lti_app.guests.invitations import send_sign_in_link
    from lti_app.placements.service import get_placement
    from lti_app.roster.models import Role
    from tests import factories

    app = sites.app()
    with app.test_request_context():
        s = db.session()
        with factories.bound(s):
            given, _, family = student.partition(" ")
            person = factories.PersonFactory(name=student, given_name=given, family_name=family)
            mentor = factories.MentorFactory(email=mentor_email, name="Greet Wouters", locale="nl")
            made = factories.PlacementFactory(
                student=person,
                mentors=[mentor],
                school=factories.SchoolFactory(name="Koninklijk Atheneum Antwerpen-Berchem"),
            )
        placement = get_placement(s, made.id)
        assert placement is not None
        template = template_service.template_for(
            s, programme_named(s, placement.school.college_id, "Educatief graduaat")
        )
        agreement = service.create_agreement(s, placement, template, "system")
        agreement.fields = {
            "schedule": "Maandag en donderdag, 8:25–15:45\n\nVrijdag: vakgroepoverleg",
            "learning_goals": "Differentiëren in de tweede graad",
            "arrangements": "",
        }
        service.update_fields(s, agreement, agreement.fields, "system", "system")
        service.send_for_signing(s, agreement, "system")
        document = service.main_document(agreement)
        signer = person_signer(person, placement, Role.STUDENT)
        assert signer is not None
        signing.sign(s, document, signer, document.text_sha256)
        link = send_sign_in_link(s, mentor_email)
        assert link is not None
        s.commit()
        url, agreement_id = link.url, agreement.id
    app.extensions["db_engine"].dispose()
    return url, agreement_id


def _check(page: Page) -> None:
    assert_accessible(page)
    assert_no_horizontal_scroll(page)


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_the_agreement_reads_as_a_document_and_a_failed_signature_is_said_first(
    sites: Sites, open_chromium: OpenChromium, artifacts: Path, size: str
) -> None:
    url, agreement_id = _prepare(sites, f"greet.{size}@atheneum.example", f"Yasmine {size}")
    page = open_chromium().new_page()
    page.set_viewport_size(SIZES[size])

    page.goto(url)
    page.get_by_role(
        "button", name=dutch("Sign in as %(name)s") % {"name": "Greet Wouters"}
    ).click()
    page.get_by_role("link", name=f"Yasmine {size}").first.click()

    # The text as a document: its chapters are headings, the school a party with its people.
    document = page.locator("article.agreement-doc")
    expect(document.get_by_role("heading", level=3).first).to_be_visible()
    expect(document.locator(".party-school")).to_contain_text("Koninklijk Atheneum")
    expect(document.locator(".party-school")).to_contain_text("Greet Wouters")
    expect(document.get_by_role("list").first).to_be_visible()
    hash_box = page.locator("details.fingerprint")
    expect(hash_box.locator("code.hash")).to_be_hidden()  # tucked away until opened
    heights = page.evaluate(
        "[...document.querySelectorAll('article.agreement-doc *')]"
        ".filter(e => e.scrollHeight > e.clientHeight + 1 &&"
        " ['auto', 'scroll'].includes(getComputedStyle(e).overflowY)).length"
    )
    assert heights == 0, "a box inside the document scrolls on its own"
    _check(page)
    page.screenshot(path=str(artifacts / f"agreement-{size}.png"), full_page=True)

    # Signing without the box ticked: the browser does not stop it (novalidate); the page
    # comes back with the problem at the top, focused, and at the box.
    sign = page.get_by_role(
        "button", name=dutch("Sign for the %(party)s") % {"party": dutch("school")}
    )
    sign.click()
    summary = page.locator("#problems")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(dutch("Tick the box to say you read and agree."))
    box = page.get_by_label(dutch("I have read this text and agree to it."))
    expect(box).to_have_attribute("aria-invalid", "true")
    assert _signature_parties(sites, agreement_id) == ["student"]
    _check(page)
    page.screenshot(path=str(artifacts / f"agreement-{size}-not-ticked.png"), full_page=True)

    summary.get_by_role("link").click()
    expect(box).to_be_focused()
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    page.get_by_role(
        "button", name=dutch("Sign for the %(party)s") % {"party": dutch("school")}
    ).click()
    expect(page.get_by_role("status").first).to_contain_text(
        dutch("Signed. The others are told when it is their turn.")
    )
    assert _signature_parties(sites, agreement_id) == ["student", "school"]
    expect(page.locator("#problems")).to_have_count(0)
    _check(page)
    page.screenshot(path=str(artifacts / f"agreement-{size}-signed.png"), full_page=True)
