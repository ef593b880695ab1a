"""Long e-mail addresses wrap: on a phone, addresses of 60 characters without a hyphen (nothing
the browser would break at) never push the page sideways."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_no_horizontal_scroll
from tests.browser.conftest import OpenChromium, Sites
from tests.signing import dutch

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

STUDENT_EMAIL = "annesophie.vandenbrouckedesmedt@student.hogeschoolgent.example"
MENTOR_EMAIL = "mariechristine.verstraetenvandenbossche@sintjozefscollege.example"


def _prepare(sites: Sites) -> tuple[str, int]:
    from lti_app import db
    from lti_app.guests.invitations import send_sign_in_link
    from tests import factories

    app = sites.app()
    with app.test_request_context():
        s = db.session()
        with factories.bound(s):
            student = factories.PersonFactory(name="Anne-Sophie Vandenbroucke", email=STUDENT_EMAIL)
            mentor = factories.MentorFactory(
                email=MENTOR_EMAIL, name="Marie-Christine Verstraeten", locale="nl"
            )
            placement = factories.PlacementFactory(student=student, mentors=[mentor])
        link = send_sign_in_link(s, MENTOR_EMAIL)
        assert link is not None
        s.commit()
        url, placement_id = link.url, placement.id
    app.extensions["db_engine"].dispose()
    return url, placement_id


def test_long_addresses_wrap_on_a_phone(
    sites: Sites, open_chromium: OpenChromium, artifacts: Path
) -> None:
    url, _ = _prepare(sites)
    page = open_chromium().new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url)
    page.get_by_role(
        "button", name=dutch("Sign in as %(name)s") % {"name": "Marie-Christine Verstraeten"}
    ).click()
    page.get_by_role("link", name="Anne-Sophie Vandenbroucke").first.click()
    expect(page.get_by_text(STUDENT_EMAIL).first).to_be_visible()
    page.screenshot(path=str(artifacts / "long-addresses-phone.png"), full_page=True)
    assert_no_horizontal_scroll(page)


def test_a_long_address_asked_for_wraps_on_a_phone(
    sites: Sites, open_chromium: OpenChromium, artifacts: Path
) -> None:
    """A mentor asks for a new link with her long address: the answer repeats it, wrapped."""
    page = open_chromium().new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{sites.tool}/mentor/request-link")
    page.get_by_label("Your e-mail address").fill(MENTOR_EMAIL)
    page.get_by_role("button", name="Send me a sign-in link").click()
    expect(page.get_by_text(MENTOR_EMAIL)).to_be_visible()
    page.screenshot(path=str(artifacts / "long-address-link-sent-phone.png"), full_page=True)
    assert_no_horizontal_scroll(page)
