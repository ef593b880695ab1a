"""A student's journal draft survives an expired session and a closed tab, in a real Chromium
against the app under gunicorn, with the keyboard alone.

Lotte (the sandbox's demo course; she reads Dutch) launches from the course page, continues in
the tool's own window, goes to her journal and starts an entry with Tab and Enter, and types.
It is saved ("Bewaard om …"). Then her session runs out (the tool's session cookie is gone, as
after a night): she types on, and the indicator says it is not saved and why. She closes the
tab. Later she launches again from the course and opens the entry: every word she typed is
there and reaches the server (the copy this browser kept is sent), polled with a deadline.
axe-core finds nothing on the journal and the editor.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.axe import assert_accessible, assert_no_horizontal_scroll
from tests.browser.conftest import TIMEOUT_MS, TOOL_HOST, OpenChromium, Sites
from tests.browser.test_iframe_launch import CoursePage, block_tool_cookies_in_lms
from tests.signing import dutch

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

STUDENT = "student-lotte"
BEFORE = "De les over breuken liep vlot. "
AFTER = "Maar in de tweede helft verloor ik drie leerlingen en ik wil weten waarom."
TITLE = "Breuken in 1A"


def _until(check: Callable[[], bool], what: str) -> None:
    """Poll ``check`` until it holds, with a deadline (the server's time is its own)."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not check():
        assert time.monotonic() < deadline, f"not within {TIMEOUT_MS} ms: {what}"
        time.sleep(0.1)


def _stored(sites: Sites, entry_id: int) -> tuple[str, str]:
    """The entry's title and its first answer ("1. Handelen") as plain text, from the server's
    database."""
    import json

    from sqlalchemy import create_engine, text

    from lti_app.journals.sanitize import plain_text

    engine = create_engine(sites.database_url)
    try:
        with engine.connect() as conn:
            title, answers = conn.execute(
                text("SELECT title, answers FROM journal_entry WHERE id = :id"), {"id": entry_id}
            ).one()
    finally:
        engine.dispose()
    found: dict[str, Any] = answers if isinstance(answers, dict) else json.loads(answers)
    return title, plain_text(str(found.get("action", "")))


def _tab_to(page: Page, selector: str, *, limit: int = 200) -> None:
    """Press Tab until ``selector`` has the focus, as someone without a mouse does."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus with Tab")


def _launch(context: BrowserContext, sites: Sites, course: CoursePage | None = None) -> Page:
    """Launch from the course page and continue in the tool's own window (this browser keeps
    the tool's cookies out of the LMS's page)."""
    course = course or CoursePage(context, sites)
    course.open_as(STUDENT)
    with context.expect_page() as popup:
        course.tool.locator("#blocked").get_by_role("button").click()
    page = popup.value
    page.wait_for_url(sites.tool + "/student")
    return page


def _saved_prefix() -> str:
    return dutch("Saved at %(time)s").split("%(time)s")[0].strip()


def test_a_draft_survives_an_expired_session_and_a_closed_tab(
    sites: Sites, open_chromium: OpenChromium, artifacts: Any
) -> None:
    context = open_chromium(block_tool_cookies_in_lms(sites))
    course = CoursePage(context, sites)
    page = _launch(context, sites, course)

    # Home → journal → a new entry (ALACT, the first choice), with the keyboard alone.
    _tab_to(page, "a[href^='/journals/placements/']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(sites.tool) + r"/journals/placements/\d+$"))
    expect(page.locator("h1")).to_have_text(dutch("My reflection journal"))
    assert_accessible(page)
    _tab_to(page, "form[action$='/entries'] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(sites.tool) + r"/journals/entries/\d+$"))
    entry_id = int(page.url.rsplit("/", 1)[1])
    status = page.locator("#save-status")
    expect(page.locator("#privacy-reminder")).to_be_visible()

    _tab_to(page, "#title")
    page.keyboard.type(TITLE)
    _tab_to(page, "#a-action")
    page.keyboard.type(BEFORE)
    expect(status).to_contain_text(_saved_prefix())
    _until(lambda: _stored(sites, entry_id) == (TITLE, BEFORE), "the first words saved")
    assert_accessible(page)
    assert_no_horizontal_scroll(page)

    # The session runs out; she types on.
    context.clear_cookies(name="driehoek_session", domain=TOOL_HOST)
    page.keyboard.type(AFTER)
    expect(status).to_contain_text(dutch("Not saved — sign in again through your course"))
    page.screenshot(path=str(artifacts / "journal-draft-signed-out.png"), full_page=True)
    assert _stored(sites, entry_id)[1] == BEFORE  # the server has only the first words
    page.close()  # and the tab is closed

    # Later: a new launch from the course; she opens her draft.
    page = _launch(context, sites, course)
    _tab_to(page, "a[href^='/journals/placements/']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(sites.tool) + r"/journals/placements/\d+$"))
    _tab_to(page, f"a[href='/journals/entries/{entry_id}']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{sites.tool}/journals/entries/{entry_id}")
    expect(page.locator("#a-action")).to_have_value(BEFORE + AFTER)
    _until(
        lambda: _stored(sites, entry_id) == (TITLE, BEFORE + AFTER),
        "every word typed after the session ran out, on the server",
    )
    expect(page.locator("#save-status")).to_contain_text(_saved_prefix())
    assert_accessible(page)
    assert_no_horizontal_scroll(page)

    # Reloaded, the server's own copy says the same: nothing depended on this browser.
    page.reload()
    expect(page.locator("#a-action")).to_have_value(BEFORE + AFTER)
    expect(page.locator("#title")).to_have_value(TITLE)
