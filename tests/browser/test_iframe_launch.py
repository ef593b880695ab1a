"""Opening Driehoek inside the sandbox LMS's course page, in a real Chromium, over https.

The course page (``https://lms.test``) embeds the tool (``https://tool.test``) in an iframe named
"tool", so every cookie the tool sets there is a third-party cookie. Three browsers:

1. third-party cookies allowed: student, coach and deep linking all work inside the iframe;
2. third-party cookies blocked (Chromium's own setting): the tool's partitioned (CHIPS) cookies
   still work, so the student gets in without leaving the course page;
3. every cookie of the tool blocked inside the course page: the cookie check offers a new
   window, and the student gets in there;
4. the sandbox spending its message hints like Moodle, and the tool's cookies lost between the
   login and the launch: the launch offers the LMS's own launch page in a new window.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Frame,
    FrameLocator,
    Page,
    Route,
    expect,
)

from tests.browser.conftest import TOOL_HOST, OpenChromium, Sites

pytestmark = [pytest.mark.browser, pytest.mark.timeout(60)]

STUDENT, COACH = "student-lotte", "coach-an"
STUDENT_NAME, COACH_NAME = "Lotte Janssens", "An Peeters"

# chrome://settings/cookies, as Preferences (CookieControlsMode): 0 = allow third-party cookies,
# 1 = block them. A fresh profile of this headless Chromium 156 already blocks them, so the
# "allowed" browser must say so explicitly.
ALLOW_THIRD_PARTY_COOKIES = {"profile": {"cookie_controls_mode": 0}}
BLOCK_THIRD_PARTY_COOKIES = {"profile": {"cookie_controls_mode": 1}}


def block_tool_cookies_in_lms(sites: Sites) -> dict[str, Any]:
    """Third-party cookies allowed in general, but a site exception "block cookies of tool.test
    when the page is lms.test" (content setting COOKIES = 2, block; pattern "primary,secondary" =
    cookie origin, top-level origin). The tool keeps its cookies in a window of its own."""
    pattern = f"{sites.tool},{sites.lms}"
    exceptions = {"cookies": {pattern: {"setting": 2}}}
    return {
        "profile": {
            **ALLOW_THIRD_PARTY_COOKIES["profile"],
            "content_settings": {"exceptions": exceptions},
        }
    }


class CoursePage:
    """The sandbox LMS's demo course page, with Driehoek in its iframe named "tool"."""

    def __init__(self, context: BrowserContext, sites: Sites, query: str = ""):
        self.context, self.sites = context, sites
        self.page = context.pages[0] if context.pages else context.new_page()
        self.console: list[str] = []
        self.page.on("console", self._log)
        self.page.goto(sites.course_page + query)
        expect(self.page.locator("iframe[name=tool]")).to_be_attached()

    def _log(self, message: ConsoleMessage) -> None:
        self.console.append(f"{message.type}: {message.text}")

    @property
    def tool(self) -> FrameLocator:
        return self.page.frame_locator("iframe[name=tool]")

    @property
    def frame(self) -> Frame:
        frame = self.page.frame(name="tool")
        assert frame is not None, "the course page has no frame named 'tool'"
        return frame

    def open(self, button: str) -> None:
        """Click a launch button and check that the frame really went to the tool."""

        def left_the_lms(frame: Frame) -> bool:
            return frame.name == "tool" and not frame.url.startswith(self.sites.lms)

        with self.page.expect_event("framenavigated", predicate=left_the_lms) as navigated:
            self.page.locator(button).click()
        if not navigated.value.url.startswith(self.sites.tool + "/"):
            pytest.fail(
                f"the course page could not show Driehoek: its frame went to "
                f"{navigated.value.url}\nbrowser console:\n" + "\n".join(self.console)
            )

    def open_as(self, person: str) -> None:
        self.open(f"button[data-person={person}]")


def expect_student_home(target: Page | FrameLocator) -> None:
    expect(target.locator("main h1")).to_contain_text("Lotte")
    expect(target.locator("header .who")).to_have_text(STUDENT_NAME)


def cookie_probe(frame: Frame, sites: Sites) -> dict[str, bool]:
    """Set two SameSite=None cookies from the tool's frame, one partitioned, and see which stay."""
    assert frame.evaluate("() => window.location.origin") == sites.tool
    jar: str = frame.evaluate(
        """() => {
          const attrs = "; path=/; max-age=60; SameSite=None; Secure";
          document.cookie = "probe_unpartitioned=1" + attrs;
          document.cookie = "probe_partitioned=1" + attrs + "; Partitioned";
          const jar = document.cookie;
          document.cookie = "probe_unpartitioned=; path=/; max-age=0; SameSite=None; Secure";
          document.cookie = "probe_partitioned=; path=/; max-age=0; SameSite=None; Secure; Partitioned";
          return jar;
        }"""
    )
    return {
        "unpartitioned": "probe_unpartitioned=1" in jar,
        "partitioned": "probe_partitioned=1" in jar,
    }


def tool_session_cookie(context: BrowserContext) -> dict[str, Any]:
    """The tool's session cookie (the sandbox LMS, on lms.test, has one of its own)."""
    found = [
        c
        for c in context.cookies()
        if c.get("name") == "driehoek_session" and c.get("domain") == TOOL_HOST
    ]
    assert len(found) == 1, f"expected one driehoek_session cookie for {TOOL_HOST}, got {found}"
    return dict(found[0])


def way_in(course: CoursePage) -> str:
    """Wait for the student home in the frame, or for the new-window offer (then take it).

    Returns where the student got in: "in the course page" or "in a new window".
    """
    home = course.tool.locator("main h1").filter(has_text="Lotte")
    # The offer of cookie_check.html (before the sign-in) or cookies_blocked.html (after it).
    offer = course.tool.locator("form[target=_blank] button")
    expect(home.or_(offer)).to_be_visible()
    if home.is_visible():
        return "in the course page"
    with course.context.expect_page() as popup_info:
        offer.click()
    expect_student_home(popup_info.value)
    return "in a new window"


def test_cookies_allowed_student_coach_and_deep_linking(
    open_chromium: OpenChromium, sites: Sites, artifacts: Path
) -> None:
    course = CoursePage(open_chromium(ALLOW_THIRD_PARTY_COOKIES), sites)

    course.open_as(STUDENT)
    expect_student_home(course.tool)
    assert course.frame.url == sites.tool + "/student"
    # The control for the next test: here an unpartitioned third-party cookie does stay.
    assert cookie_probe(course.frame, sites) == {"unpartitioned": True, "partitioned": True}
    course.page.screenshot(path=artifacts / "student-home-in-sandbox.png")

    course.open_as(COACH)
    expect(course.tool.locator("header .who")).to_have_text(COACH_NAME)
    students = course.tool.locator("main table tbody tr")
    expect(students.filter(has_text=STUDENT_NAME)).to_have_count(1)
    assert course.frame.url == sites.tool + "/coach"

    placed = course.page.locator("#course-links li")
    before = placed.count()
    course.open("button[data-deeplink]")
    expect(course.tool.locator("input[name=choice][value=overview]")).to_be_checked()
    assert course.frame.url == sites.tool + "/lti/deep-link"
    course.tool.locator("main form button.primary").click()
    # The signed response goes to the LMS inside the frame; the LMS reloads the whole page.
    course.page.wait_for_url(re.compile(re.escape(sites.course_page) + r"\?message="))
    expect(course.page.locator("aside .notice-ok")).to_be_visible()
    expect(placed).to_have_count(before + 1)
    assert placed.last.locator("strong").inner_text() in ("Stage-overzicht", "Placement overview")


def test_third_party_cookies_blocked_student_gets_in_with_partitioned_cookies(
    open_chromium: OpenChromium, sites: Sites, artifacts: Path
) -> None:
    context = open_chromium(BLOCK_THIRD_PARTY_COOKIES)
    course = CoursePage(context, sites)

    course.open_as(STUDENT)
    path = way_in(course)
    assert path == "in the course page", (
        "Chromium blocks third-party cookies but keeps partitioned (CHIPS) ones, so the student "
        f"should get in without leaving the course page; got in {path}"
    )
    expect_student_home(course.tool)
    assert course.frame.url == sites.tool + "/student"
    assert len(context.pages) == 1, "no other window was opened"

    # Third-party cookies really are blocked here, and only partitioned ones get through ...
    assert cookie_probe(course.frame, sites) == {"unpartitioned": False, "partitioned": True}
    # ... and the tool's session is such a cookie, kept for pages of the LMS's site only.
    assert tool_session_cookie(context)["partitionKey"] == "https://lms.test"
    course.page.screenshot(path=artifacts / "student-home-third-party-cookies-blocked.png")


def test_cookies_blocked_in_frame_student_continues_in_new_window(
    open_chromium: OpenChromium, sites: Sites, artifacts: Path
) -> None:
    context = open_chromium(block_tool_cookies_in_lms(sites))
    course = CoursePage(context, sites)

    course.open_as(STUDENT)
    offer = course.tool.locator("#blocked").get_by_role("button")
    expect(offer).to_be_visible()
    expect(course.tool.locator("#checking")).to_be_hidden()
    # Not even a partitioned cookie can be kept by the tool inside the course page.
    assert cookie_probe(course.frame, sites) == {"unpartitioned": False, "partitioned": False}

    with context.expect_page() as popup_info:
        offer.click()
    popup = popup_info.value
    popup.wait_for_url(sites.tool + "/student")
    expect_student_home(popup)
    # The frame still shows the offer; the session lives in the tool's own (first-party) jar.
    expect(offer).to_be_visible()
    assert tool_session_cookie(context)["partitionKey"] == "https://tool.test"
    popup.screenshot(path=artifacts / "student-home-new-window.png")


def test_lost_state_cookie_on_a_platform_that_spends_its_hints_new_window_gets_in(
    open_chromium: OpenChromium, sites: Sites, artifacts: Path
) -> None:
    """The sandbox in its Moodle-like mode: each message hint works once. The browser loses the
    tool's cookies between the login and the launch (here: cleared just before the launch is
    posted); re-sending the old login would meet "Invalid request", so the launch page links
    the LMS's launch page of the activity, which starts a new sign-in in the new window."""
    context = open_chromium(ALLOW_THIRD_PARTY_COOKIES)
    lost: list[str] = []

    def lose_the_tools_cookies(route: Route) -> None:
        if not lost:
            context.clear_cookies(domain=TOOL_HOST)
            lost.append(route.request.url)
        route.continue_()

    context.route(re.compile(re.escape(sites.tool) + r"/lti/launch$"), lose_the_tools_cookies)
    course = CoursePage(context, sites, "?hints=once")

    course.open_as(STUDENT)
    offer = course.tool.locator("a[data-fresh-start]")
    expect(offer).to_be_visible()
    assert lost, "no launch was posted"
    assert offer.get_attribute("href") == (
        sites.course_page + "mod/lti/launch.php?id=7&triggerview=0"
    )

    with context.expect_page() as popup_info:
        offer.click()
    popup = popup_info.value
    popup.wait_for_url(sites.tool + "/student")
    expect_student_home(popup)
    # The frame still shows the offer: nobody was signed in there.
    expect(offer).to_be_visible()
    popup.screenshot(path=artifacts / "student-home-fresh-start-window.png")


def test_the_tool_tells_the_course_page_its_height(
    open_chromium: OpenChromium, sites: Sites
) -> None:
    """frame-resize.js: inside the course page the tool posts {subject: "lti.frameResize",
    height} to the LMS, so the LMS can size the iframe to the page (no second scroll bar)."""
    course = CoursePage(open_chromium(ALLOW_THIRD_PARTY_COOKIES), sites)
    course.page.evaluate(
        """() => {
            window.frameResizes = [];
            window.addEventListener("message", (event) => {
                if (event.data && event.data.subject === "lti.frameResize") {
                    window.frameResizes.push({origin: event.origin, height: event.data.height});
                }
            });
        }"""
    )
    course.open_as(STUDENT)
    expect_student_home(course.tool)
    course.page.wait_for_function(
        "origin => window.frameResizes.some((m) => m.origin === origin && m.height > 0)",
        arg=sites.tool,
    )
    told = course.page.evaluate("() => window.frameResizes.map((m) => m.height)")
    # Its own page's height, as the tool's frame measures it.
    tall = course.frame.evaluate("() => Math.ceil(document.documentElement.scrollHeight)")
    assert told[-1] == tall
