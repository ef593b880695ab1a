"""Each home leads, on a phone (390×844) and on a laptop (1280×800).

Who opens these pages and why: a student launches Driehoek from her course, mostly on a phone
between lessons, to do the one thing that waits for her — change a returned proposal, sign (again,
after a change), fix hours her mentor returned — or, with no placement, to propose one. She gives
up when she has to look for that step, when the page promises what is not there, or when the hours
page offers a form that can only fail (before her placement starts). A school mentor signs in for
the first time from an e-mail on a phone, to see what the college asks and whom to call.

The students are the sandbox's demo course (lti_app/sandbox/demo_states.py): Jonas's proposal
came back, Lotte's signature was voided by a change, Sofie's mentor returned an entry, Yana (the
second college) has no placement. Each launches from the course page and, since this browser
keeps the tool's cookies out of the LMS's page, continues in a window of the tool's own (which is
what the viewport sizes and axe-core then see). On each page: exactly one primary button, the
step; axe-core finds nothing; nothing scrolls sideways.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_date
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible, assert_no_horizontal_scroll
from tests.browser.conftest import OpenChromium, Sites
from tests.browser.test_iframe_launch import CoursePage, block_tool_cookies_in_lms
from tests.signing import dutch

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}


def _app(sites: Sites) -> Any:

    return sites.app()


def launch(
    open_chromium: OpenChromium, sites: Sites, who: str, size: str, home: str = "/student"
) -> Page:
    """``who`` launches from the sandbox course page and continues in the tool's own window."""
    context = open_chromium(block_tool_cookies_in_lms(sites))
    course = CoursePage(context, sites)
    course.open_as(who)
    offer = course.tool.locator("#blocked").get_by_role("button")
    with context.expect_page() as popup_info:
        offer.click()
    page = popup_info.value
    page.wait_for_url(sites.tool + home)
    page.set_viewport_size(SIZES[size])
    return page


def check(page: Page, artifacts: Path, name: str) -> None:
    assert_accessible(page)
    assert_no_horizontal_scroll(page)
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def the_one_button(page: Page, label: str) -> None:
    buttons = page.locator("main a.button.primary")
    expect(buttons).to_have_count(1)
    expect(buttons).to_have_text(label)
    expect(page.locator(".next-step")).to_contain_text(label)


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_the_students_home_shows_her_next_step_in_each_state(
    sites: Sites, open_chromium: OpenChromium, artifacts: Path, size: str
) -> None:
    page = launch(open_chromium, sites, "noord-student-yana", size)
    the_one_button(page, dutch("Propose a placement"))
    for promise in ("reflectie", "journal"):  # nothing that does not exist yet (feedback does)
        expect(page.locator("main")).not_to_contain_text(promise)
    check(page, artifacts, f"home-no-placement-{size}")

    page = launch(open_chromium, sites, "student-jonas", size)
    the_one_button(page, dutch("Change and propose again"))
    expect(page.locator(".next-step blockquote.reason")).to_be_visible()
    check(page, artifacts, f"home-proposal-returned-{size}")

    page = launch(open_chromium, sites, "student-lotte", size)
    the_one_button(page, dutch("Sign again"))
    check(page, artifacts, f"home-sign-again-{size}")
    page.locator("main a.button.primary").click()
    expect(page).to_have_url(re.compile(re.escape(sites.tool) + r"/agreements/\d+$"))

    page = launch(open_chromium, sites, "student-sofie", size)  # reads English
    the_one_button(page, "Fix returned hours")
    check(page, artifacts, f"home-hours-returned-{size}")
    page.locator("main a.button.primary").click()
    expect(page.locator("#logged .reason").first).to_be_visible()
    check(page, artifacts, f"hours-returned-{size}")


def _placement_starting_later(sites: Sites) -> tuple[int, str]:
    """Mehdi (his first proposal is with the coach) also has an approved placement that starts
    in a month: once, whichever test or size comes first. Returns its id and its start date."""
    from sqlalchemy import select

    from lti_app import clock, db
    from lti_app.placements.models import Placement, PlacementState
    from lti_app.roster.models import Person
    from tests import factories

    app = _app(sites)
    with app.test_request_context():
        s = db.session()
        mehdi = s.scalars(
            select(Person).where(Person.email == "mehdi.elamrani@student.example")
        ).first()
        assert mehdi is not None, "the demo course has not been set up"
        mine = list(s.scalars(select(Placement).where(Placement.student_id == mehdi.id)))
        later = [p for p in mine if p.state == PlacementState.APPROVED]
        if not later:
            start = clock.today() + timedelta(days=30)
            with factories.bound(s):
                made = factories.PlacementFactory(
                    student=mehdi,
                    course=mine[0].course,
                    school=mine[0].school,
                    mentors=[link.mentor for link in mine[0].mentor_links],
                    start_date=start,
                    end_date=start + timedelta(days=60),
                )
            s.commit()
            later = [made]
        found = later[0].id, str(later[0].start_date.isoformat())
    app.extensions["db_engine"].dispose()
    return found


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_before_the_start_the_hours_page_says_when_it_opens(
    sites: Sites, open_chromium: OpenChromium, artifacts: Path, size: str
) -> None:
    page = launch(open_chromium, sites, "student-mehdi", size)
    the_one_button(page, dutch("See my proposal"))
    placement, start = _placement_starting_later(sites)
    page.goto(f"{sites.tool}/hours/placements/{placement}")
    opens = format_date(date.fromisoformat(start), "d MMMM yyyy", locale="nl")
    expect(page.locator(".opens-on")).to_contain_text(opens)
    expect(page.locator("input[name=amount]")).to_have_count(0)
    expect(page.locator("main form")).to_have_count(0)
    check(page, artifacts, f"hours-before-start-{size}")


def _first_sign_in(sites: Sites, email: str, student: str) -> str:
    """A mentor new to Driehoek, of a placement whose coach is An, and their sign-in link."""
    from lti_app import db
    from lti_app.guests.invitations import send_sign_in_link
    from tests import factories

    app = _app(sites)
    with app.test_request_context():
        s = db.session()
        with factories.bound(s):
            given, _, family = student.partition(" ")
            mentor = factories.MentorFactory(email=email, name="Hilde Goossens", locale="nl")
            factories.PlacementFactory(
                student=factories.PersonFactory(name=student, given_name=given, family_name=family),
                mentors=[mentor],
                coach=factories.PersonFactory(
                    name="An Peeters", given_name="An", email="an.peeters@hogeschool.example"
                ),
                school=factories.SchoolFactory(name="Sint-Lodewijkscollege"),
            )
        link = send_sign_in_link(s, email)
        assert link is not None
        s.commit()
        url = link.url
    app.extensions["db_engine"].dispose()
    return url


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_the_mentors_first_visit_says_what_the_college_asks_and_whom_to_call(
    sites: Sites, open_chromium: OpenChromium, artifacts: Path, size: str
) -> None:
    url = _first_sign_in(sites, f"hilde.{size}@lodewijk.example", f"Ruben {size}")
    page = open_chromium().new_page()
    page.set_viewport_size(SIZES[size])
    page.goto(url)
    page.get_by_role(
        "button", name=dutch("Sign in as %(name)s") % {"name": "Hilde Goossens"}
    ).click()
    briefing = page.locator("details.briefing")
    expect(briefing).to_have_attribute("open", "")
    expect(briefing.locator("ul").first).to_be_visible()
    call = briefing.locator(".contacts li").filter(has_text=f"Ruben {size}")
    expect(call).to_contain_text("An Peeters")
    expect(call.locator('a[href="mailto:an.peeters@hogeschool.example"]')).to_be_visible()
    check(page, artifacts, f"mentor-first-visit-{size}")
    briefing.locator("summary").click()  # folded away in one tap
    expect(briefing.locator("ul").first).to_be_hidden()


def test_the_coordinators_pages_are_in_the_header_and_wrap_on_a_phone(
    sites: Sites, open_chromium: OpenChromium, artifacts: Path
) -> None:
    page = launch(open_chromium, sites, "coordinator-koen", "phone", home="/coach")
    nav = page.get_by_role("navigation", name=dutch("Your pages"))
    for label in ("Agreement templates", "Learning platforms", "Schools", "Members and roles"):
        expect(nav.get_by_role("link", name=dutch(label))).to_be_visible()
    assert_no_horizontal_scroll(page)
    page.screenshot(path=str(artifacts / "coordinator-header-phone.png"))
    nav.get_by_role("link", name=dutch("Agreement templates")).click()
    expect(page).to_have_url(sites.tool + "/agreement-templates")
    assert_accessible(page)
    assert_no_horizontal_scroll(page)
