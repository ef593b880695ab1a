"""Deep linking (LTI DL 2.0): a coach adds Driehoek to a course from the platform's content picker.

The coach's LtiDeepLinkingRequest lands on the chooser; the choice goes back to the platform as
an auto-posted LtiDeepLinkingResponse, which the test LMS (lti1p3platform) verifies against the
tool's published keys, as a real platform would.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import jwt
import pytest
from flask import Flask

from tests.launching import FlaskBrowser, Page, launch, login
from tests.lms import CLAIM, INSTRUCTOR, LEARNER, DictRequest, Launch, TestLMS
from tests.lms import Person as LmsPerson

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
TOOL_LAUNCH_URL = "http://tool.test/lti/launch"


class Forms(HTMLParser):
    """The forms of a page: action and fields, as a browser would submit them."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "id": a.get("id"), "fields": {}})
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = a.get("value") or ""


def csrf_token(page: Page) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text[:1500]
    return match.group(1)


def deep_link_launch(
    browser: FlaskBrowser, lms: TestLMS, person: LmsPerson, data: str | None = None
) -> Page:
    """The content-picker launch through lti1p3platform, with the opaque ``data`` it may carry."""
    auth_query = login(browser, lms, person)
    message = Launch(DictRequest(auth_query), lms.config)
    message.set_user_data(person.sub, person.roles, person.name, person.email)
    message.set_launch_context_claim(
        context_id="course-1", context_title="Stage SO", context_label="SO"
    )
    message.set_extra_claims(
        {CLAIM + "launch_presentation": {"document_target": "iframe", "locale": person.locale}}
    )
    message.set_dl(
        lms.url("/deep-link-return"),
        title="Driehoek",
        accept_types={"ltiResourceLink"},
        extra_data=data,  # type: ignore[arg-type]  # the spec's data is a string
    )
    form = message.lti_launch()
    page = browser.post(form["launch_url"], {"id_token": form["id_token"], "state": form["state"]})
    while page.status in (302, 303):
        page = browser.get(browser.base + page.location)
    return page


def tool_jwks(browser: FlaskBrowser) -> dict[str, Any]:
    response = browser.client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    keys: dict[str, Any] = response.get_json()
    return keys


def response_claims(token: str, jwks: dict[str, Any], lms: TestLMS) -> dict[str, Any]:
    """Verify the response as platforms do: the tool's key by kid, aud = the platform's issuer."""
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks["keys"] if k["kid"] == kid)
    claims: dict[str, Any] = jwt.decode(
        token,
        jwt.PyJWK(key).key,
        algorithms=["RS256"],
        audience=lms.issuer,
        issuer=lms.client_id,
        options={"require": ["iat", "exp", "nonce"]},
    )
    return claims


@pytest.fixture
def english_coach() -> LmsPerson:
    return LmsPerson("coach-1", "An Peeters", [INSTRUCTOR], "an@hogeschool.example", "en-GB")


@pytest.fixture
def english_browser(app: Flask) -> FlaskBrowser:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return FlaskBrowser(client)


def choose(browser: FlaskBrowser, chooser: Page, **fields: str) -> Page:
    form = {"choice": "overview", "csrf_token": csrf_token(chooser), **fields}
    return browser.post(browser.base + "/lti/deep-link", {k: v for k, v in form.items() if v})


def test_coach_deep_link_request_lands_on_the_chooser(
    english_browser: FlaskBrowser, lms: TestLMS, english_coach: LmsPerson
) -> None:
    page = launch(english_browser, lms, english_coach, deep_link=True)

    assert page.status == 200, page.text[:800]
    assert page.url == "http://tool.test/lti/deep-link"
    assert "Add Driehoek to the course" in page.text
    assert 'name="choice" value="overview"' in page.text


def test_chosen_item_goes_back_to_the_platform_which_accepts_it(
    english_browser: FlaskBrowser, lms: TestLMS, english_coach: LmsPerson
) -> None:
    chooser = deep_link_launch(english_browser, lms, english_coach, data="csrf=8c1f;section=3")
    assert chooser.url == "http://tool.test/lti/deep-link", chooser.text[:800]

    answer = choose(english_browser, chooser)

    assert answer.status == 200, answer.text[:800]
    (form,) = [f for f in Forms(answer.text).forms if f["id"] == "autopost"]
    assert form["action"] == lms.url("/deep-link-return")
    token = form["fields"]["JWT"]
    jwks = tool_jwks(english_browser)
    items = lms.validate_deep_linking_response(token, jwks)
    assert len(items) == 1
    assert items[0]["type"] == "ltiResourceLink"
    assert items[0]["url"] == TOOL_LAUNCH_URL
    assert items[0]["title"] == "Placement overview"

    claims = response_claims(token, jwks, lms)
    assert claims[CLAIM + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[CLAIM + "version"] == "1.3.0"
    assert claims[CLAIM + "deployment_id"] == lms.deployment_id
    assert claims[DL + "data"] == "csrf=8c1f;section=3"


def test_response_has_no_data_when_the_request_had_none(
    english_browser: FlaskBrowser, lms: TestLMS, english_coach: LmsPerson
) -> None:
    chooser = launch(english_browser, lms, english_coach, deep_link=True)

    answer = choose(english_browser, chooser)

    (form,) = [f for f in Forms(answer.text).forms if f["id"] == "autopost"]
    claims = response_claims(form["fields"]["JWT"], tool_jwks(english_browser), lms)
    assert DL + "data" not in claims
    assert len(claims[DL + "content_items"]) == 1


def test_two_responses_carry_different_nonces(
    app: Flask, lms: TestLMS, english_coach: LmsPerson
) -> None:
    """A platform may refuse a response whose nonce it has seen before."""
    nonces = set()
    for _ in range(2):
        browser = FlaskBrowser(app.test_client())
        answer = choose(browser, launch(browser, lms, english_coach, deep_link=True))
        (form,) = [f for f in Forms(answer.text).forms if f["id"] == "autopost"]
        nonces.add(response_claims(form["fields"]["JWT"], tool_jwks(browser), lms)["nonce"])
    assert len(nonces) == 2


def test_dutch_coach_gets_a_dutch_title_in_the_course(
    english_browser: FlaskBrowser, lms: TestLMS, coach: LmsPerson
) -> None:
    chooser = launch(english_browser, lms, coach, deep_link=True)  # coach's locale is nl-BE

    answer = choose(english_browser, chooser)

    (form,) = [f for f in Forms(answer.text).forms if f["id"] == "autopost"]
    items = lms.validate_deep_linking_response(form["fields"]["JWT"], tool_jwks(english_browser))
    assert items[0]["title"] == "Stage-overzicht"
    assert items[0]["url"] == TOOL_LAUNCH_URL


def test_student_deep_link_request_is_refused(
    app: Flask, english_browser: FlaskBrowser, lms: TestLMS
) -> None:
    student = LmsPerson("student-1", "Lotte Janssens", [LEARNER], locale="en-GB")

    page = launch(english_browser, lms, student, deep_link=True)

    assert page.status == 403, page.text[:800]
    assert "Only coaches can add Driehoek to a course." in page.text
    assert english_browser.get(english_browser.base + "/lti/deep-link").status == 401
    with app.extensions["db_engine"].connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM person").scalar_one() == 0


def test_choice_without_csrf_token_is_refused(
    english_browser: FlaskBrowser, lms: TestLMS, english_coach: LmsPerson
) -> None:
    launch(english_browser, lms, english_coach, deep_link=True)

    page = english_browser.post(english_browser.base + "/lti/deep-link", {"choice": "overview"})

    assert page.status == 400, page.text[:800]
    assert "JWT" not in page.text
    assert "deep-link-return" not in page.text


def test_choice_with_a_wrong_csrf_token_is_refused(
    english_browser: FlaskBrowser, lms: TestLMS, english_coach: LmsPerson
) -> None:
    chooser = launch(english_browser, lms, english_coach, deep_link=True)

    page = choose(english_browser, chooser, csrf_token="not-the-token")

    assert page.status == 400
    assert "deep-link-return" not in page.text


def test_unknown_choice_asks_again(
    english_browser: FlaskBrowser, lms: TestLMS, english_coach: LmsPerson
) -> None:
    chooser = launch(english_browser, lms, english_coach, deep_link=True)

    page = choose(english_browser, chooser, choice="everything")

    assert page.status == 400
    assert "Choose what to add to the course." in page.text
    assert "deep-link-return" not in page.text


def test_the_choice_can_be_sent_only_once(
    english_browser: FlaskBrowser, lms: TestLMS, english_coach: LmsPerson
) -> None:
    chooser = launch(english_browser, lms, english_coach, deep_link=True)
    assert choose(english_browser, chooser).status == 200

    again = choose(english_browser, chooser)

    assert again.status == 400
    assert "deep-link-return" not in again.text
    assert "only works right after choosing Driehoek" in again.text


def test_chooser_without_a_deep_linking_launch_explains_itself(
    english_browser: FlaskBrowser, lms: TestLMS, english_coach: LmsPerson
) -> None:
    home = launch(english_browser, lms, english_coach)
    assert home.url == "http://tool.test/coach"

    page = english_browser.get(english_browser.base + "/lti/deep-link")

    assert page.status == 400
    assert "only works right after choosing Driehoek" in page.text


def test_chooser_needs_a_signed_in_coach(english_browser: FlaskBrowser) -> None:
    assert english_browser.get(english_browser.base + "/lti/deep-link").status == 401
