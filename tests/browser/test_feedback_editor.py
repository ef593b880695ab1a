"""The coordinator's framework and form-template editors in a real Chromium on a phone
(390 × 844): every page axe-clean and nothing scrolls sideways, also with a row added, the
indicators open and the preview shown. The coordinator mostly uses a laptop; the phone is the
harder test of the same pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible, assert_no_horizontal_scroll
from tests.browser.conftest import OpenChromium, Sites
from tests.browser.test_homes import launch

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def _check(page: Page, artifacts: Path, name: str) -> None:
    assert_accessible(page)
    assert_no_horizontal_scroll(page)
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def test_the_editors_read_and_work_on_a_phone(
    sites: Sites, open_chromium: OpenChromium, artifacts: Path
) -> None:
    page = launch(open_chromium, sites, "coordinator-koen", "phone", home="/coach")
    page.goto(sites.tool + "/feedback/admin/frameworks")
    _check(page, artifacts, "feedback-frameworks-phone")

    page.locator("table a").first.click()
    page.wait_for_url(sites.tool + "/feedback/admin/frameworks/*")
    page.locator("details.indicators summary").first.click()
    page.locator("button[value=add]").click()
    expect(page.locator("fieldset.editor-row")).to_have_count(19)
    _check(page, artifacts, "feedback-framework-editor-phone")

    page.goto(sites.tool + "/feedback/admin/templates")
    _check(page, artifacts, "feedback-templates-phone")
    page.locator("table a").first.click()
    page.wait_for_url(sites.tool + "/feedback/admin/templates/*")
    page.locator("button[value='add:checklist']").click()
    page.locator("#title_nl").fill("")
    page.locator("button[value=save]").first.click()
    expect(page.locator("#problems")).to_be_visible()
    _check(page, artifacts, "feedback-template-refused-phone")
    page.locator("#title_nl").fill("Lesobservatie")
    added = page.locator("fieldset.block-checklist").last
    added.locator("input[name$='-label_nl']").first.fill("Materiaal")
    added.locator("input[name$='o-0-label_nl']").fill("Bordschema")
    page.locator("button[value=preview]").first.click()
    expect(page.locator(".template-preview")).to_be_visible()
    _check(page, artifacts, "feedback-template-preview-phone")
