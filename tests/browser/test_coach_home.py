"""The coach's home in a real Chromium, on a phone (390 × 844) and a laptop (1280 × 800), with
the sandbox's demo course in every state (a proposal to decide, a proposal returned, an
agreement for the college to sign, agreements waiting for others, hours, students without a
placement): "Needs you" comes first with its actions, the students without a placement fold into
one line that opens, rows are cards on the phone and a table on the laptop, a name leads to the
student's placement; axe-core finds nothing, with the line closed and open; nothing scrolls
sideways.

The coach opens Driehoek in a window of its own (the launch form's target set to the page
itself), as a phone does when the LMS app hands the link to the browser.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible, assert_no_horizontal_scroll
from tests.browser.conftest import OpenChromium, Sites
from tests.browser.test_iframe_launch import ALLOW_THIRD_PARTY_COOKIES
from tests.signing import dutch

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}


def _students_without_placement(sites: Sites, size: str) -> None:
    """Two students of the demo course who have no placement yet (as a roster sync adds them;
    no job worker runs beside this server)."""
    from sqlalchemy import select

    from lti_app import db
    from lti_app.roster.models import Course
    from lti_app.sandbox.demo import MAIN
    from tests import factories

    app = sites.app()
    with app.app_context():
        s = db.session()
        course = s.scalars(select(Course).where(Course.context_id == MAIN.course["id"])).one()
        with factories.bound(s):
            for name in (f"Wout Maes {size}", f"Ines Aerts {size}"):
                factories.MembershipFactory(course=course, person__name=name)
        s.commit()
    app.extensions["db_engine"].dispose()


def _open_as_coach(page: Page, sites: Sites) -> None:
    page.goto(sites.course_page)  # in development the course page sets up the demo states
    button = page.locator("button[data-person=coach-an]")
    button.evaluate("b => { b.form.target = '_self'; }")
    button.click()
    page.wait_for_url(sites.tool + "/coach")


def _check(page: Page) -> None:
    assert_accessible(page)
    assert_no_horizontal_scroll(page)


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_the_coach_sees_what_needs_them_first_on_a_phone_and_a_laptop(
    sites: Sites, open_chromium: OpenChromium, artifacts: Path, size: str
) -> None:
    page = open_chromium(ALLOW_THIRD_PARTY_COOKIES).new_page()
    page.set_viewport_size(SIZES[size])
    _open_as_coach(page, sites)  # the first launch makes the demo course
    _students_without_placement(sites, size)
    page.reload()

    needs = page.locator("section.needs")
    expect(needs.get_by_role("heading", level=2)).to_have_text(dutch("Needs you"))
    expect(needs.get_by_role("link", name=dutch("Review the proposal"))).to_have_count(1)
    expect(needs.get_by_role("link", name=dutch("Sign the agreement"))).to_have_count(1)
    expect(needs.get_by_role("link", name=dutch("Open the placement"))).to_have_count(1)
    # "Needs you" is above the students.
    needs_top = needs.bounding_box()
    students_top = page.locator("#students-title").bounding_box()
    assert needs_top and students_top and needs_top["y"] < students_top["y"]

    table = page.locator("table.pipeline")
    first_row = table.locator("tbody").first
    if size == "phone":  # a card: as wide as the page, its cells stacked with their labels
        expect(first_row.locator(".cl").first).to_be_visible()
        box = first_row.bounding_box()
        assert box and box["width"] <= SIZES["phone"]["width"]
    else:  # a table: the column headers visible, the cards' labels not
        expect(table.locator("thead th").first).to_be_visible()
        expect(first_row.locator(".cl").first).to_be_hidden()
    _check(page)
    page.screenshot(path=str(artifacts / f"coach-home-{size}.png"), full_page=True)

    folded = page.locator("details.unplaced")
    expect(folded.locator("summary")).to_be_visible()
    expect(folded.locator("li").first).to_be_hidden()
    folded.locator("summary").click()
    expect(folded.locator("li").first).to_be_visible()
    expect(folded.get_by_role("link").first).to_have_attribute(
        "href", re.compile(r"^/placements/new\?student=\d+$")
    )
    _check(page)
    page.screenshot(path=str(artifacts / f"coach-home-{size}-unplaced.png"), full_page=True)

    # A student's name leads to their placement.
    name = first_row.locator("th.student a")
    student = name.inner_text()
    name.click()
    page.wait_for_url(sites.tool + "/placements/*")
    expect(page.locator("main")).to_contain_text(student)
    _check(page)
