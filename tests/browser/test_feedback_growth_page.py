"""The growth chart and the coach's course view in a real Chromium, on a phone (390 × 844) and
a laptop, with the sandbox's demo course (Sofie's semester of a dozen forms): axe-core finds
nothing, nothing scrolls sideways (the course table scrolls in its own box), a name in the
course view leads to the student's growth, and a point of the chart — by keyboard — to its form.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible, assert_no_horizontal_scroll
from tests.browser.conftest import OpenChromium, Sites
from tests.browser.test_coach_home import SIZES, _open_as_coach
from tests.browser.test_iframe_launch import ALLOW_THIRD_PARTY_COOKIES

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def _check(page: Page) -> None:
    assert_accessible(page)
    assert_no_horizontal_scroll(page)


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_the_coach_follows_sofies_growth_from_the_course_view_to_a_form(
    sites: Sites, open_chromium: OpenChromium, artifacts: Path, size: str
) -> None:
    page = open_chromium(ALLOW_THIRD_PARTY_COOKIES).new_page()
    page.set_viewport_size(SIZES[size])
    _open_as_coach(page, sites)
    page.goto(sites.tool + "/feedback/course")
    sofie = page.get_by_role("link", name="Sofie De Smet")
    expect(sofie).to_have_count(1)
    _check(page)
    page.screenshot(path=str(artifacts / f"feedback-course-{size}.png"), full_page=True)

    sofie.click()
    page.wait_for_url(re.compile(r".*/feedback/placements/\d+/growth$"))
    charts = page.locator("svg.growth-chart")
    assert charts.count() >= 10
    expect(charts.first.locator("a.point")).to_have_count(12)
    _check(page)
    page.screenshot(path=str(artifacts / f"feedback-growth-{size}.png"), full_page=True)

    # The table under a chart opens and says the same, with links.
    page.locator("details.growth-table summary").first.click()
    expect(page.locator("details.growth-table").first.locator("tbody tr")).to_have_count(12)
    _check(page)

    # A point is reached with the keyboard and opens its form.
    point = charts.first.locator("a.point").last
    point.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/feedback/forms/\d+$"))
    expect(page.locator("article.feedback-form")).to_have_count(1)
