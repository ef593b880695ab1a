"""A launch that arrives without its state cookie, on a platform that spends its message hints.

Moodle's ``lti_message_hint`` names a launch kept in the Moodle session, forgotten at its first
use: the old fallback (post the login's parameters again from a new window) met "Invalid request".
The test LMS here does the same (``TestLMS.one_time_hints``), and also has Moodle's launch page of
the activity, which starts a new login; the fallback must end signed in through that page.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from flask import Flask
from sqlalchemy import text

from tests.functional.test_sandbox_nrps import served_app  # noqa: F401 (a fixture)
from tests.launching import FlaskBrowser, Page, login
from tests.lms import LEARNER, HintRefused, Person, TestLMS

TABLES = ("person", "course", "membership")


def rows(app: Flask) -> dict[str, int]:
    with app.extensions["db_engine"].connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}  # noqa: S608


def english(app: Flask) -> FlaskBrowser:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return FlaskBrowser(client)


def follow(browser: FlaskBrowser, page: Page) -> Page:
    while page.status in (302, 303) and page.location:
        target = page.location if page.location.startswith("http") else browser.base + page.location
        page = browser.get(target)
    return page


def signed_in_as(browser: FlaskBrowser) -> str | None:
    page = browser.get(browser.base + "/student")
    if page.status != 200:
        return None
    found = re.search(r'class="who"[^>]*>([^<]+)<', page.text)
    return found.group(1).strip() if found else "?"


def launch_without_cookie(
    browser: FlaskBrowser, lms: TestLMS, person: Person
) -> tuple[Page, dict[str, str], dict[str, str]]:
    """Login and platform auth in ``browser``, then the launch arrives without its cookie."""
    auth = login(browser, lms, person)
    form = lms.authorize(auth, person)
    browser.client.delete_cookie("lti1p3-" + form["state"])
    page = browser.post(form["launch_url"], {"id_token": form["id_token"], "state": form["state"]})
    return page, auth, form


def fresh_start_link(page: Page) -> str:
    found = re.search(r'<a [^>]*href="([^"]+)"[^>]*data-fresh-start', page.text)
    assert found is not None, page.text[:1500]
    assert 'target="_blank"' in found.group(0) and 'rel="noopener"' in found.group(0)
    return html.unescape(found.group(1))


def open_in_new_window(url: str, window: FlaskBrowser, lms: TestLMS, person: Person) -> Page:
    """What the new window does: the LMS's page posts a new login to the tool, then the usual."""
    lms_page = requests.get(url, timeout=10)
    assert lms_page.status_code == 200, lms_page.text
    action = re.search(r'<form action="([^"]+)"', lms_page.text)
    assert action is not None
    fields = {
        html.unescape(k): html.unescape(v)
        for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', lms_page.text)
    }
    # A top-level window: the browser says "document", so no cookie check is needed.
    redirect = window.post(html.unescape(action.group(1)), fields, {"Sec-Fetch-Dest": "document"})
    assert redirect.status == 302 and redirect.location.startswith(lms.url("/auth"))
    form = lms.authorize(dict(parse_qsl(urlsplit(redirect.location).query)), person)
    page = window.post(form["launch_url"], {"id_token": form["id_token"], "state": form["state"]})
    return follow(window, page)


@pytest.fixture
def moodle(lms: TestLMS) -> TestLMS:
    lms.one_time_hints = True
    return lms


def test_a_launch_that_lost_its_state_cookie_still_ends_signed_in_through_the_fallback(
    app: Flask, moodle: TestLMS, student: Person
) -> None:
    framed = english(app)
    blocked, auth, _form = launch_without_cookie(framed, moodle, student)

    assert blocked.status == 400, blocked.text[:800]
    assert "Open Driehoek in a new window" in blocked.text
    assert rows(app) == {"person": 0, "course": 0, "membership": 0}
    assert signed_in_as(framed) is None
    # What the old fallback did (the same login again) the platform now refuses ...
    with pytest.raises(HintRefused, match="Invalid request"):
        moodle.authorize(auth, student)
    # ... so the page offers the platform's own launch page of the activity instead.
    url = fresh_start_link(blocked)
    assert url == moodle.url("/mod/lti/launch.php?id=42&triggerview=0")
    assert 'action="/lti/continue"' not in blocked.text

    window = english(app)  # the new window: first-party cookies work
    home = open_in_new_window(url, window, moodle, student)

    assert home.status == 200, home.text[:800]
    assert home.url.endswith("/student")
    assert signed_in_as(window) == "Lotte Janssens"
    assert rows(app) == {"person": 1, "course": 1, "membership": 1}


def test_the_fallback_spends_the_state_so_the_same_post_never_works_again(
    app: Flask, moodle: TestLMS, student: Person
) -> None:
    framed = english(app)
    blocked, _auth, form = launch_without_cookie(framed, moodle, student)
    assert blocked.status == 400

    # Even with the right cookie now, in this browser or another one, the launch is used up.
    for browser in (framed, english(app)):
        browser.client.set_cookie("lti1p3-" + form["state"], form["state"])
        again = browser.post(
            form["launch_url"], {"id_token": form["id_token"], "state": form["state"]}
        )
        assert again.status == 400
        assert "already used" in again.text
        assert signed_in_as(browser) is None
    assert rows(app) == {"person": 0, "course": 0, "membership": 0}


def test_someone_elses_launch_posted_in_my_browser_signs_me_in_as_me_only(
    app: Flask, moodle: TestLMS, student: Person
) -> None:
    """Login fixation: an attacker's own launch, posted from my browser (which has no cookie
    for it), signs nobody in; the fresh start runs as whoever the platform knows in my browser."""
    attacker = Person("student-666", "Mallory Mal", [LEARNER])
    theirs = english(app)
    auth = login(theirs, moodle, attacker)
    form = moodle.authorize(auth, attacker)

    mine = english(app)
    moodle.signed_in = student  # my browser is signed in to the LMS as me
    blocked = mine.post(form["launch_url"], {"id_token": form["id_token"], "state": form["state"]})

    assert blocked.status == 400
    assert signed_in_as(mine) is None
    assert "Mallory" not in blocked.text
    home = open_in_new_window(fresh_start_link(blocked), mine, moodle, student)
    assert home.status == 200 and signed_in_as(mine) == "Lotte Janssens"
    # And the attacker's own launch is spent: they cannot finish it either.
    late = theirs.post(form["launch_url"], {"id_token": form["id_token"], "state": form["state"]})
    assert late.status == 400 and signed_in_as(theirs) is None


def test_a_forged_launch_without_cookie_gets_no_fallback_and_spends_nothing(
    app: Flask, moodle: TestLMS, student: Person
) -> None:
    from tests.lms import rsa_pem

    browser = english(app)
    auth = login(browser, moodle, student)
    form = moodle.authorize(auth, student)
    claims = moodle.claims(student, auth["nonce"])
    forged = moodle.sign(claims, key=rsa_pem())  # the platform's kid, someone else's key

    stranger = english(app)
    page = stranger.post(form["launch_url"], {"id_token": forged, "state": form["state"]})
    assert page.status == 400
    assert "new window" not in page.text and "data-fresh-start" not in page.text

    # The real launch, in the browser that holds the cookie, is untouched by the forgery.
    real = browser.post(form["launch_url"], {"id_token": form["id_token"], "state": form["state"]})
    assert follow(browser, real).status == 200
    assert signed_in_as(browser) == "Lotte Janssens"


def test_a_platform_that_accepts_a_hint_twice_gets_the_login_again(
    app: Flask, lms: TestLMS, student: Person
) -> None:
    """A platform whose hints are not Moodle's gets the login again (it accepts the hint twice)."""
    blocked, _auth, _form = launch_without_cookie(english(app), lms, student)
    assert blocked.status == 400
    assert "data-fresh-start" not in blocked.text
    assert 'action="/lti/continue"' in blocked.text


# -- the sandbox LMS in its Moodle-like mode --------------------------------------------------


def _autopost(page: Page) -> tuple[str, dict[str, str]]:
    action = re.search(r'<form id="autopost" method="post" action="([^"]+)"', page.text)
    assert action is not None, page.text[:800]
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)
    return html.unescape(action.group(1)), {html.unescape(k): html.unescape(v) for k, v in fields}


def test_the_sandbox_spends_its_hints_like_moodle_and_the_fallback_still_gets_the_student_in(
    served_app: Flask,
) -> None:
    browser = english(served_app)
    base = served_app.config["BASE_URL"]
    course = browser.get(base + "/sandbox/?hints=once")
    assert 'action="/sandbox/mod/lti/launch.php"' in course.text

    # The student's button: the activity's launch page posts a login with a one-time hint.
    start = browser.get(base + "/sandbox/mod/lti/launch.php", {"id": "7", "as": "student-lotte"})
    action, fields = _autopost(start)
    assert action == base + "/lti/login"
    assert fields["lti_message_hint"].startswith('{"cmid": 7, "launchid": "ltilaunch7_')
    auth = browser.post(action, fields, {"Sec-Fetch-Dest": "document"})
    assert auth.status == 302
    answer = browser.get(auth.location)
    launch_url, posted = _autopost(answer)
    browser.client.delete_cookie("lti1p3-" + posted["state"])
    blocked = browser.post(launch_url, posted)
    assert blocked.status == 400
    assert signed_in_as(browser) is None
    # The same hint a second time: refused, as Moodle refuses it.
    assert browser.get(auth.location).status == 400

    fresh = fresh_start_link(blocked)
    assert fresh == base + "/sandbox/mod/lti/launch.php?id=7&triggerview=0"
    window = browser  # the new window shares the browser's first-party cookies (the LMS's too)
    action, fields = _autopost(window.get(fresh))
    auth = window.post(action, fields, {"Sec-Fetch-Dest": "document"})
    launch_url, posted = _autopost(window.get(auth.location))
    home = follow(window, window.post(launch_url, posted))
    assert home.status == 200, home.text[:800]
    assert signed_in_as(window) == "Lotte Janssens"
