"""The shared autosave script (static/autosave.js) on both its pages: another device saved
first (the conflict box, "keep mine" and "take theirs", also found at start-up), the copy on this
device sent at start-up or with a fresh token after signing in again, and forgotten once
submitted."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import test_journal_draft as jd
from tests.browser.conftest import TOOL_HOST, OpenChromium, Sites
from tests.browser.test_feedback_phone import _prepare, _stored, _until
from tests.signing import dutch

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def _bump(sites: Sites, form_id: int) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(sites.database_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE feedback_form SET revision = revision + 1 WHERE id = :id"), {"id": form_id}
        )
    engine.dispose()


def test_feedback_conflicts(sites: Sites, open_chromium: OpenChromium) -> None:
    url, form_id = _prepare(sites, "x.y@sint-lodewijk.example")
    ctx = open_chromium()
    a = ctx.new_page()
    a.goto(url)
    a.get_by_role("button", name=re.compile("Sign in as")).click()
    a.goto(f"{sites.tool}/feedback/forms/{form_id}")
    b = ctx.new_page()
    b.goto(f"{sites.tool}/feedback/forms/{form_id}")
    a.locator("#a-strengths").press_sequentially("from A")
    expect(a.locator("#save-status")).to_contain_text("Saved at")
    b.locator("#a-growth").press_sequentially("from B")
    expect(b.locator("#save-status")).to_contain_text("another device saved this form")
    expect(b.locator("#conflict")).to_be_visible()
    diff = b.locator("#conflict-diff").inner_text()
    print(diff)
    assert "On this device: from B" in diff and "Saved elsewhere: from A" in diff
    assert b.locator("#conflict-diff span").count() == 0
    b.get_by_role("button", name="Keep what is on this device").click()
    expect(b.locator("#save-status")).to_contain_text("Saved at")
    _until(lambda: _stored(sites, form_id)[2] == {"growth": "from B"}, "keep mine")
    # take theirs on A
    a.locator("#a-strengths").press_sequentially(" more")
    expect(a.locator("#conflict")).to_be_visible()
    a.get_by_role("button", name="Take the version saved elsewhere").click()
    expect(a.locator("#a-strengths")).to_have_value("")
    expect(a.locator("#a-growth")).to_have_value("from B")
    expect(a.locator("#save-status")).to_have_text("")
    expect(a.locator("#conflict")).to_be_hidden()
    assert _stored(sites, form_id)[2] == {"growth": "from B"}
    # start-up conflict: A types offline and closes; B saves meanwhile; A reopens
    ctx.set_offline(True)
    a.locator("#a-strengths").press_sequentially("offline A")
    expect(a.locator("#save-status")).to_contain_text("no connection")
    a.close()
    b.close()
    ctx.set_offline(False)
    _bump(sites, form_id)
    a = ctx.new_page()
    a.goto(f"{sites.tool}/feedback/forms/{form_id}")
    expect(a.locator("#conflict")).to_be_visible()
    expect(a.locator("#a-strengths")).to_have_value("offline A")
    a.get_by_role("button", name="Keep what is on this device").click()
    expect(a.locator("#save-status")).to_contain_text("Saved at")
    _until(
        lambda: _stored(sites, form_id)[2] == {"strengths": "offline A", "growth": "from B"},
        "startup keep",
    )
    # start-up send: A offline types, closes, reopens online with the same base
    ctx.set_offline(True)
    a.locator("#a-strengths").press_sequentially("!")
    a.close()
    ctx.set_offline(False)
    a = ctx.new_page()
    a.goto(f"{sites.tool}/feedback/forms/{form_id}")
    _until(lambda: _stored(sites, form_id)[2].get("strengths") == "offline A!", "startup send")
    expect(a.locator("#save-status")).to_contain_text("Saved at")
    # submit: the done page forgets the copy
    a.get_by_role("button", name="Submit").click()
    key = f"driehoek.feedback.{form_id}"
    _until(lambda: a.evaluate("(k) => localStorage.getItem(k)", key) is None, "forgotten")


def test_journal_fresh_token_and_conflict(sites: Sites, open_chromium: OpenChromium) -> None:
    context = open_chromium(jd.block_tool_cookies_in_lms(sites))
    course = jd.CoursePage(context, sites)
    page = jd._launch(context, sites, course)
    page.locator("a[href^='/journals/placements/']").first.click()
    page.locator("form[action$='/entries'] button[type=submit]").first.click()
    page.wait_for_url(re.compile(re.escape(sites.tool) + r"/journals/entries/\d+$"))
    entry_id = int(page.url.rsplit("/", 1)[1])
    status = page.locator("#save-status")
    page.locator("#title").fill("T")
    page.locator("#a-action").press_sequentially("one\x07 two")
    expect(status).to_contain_text(jd._saved_prefix())
    _until(lambda: jd._stored(sites, entry_id) == ("T", "one two"), "saved, control char dropped")
    context.clear_cookies(name="driehoek_session", domain=TOOL_HOST)
    page.locator("#a-action").press_sequentially(" three")
    expect(status).to_contain_text(dutch("Not saved — sign in again through your course"))
    other = jd._launch(context, sites, course)  # signs in again in another tab
    _until(lambda: jd._stored(sites, entry_id) == ("T", "one two three"), "sent with fresh token")
    expect(status).to_contain_text(jd._saved_prefix())
    # conflict: the other tab saves first
    other.goto(f"{sites.tool}/journals/entries/{entry_id}")
    other.locator("#a-action").press_sequentially("\n\nfrom other")
    expect(other.locator("#save-status")).to_contain_text(jd._saved_prefix())
    page.locator("#title").press_sequentially("X")
    expect(page.locator("#conflict")).to_be_visible()
    assert page.locator("#conflict-diff span.answer-text").count() >= 2
    print(page.locator("#conflict-diff").inner_text())
    page.locator("#take-theirs").click()
    expect(page.locator("#title")).to_have_value("T")
    expect(page.locator("#a-action")).to_have_value(re.compile("from other"))
