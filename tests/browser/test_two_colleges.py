"""Two colleges in the sandbox LMS, in a real Chromium: each opens Driehoek from its own course
page section and sees only its own course, people and programmes.

Hogeschool Noord's link names no programme, so its coach is asked once, at the first launch.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OpenChromium, Sites
from tests.browser.test_iframe_launch import ALLOW_THIRD_PARTY_COOKIES, CoursePage

pytestmark = [pytest.mark.browser, pytest.mark.timeout(60)]


def test_each_college_sees_only_its_own_course(
    open_chromium: OpenChromium, sites: Sites, artifacts: Path
) -> None:
    course = CoursePage(open_chromium(ALLOW_THIRD_PARTY_COOKIES), sites)
    sections = course.page.locator("section.sandbox-college")
    expect(sections).to_have_count(2)
    expect(sections.nth(1)).to_contain_text("Hogeschool Noord (demo)")

    course.open_as("student-lotte")  # college one: a student of its course launches first
    expect(course.tool.locator("header .who")).to_have_text("Lotte Janssens")

    course.open_as("noord-coach-ilse")
    # The first launch of Noord's course: which programme? The college has none yet.
    expect(course.tool.locator("main h1")).to_contain_text("Stage LO 2026-2027 (Noord)")
    expect(course.tool.locator("input[name=programme][value=another]")).to_be_checked()
    course.tool.locator("input[name=new_name]").fill("Lerarenopleiding kleuteronderwijs")
    course.tool.locator("main form button.primary").click()
    course.frame.wait_for_url(sites.tool + "/coach")  # the programme page had her name too
    expect(course.tool.locator("header .who")).to_have_text("Ilse Vermeulen")
    page = course.tool.locator("main")
    expect(page).to_contain_text("Stage LO 2026-2027 (Noord)")
    expect(page).not_to_contain_text("Lotte Janssens")
    expect(page).not_to_contain_text("Stage SO 2026-2027")
    course.page.screenshot(path=artifacts / "second-college-coach.png")

    course.open_as("coach-an")  # back in college one: Noord's programme is not among its own
    expect(course.tool.locator("header .who")).to_have_text("An Peeters")
    expect(course.tool.locator("main")).to_contain_text("Lotte Janssens")
    expect(course.tool.locator("main")).not_to_contain_text("Ilse Vermeulen")
    course.frame.goto(sites.tool + "/course/programme")
    expect(course.tool.locator("main")).to_contain_text("Educatief graduaat secundair onderwijs")
    expect(course.tool.locator("main")).not_to_contain_text("Lerarenopleiding kleuteronderwijs")
