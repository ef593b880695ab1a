"""Grading from inside the LMS: a coach in the gradebook opens one student's journal review.

LTI Submission Review (https://www.imsglobal.org/spec/lti-sr/v1p0): the platform launches an
``LtiSubmissionReviewRequest`` naming the student (``for_user``) and the column (the AGS
``lineitem``). Canvas's SpeedGrader instead launches the review page our score named
(``target_link_uri``). Either way only a coach lands there; a student is refused and signed out.
Tokens are signed by the test LMS (lti1p3platform) and go through the real launch; the broken
ones are built by hand from a real login, so only the thing under test is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lti_app import db
from lti_app.grading.models import LineItem
from lti_app.journals.models import JournalAssignment
from tests import factories
from tests.functional.test_deep_linking import (
    AGS,
    add_assignment,
    answered,
    choose,
    deep_link_launch,
    journal_link,
    stand_in_pages,
)
from tests.guests import person_id
from tests.launching import FlaskBrowser, Page, launch, login
from tests.lms import CLAIM, INSTRUCTOR, LEARNER, TestLMS
from tests.lms import Person as LmsPerson

FOR_USER = CLAIM + "for_user"
COACH = LmsPerson("coach-1", "An Peeters", [INSTRUCTOR], "an@hogeschool.example", "en-GB")
LOTTE = LmsPerson("student-1", "Lotte Janssens", [LEARNER], "lotte@student.example", "en-GB")
BRAM = LmsPerson("student-2", "Bram Claes", [LEARNER], "bram@student.example", "en-GB")
REFUSED = "Driehoek could not be opened"


@pytest.fixture(autouse=True)
def _landing_pages(app: Flask) -> Iterator[None]:
    stand_in_pages(app)
    yield


def browser(app: Flask) -> FlaskBrowser:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return FlaskBrowser(client)


def column(lms: TestLMS, number: int = 31) -> str:
    return lms.url(f"/ags/course-1/lineitems/{number}")


def review(user_id: Any, lineitem: str | None, **more: Any) -> dict[str, Any]:
    """The claims of an LtiSubmissionReviewRequest (on top of the LMS's usual ones)."""
    ags: dict[str, Any] = {
        "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
        "lineitems": "http://lms.test/ags/course-1/lineitems",
    }
    if lineitem is not None:
        ags["lineitem"] = lineitem
    claims: dict[str, Any] = {
        CLAIM + "message_type": "LtiSubmissionReviewRequest",
        FOR_USER: {"user_id": user_id, "roles": [LEARNER]} if user_id is not None else None,
        AGS: ags,
        **more,
    }
    return claims


def review_launch(app: Flask, person: LmsPerson, claims: dict[str, Any], lms: TestLMS) -> Any:
    """A submission review through lti1p3platform; a None claim is left out of the token."""
    b = browser(app)
    extra = {k: v for k, v in claims.items() if v is not None}
    return b, launch(b, lms, person, follow=False, extra=extra)


def hand_built(app: Flask, lms: TestLMS, person: LmsPerson, **overrides: Any) -> Page:
    """A token the test builds itself (signed by the LMS), after a real login; an override of
    None leaves that claim out."""
    b = browser(app)
    auth = login(b, lms, person)
    claims = lms.claims(person, auth["nonce"], **overrides)
    return b.post(b.base + "/lti/launch", {"id_token": lms.sign(claims), "state": auth["state"]})


@pytest.fixture
def course_with_lotte(app: Flask, lms: TestLMS) -> dict[str, int]:
    """Lotte and the coach launched once; a journal assignment whose column the LMS has."""
    launch(browser(app), lms, LOTTE)
    launch(browser(app), lms, COACH)
    assignment_id = add_assignment(app, "Reflecties", column_url=column(lms))
    return {"assignment": assignment_id, "lotte": person_id(app, "student-1")}


def signed_in_as_coach(b: FlaskBrowser) -> bool:
    return b.get(b.base + "/coach").status == 200


def test_a_coach_in_the_gradebook_lands_on_that_students_review(
    app: Flask, lms: TestLMS, course_with_lotte: dict[str, int]
) -> None:
    b, page = review_launch(app, COACH, review("student-1", column(lms)), lms)

    assert page.status == 303, page.text[:800]
    assert page.location == (
        f"/journals/assignments/{course_with_lotte['assignment']}"
        f"/students/{course_with_lotte['lotte']}"
    )
    assert signed_in_as_coach(b)


def test_the_right_student_of_several(
    app: Flask, lms: TestLMS, course_with_lotte: dict[str, int]
) -> None:
    launch(browser(app), lms, BRAM)
    bram = person_id(app, "student-2")

    _b, page = review_launch(app, COACH, review("student-2", column(lms)), lms)

    assert (
        page.location == f"/journals/assignments/{course_with_lotte['assignment']}/students/{bram}"
    )


def test_from_deep_link_to_gradebook_review_end_to_end(app: Flask, lms: TestLMS) -> None:
    """The column the deep link asked for is named in the link's launches; the gradebook's
    review of that column finds the assignment through it."""
    launch(browser(app), lms, LOTTE)
    coach = browser(app)
    chooser = deep_link_launch(coach, lms, COACH)
    (item,) = answered(
        coach,
        lms,
        choose(
            coach, chooser, choice="journal", assignment="new", title="Reflecties", max_score="20"
        ),
    )
    resource = item["custom"]["driehoek_resource"]
    launch(coach, lms, LOTTE, follow=False, extra=journal_link(resource, column(lms, 77)))

    _b, page = review_launch(app, COACH, review("student-1", column(lms, 77)), lms)

    assignment_id = int(resource.rsplit("-", 1)[1])
    assert page.location == (
        f"/journals/assignments/{assignment_id}/students/{person_id(app, 'student-1')}"
    )


def test_a_column_not_yet_known_by_url_is_found_by_its_resource_link(
    app: Flask, lms: TestLMS
) -> None:
    launch(browser(app), lms, LOTTE)
    launch(browser(app), lms, COACH)
    assignment_id = add_assignment(app, "Reflecties")
    with app.app_context():
        s = db.session()
        assignment = s.get(JournalAssignment, assignment_id)
        assert assignment is not None
        row = LineItem(
            course_id=assignment.course_id,
            resource_id=f"driehoek-journal-{assignment_id}",
            resource_link_id="resource-link-1",
        )
        s.add(row)
        s.flush()
        assignment.line_item_id = row.id
        s.commit()

    _b, page = review_launch(app, COACH, review("student-1", column(lms, 5)), lms)

    assert page.location.startswith(f"/journals/assignments/{assignment_id}/students/")
    with app.app_context():  # and the column's URL is known from now on
        assert db.session().scalars(select(LineItem.url)).one() == column(lms, 5)


def test_a_student_cannot_review_and_is_signed_out(
    app: Flask, lms: TestLMS, course_with_lotte: dict[str, int]
) -> None:
    b = browser(app)
    assert launch(b, lms, LOTTE).status == 200  # signed in as herself
    assert b.get(b.base + "/student").status == 200

    page = launch(b, lms, LOTTE, follow=False, extra=review("student-2", column(lms)))

    assert page.status == 403
    assert "Only coaches can review a student" in page.text
    assert b.get(b.base + "/student").status == 401
    assert "/journals/" not in page.headers.get("Location", "")


def test_an_unknown_student_gets_a_clear_page_not_a_500(
    app: Flask, lms: TestLMS, course_with_lotte: dict[str, int]
) -> None:
    b, page = review_launch(app, COACH, review("nobody-here", column(lms)), lms)

    assert page.status == 404
    assert "Driehoek does not know this student in this course yet" in page.text
    assert not signed_in_as_coach(b)


def test_a_student_of_another_course_is_not_found_here(
    app: Flask, lms: TestLMS, course_with_lotte: dict[str, int]
) -> None:
    other = {"context_id": "course-2", "context_title": "Stage BaSO", "context_label": "BaSO"}
    launch(browser(app), lms, BRAM, context=other)  # Bram exists, in another course only

    _b, page = review_launch(app, COACH, review("student-2", column(lms)), lms)

    assert page.status == 404
    assert "does not know this student in this course" in page.text


def test_another_courses_column_is_not_found_here(
    app: Flask, lms: TestLMS, course_with_lotte: dict[str, int]
) -> None:
    with app.app_context():
        s = db.session()
        with factories.bound(s):
            other_course = factories.CourseFactory()
        row = LineItem(
            course_id=other_course.id, resource_id="driehoek-journal-999", url=column(lms, 99)
        )
        s.add(row)
        s.flush()
        s.add(JournalAssignment(course_id=other_course.id, title="Elders", line_item_id=row.id))
        s.commit()

    _b, page = review_launch(app, COACH, review("student-1", column(lms, 99)), lms)

    assert page.status == 404
    assert "reflection journals in this course" in page.text


def test_a_column_that_is_no_journal_is_not_found(
    app: Flask, lms: TestLMS, course_with_lotte: dict[str, int]
) -> None:
    _b, page = review_launch(app, COACH, review("student-1", column(lms, 404)), lms)

    assert page.status == 404
    assert "reflection journals in this course" in page.text


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ({FOR_USER: None}, "no for_user"),
        ({FOR_USER: "user_id=student-1"}, "for_user a string (pylti1p3's `in` test passes it)"),
        ({FOR_USER: {"user_id": ""}}, "an empty user_id"),
        ({FOR_USER: {"user_id": 17}}, "a user_id that is no string"),
        ({FOR_USER: {"user_id": "student-1\x00"}}, "a NUL (PostgreSQL refuses it in a query)"),
        ({FOR_USER: {"name": "Lotte"}}, "for_user without user_id"),
        ({AGS: {"lineitems": "http://lms.test/li"}}, "AGS claim without lineitem"),
        ({AGS: None}, "no AGS claim"),
        ({CLAIM + "resource_link": None}, "no resource link"),
    ],
)
def test_an_incomplete_submission_review_is_refused(
    app: Flask,
    lms: TestLMS,
    course_with_lotte: dict[str, int],
    broken: dict[str, Any],
    reason: str,
) -> None:
    claims = {**review("student-1", column(lms)), **broken}

    page = hand_built(app, lms, COACH, **claims)

    assert page.status == 400, reason
    assert REFUSED in page.text
    assert "did not say whose, or for which column" in page.text, reason
    assert "Location" not in page.headers


def test_a_well_formed_hand_built_review_lands(
    app: Flask, lms: TestLMS, course_with_lotte: dict[str, int]
) -> None:
    """The control for the test above: the same hand-built token, complete, is accepted."""
    page = hand_built(app, lms, COACH, **review("student-1", column(lms)))

    assert page.status == 303, page.text[:800]
    assert page.location.endswith(f"/students/{course_with_lotte['lotte']}")


# -- Canvas: SpeedGrader launches the review page the score named --------------------------------


def review_page(assignment_id: int, student_id: int) -> str:
    return f"http://tool.test/journals/assignments/{assignment_id}/students/{student_id}"


def test_speedgrader_lands_a_coach_on_the_review_page(
    app: Flask, lms: TestLMS, course_with_lotte: dict[str, int]
) -> None:
    target = review_page(course_with_lotte["assignment"], course_with_lotte["lotte"])

    page = launch(browser(app), lms, COACH, follow=False, extra={CLAIM + "target_link_uri": target})

    assert page.status == 303
    assert page.location == target.removeprefix("http://tool.test")


def test_a_student_launching_a_review_page_goes_to_her_home(
    app: Flask, lms: TestLMS, course_with_lotte: dict[str, int]
) -> None:
    target = review_page(course_with_lotte["assignment"], course_with_lotte["lotte"])

    page = launch(browser(app), lms, LOTTE, follow=False, extra={CLAIM + "target_link_uri": target})

    assert page.location == "/student"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/registrations",
        "/journals/assignments/1/students/2/../../../../admin/registrations",
        "/journals/assignments/1/students/x",
        "/journals/assignments/1/students/2/release",
        "/sandbox/journals/assignments/1/students/2",
    ],
)
def test_only_the_review_pattern_is_followed(
    app: Flask, lms: TestLMS, course_with_lotte: dict[str, int], path: str
) -> None:
    page = launch(
        browser(app),
        lms,
        COACH,
        follow=False,
        extra={CLAIM + "target_link_uri": "http://tool.test" + path},
    )

    assert page.status == 303
    assert page.location == "/coach"


def test_a_review_page_of_another_site_is_refused(
    app: Flask, lms: TestLMS, course_with_lotte: dict[str, int]
) -> None:
    target = "https://evil.example/journals/assignments/1/students/2"

    page = launch(browser(app), lms, COACH, follow=False, extra={CLAIM + "target_link_uri": target})

    assert page.status == 400
    assert "evil.example" not in page.headers.get("Location", "")
