"""Deep linking (LTI DL 2.0): a coach adds Driehoek to a course from the platform's content picker.

The coach's LtiDeepLinkingRequest lands on the chooser; the choice goes back to the platform as
an auto-posted LtiDeepLinkingResponse, which the test LMS (lti1p3platform) verifies against the
tool's published keys, as a real platform would. The graded reflection journal carries its
gradebook column (``lineItem``) the first time only; launches of the placed link then record the
column's URL and land students on their journal, coaches on the grading queue.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import jwt
import pytest
from flask import Flask
from sqlalchemy import select

from lti_app import db
from lti_app.grading.models import LineItem
from lti_app.journals.models import JournalAssignment
from lti_app.security import public
from tests.launching import FlaskBrowser, Page, launch, login
from tests.lms import CLAIM, INSTRUCTOR, LEARNER, DictRequest, Launch, TestLMS
from tests.lms import Person as LmsPerson

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
TOOL_LAUNCH_URL = "http://tool.test/lti/launch"

# The pages launches land on (issue 11's contract); helpers D and E write them in parallel.
CONTRACT_PAGES = {
    "journals.journal": "/journals/placements/<int:placement_id>",
    "journals.queue": "/journals/queue",
    "journals.review_student": "/journals/assignments/<int:assignment_id>/students/<int:student_id>",
}


def stand_in_pages(app: Flask) -> None:
    """The contract's landing pages this checkout does not have yet, as stand-ins at the
    contract's URLs: a test follows the redirect's Location, never into the page."""

    @public
    def stand_in(**_ids: int) -> str:
        return "stand-in"

    for endpoint, rule in CONTRACT_PAGES.items():
        if endpoint not in app.view_functions:
            app.add_url_rule(rule, endpoint=endpoint, view_func=stand_in)


@pytest.fixture(autouse=True)
def _landing_pages(app: Flask) -> Iterator[None]:
    stand_in_pages(app)
    yield


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
    browser: FlaskBrowser,
    lms: TestLMS,
    person: LmsPerson,
    data: str | None = None,
    **settings: Any,
) -> Page:
    """The content-picker launch through lti1p3platform, with the opaque ``data`` it may carry
    and deep-linking ``settings`` that differ from lti1p3platform's (accept_multiple…)."""
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
    message._deep_linking_launch_data[DL + "deep_linking_settings"].update(settings)
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


def choose(browser: FlaskBrowser, chooser: Page, **fields: Any) -> Page:
    form = {"choice": "overview", "csrf_token": csrf_token(chooser), **fields}
    return browser.post(browser.base + "/lti/deep-link", {k: v for k, v in form.items() if v})


def answered(browser: FlaskBrowser, lms: TestLMS, answer: Page) -> list[dict[str, Any]]:
    """The content items of the auto-posted response, as the platform accepts them."""
    assert answer.status == 200, answer.text[:1500]
    (form,) = [f for f in Forms(answer.text).forms if f["id"] == "autopost"]
    token = form["fields"]["JWT"]
    jwks = tool_jwks(browser)
    items = lms.validate_deep_linking_response(token, jwks)
    claims = response_claims(token, jwks, lms)
    assert claims[DL + "content_items"] == items
    assert claims[CLAIM + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[CLAIM + "deployment_id"] == lms.deployment_id
    assert all(item["type"] == "ltiResourceLink" for item in items)  # all the request accepts
    return items


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


# -- the graded reflection journal ---------------------------------------------------------------


def course_id(app: Flask) -> int:
    with app.app_context():
        found = db.session().scalar(select(JournalAssignment.course_id).limit(1))
        if found is None:
            from lti_app.roster.models import Course

            found = db.session().scalar(select(Course.id).where(Course.context_id == "course-1"))
        assert found is not None
        return int(found)


def add_assignment(
    app: Flask, title: str, max_score: float = 20.0, *, column_url: str | None = None
) -> int:
    """A journal assignment of the launched course, as a coach made it (E's pages); with
    ``column_url`` it already has a gradebook column the LMS knows."""
    from lti_app.roster.models import Course

    with app.app_context():
        s = db.session()
        course = s.scalars(select(Course).where(Course.context_id == "course-1")).one()
        assignment = JournalAssignment(course_id=course.id, title=title, max_score=max_score)
        s.add(assignment)
        s.flush()
        if column_url is not None:
            row = LineItem(
                course_id=course.id,
                resource_id=f"driehoek-journal-{assignment.id}",
                tag="reflectiejournaal",
                label=title,
                score_maximum=max_score,
                url=column_url,
            )
            s.add(row)
            s.flush()
            assignment.line_item_id = row.id
        s.commit()
        return assignment.id


def columns(app: Flask) -> list[tuple[str, str | None, str | None]]:
    with app.app_context():
        rows = db.session().execute(
            select(LineItem.resource_id, LineItem.url, LineItem.resource_link_id).order_by(
                LineItem.id
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_the_journal_and_the_overview_go_back_together_with_the_journals_column(
    app: Flask, english_browser: FlaskBrowser, lms: TestLMS, english_coach: LmsPerson
) -> None:
    chooser = deep_link_launch(english_browser, lms, english_coach)
    assert 'type="checkbox" name="choice" value="journal"' in chooser.text  # accept_multiple
    assert 'value="Reflection journal"' in chooser.text  # the new assignment's defaults
    assert 'name="max_score" type="text" inputmode="decimal" value="20"' in chooser.text

    answer = choose(
        english_browser,
        chooser,
        choice=["journal", "overview"],
        assignment="new",
        title="Reflectiejournaal",
        max_score="20",
    )

    journal, overview = answered(english_browser, lms, answer)
    with app.app_context():
        assignment = db.session().scalars(select(JournalAssignment)).one()
        assert (assignment.title, assignment.max_score) == ("Reflectiejournaal", 20.0)
        assert (assignment.entries_required, assignment.final_required) == (6, True)
        row = db.session().get(LineItem, assignment.line_item_id)
        assert row is not None and row.course_id == assignment.course_id
        resource_id = f"driehoek-journal-{assignment.id}"
        assert (row.resource_id, row.tag, row.label, row.score_maximum, row.url) == (
            resource_id,
            "reflectiejournaal",
            "Reflectiejournaal",
            20.0,
            None,
        )
    assert journal["title"] == "Reflectiejournaal"
    assert journal["url"] == TOOL_LAUNCH_URL
    assert journal["custom"] == {"driehoek_view": "journal", "driehoek_resource": resource_id}
    line_item = journal["lineItem"]
    assert {k: line_item[k] for k in ("label", "scoreMaximum", "resourceId", "tag")} == {
        "label": "Reflectiejournaal",
        "scoreMaximum": 20.0,
        "resourceId": resource_id,
        "tag": "reflectiejournaal",
    }
    assert overview["title"] == "Placement overview"
    assert overview["custom"] == {"driehoek_view": "overview"}
    assert "lineItem" not in overview


def test_a_second_deep_link_of_the_same_journal_asks_for_no_second_column(
    app: Flask, lms: TestLMS, english_coach: LmsPerson
) -> None:
    first = FlaskBrowser(app.test_client())
    chooser = deep_link_launch(first, lms, english_coach)
    (item,) = answered(
        first,
        lms,
        choose(
            first, chooser, choice="journal", assignment="new", title="Reflecties", max_score="12,5"
        ),
    )
    assert item["lineItem"]["scoreMaximum"] == 12.5
    assignment_id = int(item["custom"]["driehoek_resource"].rsplit("-", 1)[1])

    again = FlaskBrowser(app.test_client())
    chooser = deep_link_launch(again, lms, english_coach)
    assert f'<option value="{assignment_id}" selected>Reflecties' in chooser.text
    (second,) = answered(
        again, lms, choose(again, chooser, choice="journal", assignment=str(assignment_id))
    )

    assert "lineItem" not in second
    assert second["custom"] == item["custom"]
    assert second["title"] == "Reflecties"
    assert columns(app) == [(f"driehoek-journal-{assignment_id}", None, None)]


def test_an_assignment_whose_column_the_lms_has_goes_without_a_line_item(
    app: Flask, english_browser: FlaskBrowser, lms: TestLMS, english_coach: LmsPerson
) -> None:
    chooser = deep_link_launch(english_browser, lms, english_coach)
    assignment_id = add_assignment(app, "Portfolio", 10, column_url=lms.url("/ags/course-1/li/7"))

    (item,) = answered(
        english_browser,
        lms,
        choose(english_browser, chooser, choice="journal", assignment=str(assignment_id)),
    )

    assert "lineItem" not in item
    assert item["custom"]["driehoek_resource"] == f"driehoek-journal-{assignment_id}"
    assert len(columns(app)) == 1


def test_an_assignment_made_on_journal_pages_gets_its_column_at_its_first_deep_link(
    app: Flask, english_browser: FlaskBrowser, lms: TestLMS, english_coach: LmsPerson
) -> None:
    chooser = deep_link_launch(english_browser, lms, english_coach)
    assignment_id = add_assignment(app, "Stagejournaal", 15)

    (item,) = answered(
        english_browser,
        lms,
        choose(english_browser, chooser, choice="journal", assignment=str(assignment_id)),
    )

    assert item["lineItem"]["resourceId"] == f"driehoek-journal-{assignment_id}"
    assert item["lineItem"]["scoreMaximum"] == 15
    assert item["lineItem"]["label"] == "Stagejournaal"
    with app.app_context():
        assert db.session().get(JournalAssignment, assignment_id).line_item_id is not None  # type: ignore[union-attr]


def test_a_platform_that_ignores_line_items_gets_none(
    app: Flask, english_browser: FlaskBrowser, lms: TestLMS, english_coach: LmsPerson
) -> None:
    chooser = deep_link_launch(english_browser, lms, english_coach, accept_lineitem=False)

    (item,) = answered(
        english_browser,
        lms,
        choose(
            english_browser,
            chooser,
            choice="journal",
            assignment="new",
            title="Journaal",
            max_score="20",
        ),
    )

    assert "lineItem" not in item
    assert len(columns(app)) == 1  # the row is there: grading finds or makes the column


def test_a_picker_that_takes_one_item_gets_one_and_keeps_what_was_typed(
    app: Flask, english_browser: FlaskBrowser, lms: TestLMS, english_coach: LmsPerson
) -> None:
    chooser = deep_link_launch(english_browser, lms, english_coach, accept_multiple=False)
    assert 'type="radio" name="choice" value="journal"' in chooser.text

    page = choose(
        english_browser,
        chooser,
        choice=["journal", "overview"],
        assignment="new",
        title="Mijn groei als leraar",
        max_score="30",
    )

    assert page.status == 400
    assert "takes one item at a time" in page.text
    assert 'value="Mijn groei als leraar"' in page.text
    assert 'value="30"' in page.text
    assert "deep-link-return" not in page.text
    with app.app_context():
        assert db.session().scalars(select(JournalAssignment)).all() == []

    (item,) = answered(
        english_browser,
        lms,
        choose(
            english_browser,
            chooser,
            choice="journal",
            assignment="new",
            title="Mijn groei als leraar",
            max_score="30",
        ),
    )
    assert item["lineItem"]["scoreMaximum"] == 30


@pytest.mark.parametrize(
    ("fields", "message", "kept"),
    [
        ({"max_score": "veel"}, "Enter a maximum score from 1 to 1000, like 20.", 'value="veel"'),
        ({"max_score": "0"}, "Enter a maximum score from 1 to 1000, like 20.", 'value="0"'),
        ({"title": "  "}, "Give the new journal assignment a title.", 'value="20"'),
        ({"title": "x" * 201}, "Field cannot be longer than 200 characters.", "x" * 201),
    ],
)
def test_a_bad_new_assignment_gets_a_message_and_keeps_what_was_typed(
    app: Flask,
    english_browser: FlaskBrowser,
    lms: TestLMS,
    english_coach: LmsPerson,
    fields: dict[str, str],
    message: str,
    kept: str,
) -> None:
    chooser = deep_link_launch(english_browser, lms, english_coach)
    form = {
        "choice": ["journal", "overview"],
        "assignment": "new",
        "title": "Reflecties",
        "max_score": "20",
    }

    page = choose(english_browser, chooser, **{**form, **fields})

    assert page.status == 400
    assert message in page.text
    assert kept in page.text
    assert "nothing you typed is lost" in page.text
    assert "deep-link-return" not in page.text
    with app.app_context():
        assert db.session().scalars(select(JournalAssignment)).all() == []
        assert db.session().scalars(select(LineItem)).all() == []


def test_another_courses_assignment_cannot_be_placed(
    app: Flask, english_browser: FlaskBrowser, lms: TestLMS, english_coach: LmsPerson
) -> None:
    from tests import factories

    with app.app_context():
        s = db.session()
        with factories.bound(s):
            other_course = factories.CourseFactory()
        elsewhere = JournalAssignment(course_id=other_course.id, title="Elders", max_score=20)
        s.add(elsewhere)
        s.commit()
        elsewhere_id = elsewhere.id
    chooser = deep_link_launch(english_browser, lms, english_coach)
    assert "Elders" not in chooser.text

    page = choose(english_browser, chooser, choice="journal", assignment=str(elsewhere_id))

    assert page.status == 400
    assert "Choose one of this course&#39;s journal assignments, or a new one." in page.text
    assert "deep-link-return" not in page.text
    assert columns(app) == []


def test_a_request_that_does_not_accept_resource_links_is_refused(
    english_browser: FlaskBrowser, lms: TestLMS, english_coach: LmsPerson
) -> None:
    page = deep_link_launch(english_browser, lms, english_coach, accept_types=["html"])

    assert page.status == 400
    assert "Driehoek could not be opened" in page.text
    assert english_browser.get(english_browser.base + "/lti/deep-link").status == 401


def test_a_signed_in_student_cannot_open_the_chooser(
    english_browser: FlaskBrowser, lms: TestLMS
) -> None:
    student = LmsPerson("student-1", "Lotte Janssens", [LEARNER], locale="en-GB")
    assert launch(english_browser, lms, student).status == 200

    assert english_browser.get(english_browser.base + "/lti/deep-link").status == 403
    refused = english_browser.post(
        english_browser.base + "/lti/deep-link", {"choice": "journal", "assignment": "new"}
    )
    assert refused.status in (400, 403)
    assert "deep-link-return" not in refused.text


# -- launches of the placed journal link --------------------------------------------------------


def journal_link(resource_id: str, lineitem: str | None = None) -> dict[str, Any]:
    """The claims a launch of the placed journal link carries (custom parameters, AGS)."""
    ags: dict[str, Any] = {
        "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
        "lineitems": "http://lms.test/ags/course-1/lineitems",
    }
    if lineitem:
        ags["lineitem"] = lineitem
    return {
        CLAIM + "custom": {"driehoek_view": "journal", "driehoek_resource": resource_id},
        AGS: ags,
    }


def test_a_launch_of_the_journal_link_records_its_column_once(
    app: Flask, lms: TestLMS, english_coach: LmsPerson
) -> None:
    browser = FlaskBrowser(app.test_client())
    launch(browser, lms, english_coach)
    assignment_id = add_assignment(app, "Reflecties")
    chooser = deep_link_launch(browser, lms, english_coach)
    answered(
        browser, lms, choose(browser, chooser, choice="journal", assignment=str(assignment_id))
    )
    resource = f"driehoek-journal-{assignment_id}"
    column = lms.url("/ags/course-1/lineitems/31")

    page = launch(browser, lms, english_coach, follow=False, extra=journal_link(resource, column))
    # A second link of the same assignment (placed without lineItem) names no column: nothing moves.
    launch(browser, lms, english_coach, follow=False, extra=journal_link(resource))

    assert page.status == 303
    assert page.location == f"/journals/queue?assignment={assignment_id}"
    assert columns(app) == [(resource, column, "resource-link-1")]


def test_a_student_launching_the_journal_link_lands_on_her_journal(
    app: Flask, lms: TestLMS, english_coach: LmsPerson
) -> None:
    from tests.guests import add_placement, launched_course, person_id

    student = LmsPerson("student-1", "Lotte Janssens", [LEARNER], locale="en-GB")
    browser = FlaskBrowser(app.test_client())
    launch(browser, lms, student)
    assignment_id = add_assignment(app, "Reflecties")
    link = journal_link(f"driehoek-journal-{assignment_id}")

    without = launch(browser, lms, student, follow=False, extra=link)
    placement_id = add_placement(
        app, mentors=[], course_id=launched_course(app), student_id=person_id(app, "student-1")
    )
    with_placement = launch(browser, lms, student, follow=False, extra=link)

    assert without.location == "/student"  # no placement yet: her home says what to do
    assert with_placement.location == f"/journals/placements/{placement_id}"


def test_a_coach_launching_a_journal_link_of_another_course_lands_on_the_whole_queue(
    app: Flask, lms: TestLMS, english_coach: LmsPerson
) -> None:
    from tests import factories

    with app.app_context():
        s = db.session()
        with factories.bound(s):
            other_course = factories.CourseFactory()
        elsewhere = JournalAssignment(course_id=other_course.id, title="Elders", max_score=20)
        s.add(elsewhere)
        s.commit()
        elsewhere_id = elsewhere.id

    page = launch(
        FlaskBrowser(app.test_client()),
        lms,
        english_coach,
        follow=False,
        extra=journal_link(f"driehoek-journal-{elsewhere_id}"),
    )

    assert page.location == "/journals/queue"


def test_a_column_grading_already_made_for_the_assignment_is_not_asked_for_again(
    app: Flask, english_browser: FlaskBrowser, lms: TestLMS, english_coach: LmsPerson
) -> None:
    """A grade released before any deep link made the row (grading.service.line_item_for);
    grading creates or finds that column at the LMS by its resource id: a lineItem here would
    make a second one."""
    chooser = deep_link_launch(english_browser, lms, english_coach)
    assignment_id = add_assignment(app, "Reflecties")
    with app.app_context():
        s = db.session()
        course = s.get(JournalAssignment, assignment_id).course_id  # type: ignore[union-attr]
        s.add(LineItem(course_id=course, resource_id=f"driehoek-journal-{assignment_id}"))
        s.commit()

    (item,) = answered(
        english_browser,
        lms,
        choose(english_browser, chooser, choice="journal", assignment=str(assignment_id)),
    )

    assert "lineItem" not in item
    assert len(columns(app)) == 1
    with app.app_context():
        assignment = db.session().get(JournalAssignment, assignment_id)
        assert assignment is not None and assignment.line_item_id is not None


def test_a_journal_link_with_unstorable_claims_still_lands_and_records_nothing(
    app: Flask, lms: TestLMS, english_coach: LmsPerson
) -> None:
    """PostgreSQL refuses NUL in a query: such a claim is ignored, never a 500."""
    browser = FlaskBrowser(app.test_client())
    launch(browser, lms, english_coach)
    assignment_id = add_assignment(app, "Reflecties")
    chooser = deep_link_launch(browser, lms, english_coach)
    answered(
        browser, lms, choose(browser, chooser, choice="journal", assignment=str(assignment_id))
    )

    page = launch(
        browser,
        lms,
        english_coach,
        follow=False,
        extra=journal_link(f"driehoek-journal-{assignment_id}\x00", lms.url("/li/1\x00")),
    )

    assert page.status == 303
    assert page.location == "/journals/queue"
    assert columns(app) == [(f"driehoek-journal-{assignment_id}", None, None)]
