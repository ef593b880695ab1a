"""Release: a separate, deliberate step. Before it the student sees nothing of the grade, the
rubric points or the comments on any page she can open; at release she sees exactly what was
released and the gradebook service is called once with it (helper A's ``release_score``, stood
in for here); a regrade is a second release with the new values; a change after release stays
the coach's until she releases again."""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader

from lti_app import db
from lti_app.grading.models import LineItem
from lti_app.journals.models import JournalAssignment, ReviewState
from tests.guests import text
from tests.journal_reviews import (
    Course1,
    Gradebook,
    assignment_ids,
    course_with_students,
    entries,
    fake_gradebook,
    hand_in,
    new_assignment,
    post_review,
    review_row,
)
from tests.lms import TestLMS

VERDICT = "GEHEIM-OORDEEL: sterke groei in klasmanagement"
REMARK = "GEHEIME-OPMERKING bij de eerste reflectie"


@pytest.fixture
def book(monkeypatch: pytest.MonkeyPatch) -> Gradebook:
    return fake_gradebook(monkeypatch)


@pytest.fixture
def graded(app: Flask, lms: TestLMS, book: Gradebook) -> dict[str, Any]:
    """Sofie handed in; An graded it (13.5, a comment, a comment on an entry), not released."""
    course = course_with_students(app, lms)
    assert new_assignment(course.coach).status_code == 303
    assignment = assignment_ids(app, course.course_id)[0]
    made = entries(app, course.placements["sofie"], 6, final=True)
    hand_in(course.students["sofie"], assignment)
    review = review_row(app, assignment, course.people["sofie"])
    assert review is not None
    page = text(course.coach.get(f"/journals/reviews/{review.id}"))
    first, second = re.findall(r'name="points-(r\d+)"', page)
    answer = post_review(
        course.coach,
        review.id,
        **{
            f"points-{first}": "7",
            f"points-{second}": "6,5",
            "comment": VERDICT,
            f"comment-{made[0]}": REMARK,
            "action": "graded",
        },
    )
    assert answer.status_code == 303, text(answer)[:800]
    return {
        "course": course,
        "assignment": assignment,
        "review": review.id,
        "entries": made,
        "keys": (first, second),
    }


def _secrets_in(body: str) -> list[str]:
    return [s for s in ("13.5", "13,5", VERDICT, REMARK, "Your grade") if s in body]


def _readable(response: Any) -> str:
    """What the student can read of an answer: a page's text, or a PDF's extracted text."""
    if response.mimetype == "application/pdf":
        return "\n".join(page.extract_text() for page in PdfReader(BytesIO(response.data)).pages)
    return text(response)


def _own_ids(app: Flask, graded: dict[str, Any]) -> dict[str, int]:
    course: Course1 = graded["course"]
    return {
        "placement_id": course.placements["sofie"],
        "entry_id": graded["entries"][0],
        "number": 1,
        "assignment_id": graded["assignment"],
        "student_id": course.people["sofie"],
        "review_id": graded["review"],
        "score_id": 1,
    }


def test_nothing_unreleased_on_any_page_the_student_can_open(
    app: Flask, graded: dict[str, Any], book: Gradebook
) -> None:
    """Every GET of the journals and grading blueprints (hers, or not hers: whatever answers),
    with her own objects: none shows the draft grade or a comment."""
    sofie = graded["course"].students["sofie"]
    ids = _own_ids(app, graded)
    walked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("journals.", "grading.")) or "GET" not in rule.methods:
            continue
        path = rule.build(ids, append_unknown=False)[1]
        for query in ("", "?format=json"):
            response = sofie.get(path + query)
            walked += 1
            body = _readable(response)
            assert not _secrets_in(body), (path, _secrets_in(body))
    assert walked >= 4
    page = text(sofie.get(f"/journals/assignments/{graded['assignment']}/mine"))
    assert "Handed in: your coach has it." in page
    assert book.releases == []


def test_release_shows_her_what_was_released_and_sends_it_once(
    app: Flask, graded: dict[str, Any], book: Gradebook
) -> None:
    course: Course1 = graded["course"]
    review = graded["review"]
    answer = post_review(course.coach, review, f"/journals/reviews/{review}/release")
    assert answer.status_code == 303, text(answer)[:800]
    assert len(book.releases) == 1
    [call] = book.releases
    assignment = graded["assignment"]
    sofie_id = course.people["sofie"]
    assert call["line_item"] == f"driehoek-journal-{assignment}"
    assert call["student"] == "Sofie Maes" and call["released_by"] == "An Peeters"
    assert call["score_given"] == 13.5 and call["score_maximum"] == 20.0
    assert call["comment"] == VERDICT
    assert call["review_url"] == (
        f"http://tool.test/journals/assignments/{assignment}/students/{sofie_id}"
    )
    with app.app_context():
        found = db.session().get(JournalAssignment, assignment)
        assert found is not None and found.line_item_id is not None
        item = db.session().get(LineItem, found.line_item_id)
        assert item is not None and item.resource_id == f"driehoek-journal-{assignment}"
        assert item.label == "Reflectiejournaal stage 1" and item.score_maximum == 20.0
    row = review_row(app, assignment, sofie_id)
    assert row is not None and row.state == ReviewState.GRADED
    assert row.released_grade == 13.5 and row.released_comment == VERDICT
    first, second = graded["keys"]
    assert row.released_rubric_points == {first: 7.0, second: 6.5}
    page = text(course.students["sofie"].get(f"/journals/assignments/{assignment}/mine"))
    assert "13.5 out of 20" in page
    assert VERDICT in page and REMARK in page
    assert "Diepgang van de reflectie" in page and "7 / 10" in page and "6.5 / 10" in page


def test_a_change_after_release_stays_the_coachs_until_released_again(
    app: Flask, graded: dict[str, Any], book: Gradebook
) -> None:
    course: Course1 = graded["course"]
    review = graded["review"]
    post_review(course.coach, review, f"/journals/reviews/{review}/release")
    first_entry = graded["entries"][0]
    changed = post_review(
        course.coach,
        review,
        grade="16",
        comment="Herzien oordeel",
        action="draft",
        **{f"comment-{first_entry}": "Herziene opmerking"},
    )
    assert changed.status_code == 303
    coach_page = text(course.coach.get(f"/journals/reviews/{review}"))
    assert "changed since: release again" in coach_page
    student_page = text(
        course.students["sofie"].get(f"/journals/assignments/{graded['assignment']}/mine")
    )
    assert "13.5 out of 20" in student_page and VERDICT in student_page and REMARK in student_page
    assert "Herzien" not in student_page and "16 out of" not in student_page
    assert len(book.releases) == 1
    # The regrade: released again, a second call with the new values.
    again = post_review(course.coach, review, f"/journals/reviews/{review}/release")
    assert again.status_code == 303
    assert [c["score_given"] for c in book.releases] == [13.5, 16.0]
    assert book.releases[1]["comment"] == "Herzien oordeel"
    student_page = text(
        course.students["sofie"].get(f"/journals/assignments/{graded['assignment']}/mine")
    )
    assert "16 out of 20" in student_page and "Herziene opmerking" in student_page
    assert REMARK not in student_page and VERDICT not in student_page
    assert "changed since" not in text(course.coach.get(f"/journals/reviews/{review}"))


def test_a_release_without_a_grade_is_refused_with_a_reason(
    app: Flask, lms: TestLMS, book: Gradebook
) -> None:
    course = course_with_students(app, lms)
    new_assignment(course.coach)
    assignment = assignment_ids(app, course.course_id)[0]
    entries(app, course.placements["bram"], 6, final=True)
    hand_in(course.students["bram"], assignment)
    review = review_row(app, assignment, course.people["bram"])
    assert review is not None
    answer = post_review(
        course.coach, review.id, f"/journals/reviews/{review.id}/release", comment="Goed zo"
    )
    assert answer.status_code == 422
    assert "Give a grade (or rubric points) before releasing." in text(answer)
    assert "Goed zo" in text(answer)
    assert book.releases == []
    row = review_row(app, assignment, course.people["bram"])
    assert row is not None and row.released_at is None and row.state == ReviewState.SUBMITTED


def test_without_the_gradebook_service_a_release_changes_nothing(
    app: Flask, lms: TestLMS, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release and the score row are one transaction: when the score cannot be written,
    the student sees nothing released either."""
    from lti_app.journals import reviewing

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the score row could not be written")

    book = fake_gradebook(monkeypatch)
    monkeypatch.setattr(reviewing, "release_score", broken)
    course = course_with_students(app, lms)
    new_assignment(course.coach)
    assignment = assignment_ids(app, course.course_id)[0]
    entries(app, course.placements["bram"], 6, final=True)
    hand_in(course.students["bram"], assignment)
    review = review_row(app, assignment, course.people["bram"])
    assert review is not None
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production
    answer = post_review(
        course.coach, review.id, f"/journals/reviews/{review.id}/release", grade="12"
    )
    assert answer.status_code == 500
    row = review_row(app, assignment, course.people["bram"])
    assert row is not None and row.released_at is None and row.released_grade is None
    assert book.releases == []
    page = text(course.students["bram"].get(f"/journals/assignments/{assignment}/mine"))
    assert "Your grade" not in page
