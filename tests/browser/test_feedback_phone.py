"""A mentor fills in a lesson observation on a phone (390×844) in a real Chromium against the app
under gunicorn: the connection drops mid-typing (Playwright's offline mode), they keep typing,
the indicator says it is not saved, the connection returns, and every word reaches the server.
The same form can be filled and submitted with the keyboard alone; axe-core finds nothing.

The draft is prepared in the server's database (the placement's feedback page, where a mentor
taps "start", is another page's), as the mentor's tap would have made it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible, assert_no_horizontal_scroll
from tests.browser.conftest import TIMEOUT_MS, OpenChromium, Sites

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

MENTOR = "hilde.claes@sint-lodewijk.example"
STUDENT = "Ruben Vermeulen"
PHONE = {"width": 390, "height": 844}
ONLINE = "Lotte's instructie was helder en kort."
OFFLINE_1 = " Daarna werkten de leerlingen in duo's"
OFFLINE_2 = "Meer wachttijd laten na een vraag aan de klas."


def _prepare(sites: Sites, email: str) -> tuple[str, int]:
    """A draft lesson observation by a mentor (English) of an approved placement, and a fresh
    sign-in link for that mentor."""
    from lti_app import db
    from lti_app.colleges.service import programme_named
    from lti_app.feedback import filling
    from lti_app.feedback.models import FormKind
    from lti_app.guests.invitations import send_sign_in_link
    from tests import factories

    app = sites.app()
    with app.test_request_context():
        s = db.session()
        with factories.bound(s):
            given, _, family = STUDENT.partition(" ")
            student = factories.PersonFactory(name=STUDENT, given_name=given, family_name=family)
            mentor = factories.MentorFactory(email=email, name="Hilde Claes", locale="en")
            placement = factories.PlacementFactory(
                student=student, mentors=[mentor], school=factories.SchoolFactory(name="Lodewijk")
            )
        s.flush()
        course = placement.course
        course.programme = programme_named(s, course.platform.college_id, "Educatief graduaat")
        author = filling.Author(mentor.get_id(), mentor_id=mentor.id)
        form = filling.start(s, placement, author, FormKind.LESSON_OBSERVATION)
        link = send_sign_in_link(s, email)
        assert link is not None
        s.commit()
        url, form_id = link.url, form.id
    app.extensions["db_engine"].dispose()
    return url, form_id


def _stored(sites: Sites, form_id: int) -> tuple[str, int, dict[str, Any]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(sites.database_url)
    try:
        with engine.connect() as conn:
            state, revision, answers = conn.execute(
                text("SELECT state, revision, answers FROM feedback_form WHERE id = :id"),
                {"id": form_id},
            ).one()
    finally:
        engine.dispose()
    return state, revision, answers if isinstance(answers, dict) else json.loads(answers)


def _until(check: Callable[[], bool], what: str) -> None:
    """Poll ``check`` until it holds, with a deadline (the server's time is its own)."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not check():
        assert time.monotonic() < deadline, f"not within {TIMEOUT_MS} ms: {what}"
        time.sleep(0.1)


def _signed_in_on_a_phone(open_chromium: OpenChromium, url: str) -> Page:
    page = open_chromium().new_page()
    page.set_viewport_size(PHONE)
    page.goto(url)
    page.get_by_role("button", name="Sign in as Hilde Claes").click()
    expect(page.get_by_role("link", name="My students")).to_be_visible()
    return page


def test_every_word_typed_offline_reaches_the_server(
    sites: Sites, open_chromium: OpenChromium, artifacts: Any
) -> None:
    url, form_id = _prepare(sites, MENTOR)
    page = _signed_in_on_a_phone(open_chromium, url)
    page.goto(f"{sites.tool}/feedback/forms/{form_id}")
    status = page.locator("#save-status")
    expect(page.get_by_role("heading", name="Lesson observation")).to_be_visible()
    assert_accessible(page)
    assert_no_horizontal_scroll(page)

    page.locator("#b-goals").get_by_label("Strength").check()
    page.locator("#a-strengths").press_sequentially(ONLINE)
    expect(status).to_contain_text("Saved at")
    _until(lambda: _stored(sites, form_id)[2].get("strengths") == ONLINE, "saved online")

    # The school's corridor: no connection, and the mentor keeps typing.
    page.context.set_offline(True)
    page.locator("#a-strengths").press_sequentially(OFFLINE_1)
    page.locator("#a-growth").press_sequentially(OFFLINE_2)
    page.locator("#b-climate").get_by_label("Not observed").check()
    expect(status).to_contain_text("Not saved — no connection")
    page.screenshot(path=str(artifacts / "feedback-offline-on-a-phone.png"), full_page=True)
    assert _stored(sites, form_id)[2].get("strengths") == ONLINE  # nothing reached it yet

    page.context.set_offline(False)
    expect(status).to_contain_text("Saved at")
    _until(
        lambda: (
            _stored(sites, form_id)[2]
            == {
                "goals": "kwaliteit",
                "strengths": ONLINE + OFFLINE_1,
                "growth": OFFLINE_2,
                "climate": "not_observed",
            }
        ),
        "every word typed offline on the server",
    )
    assert_accessible(page)
    assert_no_horizontal_scroll(page)


def _tab_to(page: Page, selector: str, *, limit: int = 150) -> None:
    """Press Tab until ``selector`` has the focus, as someone without a mouse does."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus with Tab")


def test_the_keyboard_alone_fills_and_submits(sites: Sites, open_chromium: OpenChromium) -> None:
    url, form_id = _prepare(sites, "kobe.peeters@sint-lodewijk.example")
    page = _signed_in_on_a_phone(open_chromium, url)
    page.goto(f"{sites.tool}/feedback/forms/{form_id}")
    expect(page.locator("#fill-form")).to_be_visible()

    _tab_to(page, "input[name='a-goals']")
    page.keyboard.press("ArrowDown")  # from the first level to the second: Sufficient
    _tab_to(page, "#a-strengths")
    page.keyboard.type("Rustige, duidelijke start.")
    _tab_to(page, "#a-growth")
    page.keyboard.type("Vragen aan de hele klas stellen.")
    _tab_to(page, "button[value='submit']")
    page.keyboard.press("Enter")

    expect(page.get_by_text("Submitted. The student can read it now and is told.")).to_be_visible()
    expect(page.locator("#fill-form")).to_have_count(0)
    state, _revision, answers = _stored(sites, form_id)
    assert state == "submitted"
    assert answers["goals"] == "voldoende"
    assert answers["strengths"] == "Rustige, duidelijke start."
    assert answers["growth"] == "Vragen aan de hele klas stellen."
    assert_accessible(page)
    assert_no_horizontal_scroll(page)
