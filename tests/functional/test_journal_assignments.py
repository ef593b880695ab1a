"""A coach sets what her course's students hand in: a journal assignment with a due date typed
as she writes it, a rubric made row by row without JavaScript, a maximum score; bad input is
shown next to its field with everything typed kept; editing after grades were released says
what changes."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from lti_app import db
from lti_app.journals.models import JournalAssignment
from tests.guests import csrf, text
from tests.journal_reviews import (
    Course1,
    assignment_ids,
    course_with_students,
    new_assignment,
    page_token,
)
from tests.lms import TestLMS


@pytest.fixture
def course(app: Flask, lms: TestLMS) -> Course1:
    return course_with_students(app, lms)


def _assignment(app: Flask, assignment_id: int) -> JournalAssignment:
    with app.app_context():
        found = db.session().get(JournalAssignment, assignment_id)
        assert found is not None
        db.session().expunge(found)
        return found


def test_a_coach_sets_an_assignment_with_a_typed_date_and_a_rubric(
    app: Flask, course: Course1
) -> None:
    answer = new_assignment(course.coach)
    assert answer.status_code == 303, text(answer)[:800]
    [made] = assignment_ids(app, course.course_id)
    assignment = _assignment(app, made)
    assert assignment.title == "Reflectiejournaal stage 1"
    assert assignment.due_date == date(2027, 3, 14)
    assert assignment.entries_required == 6 and assignment.final_required
    assert [(r["label"], r["points"]) for r in assignment.rubric] == [
        ("Diepgang van de reflectie", 10.0),
        ("Verbinding met de basiscompetenties", 10.0),
    ]
    assert len({r["key"] for r in assignment.rubric}) == 2
    assert assignment.max_score == 20.0  # the rubric's total
    listed = text(course.coach.get("/journals/assignments"))
    assert "Reflectiejournaal stage 1" in listed and "14 March 2027" in listed


def test_a_picked_date_and_a_maximum_of_its_own(app: Flask, course: Course1) -> None:
    answer = new_assignment(course.coach, due_date="2027-06-01", max_score="17,5")
    assert answer.status_code == 303, text(answer)[:800]
    assignment = _assignment(app, assignment_ids(app, course.course_id)[0])
    assert assignment.due_date == date(2027, 6, 1) and assignment.max_score == 17.5


def test_bad_input_is_marked_next_to_its_field_and_nothing_typed_is_lost(
    app: Flask, course: Course1
) -> None:
    answer = new_assignment(
        course.coach,
        title="",
        due_date="31/02/2027",
        entries_required="zes",
        **{"r-1-points": "veel", "instructions": "Schrijf eerlijk over je lessen."},
    )
    assert answer.status_code == 422
    page = text(answer)
    assert "Give the assignment a title" in page
    assert "This is not a date. Enter it like 14/03/2027." in page
    assert "Enter a whole number from 0 to 50." in page
    assert "Enter the row&#39;s points" in page or "Enter the row's points" in page
    # Everything typed is there to correct.
    for kept in ("31/02/2027", "zes", "veel", "Diepgang van de reflectie", "Schrijf eerlijk"):
        assert kept in page, kept
    assert assignment_ids(app, course.course_id) == []


def test_rubric_rows_are_added_and_removed_by_buttons_without_javascript(
    app: Flask, course: Course1
) -> None:
    token = page_token(course.coach, "/journals/assignments")
    typed = {
        "csrf_token": token,
        "title": "Journaal",
        "entries_required": "4",
        "r-count": "1",
        "r-0-key": "",
        "r-0-label": "Diepgang",
        "r-0-points": "8",
    }
    added = course.coach.post("/journals/assignments", data={**typed, "action": "add"})
    assert added.status_code == 200
    page = text(added)
    assert 'name="r-count" value="2"' in page and 'value="Diepgang"' in page
    assert 'name="r-1-label"' in page
    removed = course.coach.post(
        "/journals/assignments",
        data={
            **typed,
            "r-count": "2",
            "r-1-key": "",
            "r-1-label": "Taal",
            "r-1-points": "4",
            "action": "remove:0",
        },
    )
    page = text(removed)
    assert 'name="r-count" value="1"' in page and 'value="Taal"' in page
    assert 'value="Diepgang"' not in page
    assert assignment_ids(app, course.course_id) == []  # nothing saved by a row button


def test_an_edit_keeps_row_keys_and_says_what_changes_for_released_grades(
    app: Flask, course: Course1
) -> None:
    new_assignment(course.coach)
    [made] = assignment_ids(app, course.course_id)
    before = _assignment(app, made)
    path = f"/journals/assignments/{made}/edit"
    page = text(course.coach.get(path))
    assert 'value="2027-03-14"' in page and "Diepgang van de reflectie" in page
    assert "released" not in page
    from tests.journal_reviews import review_row  # noqa: F401 - the review is made directly

    with app.app_context():
        from lti_app import clock
        from lti_app.journals.models import JournalReview, ReviewState

        s = db.session()
        s.add(
            JournalReview(
                assignment_id=made,
                student_id=course.people["sofie"],
                state=ReviewState.GRADED,
                attempt=1,
                grade=15,
                released_grade=15,
                released_at=clock.now(),
            )
        )
        s.commit()
    page = text(course.coach.get(path))
    assert "1 grade of this assignment is released" in page
    answer = course.coach.post(
        path,
        data={
            "csrf_token": csrf(page),
            "title": "Reflectiejournaal stage 1",
            "entries_required": "6",
            "final_required": "1",
            "due_date": "14/03/2027",
            "r-count": "2",
            "r-0-key": before.rubric[0]["key"],
            "r-0-label": "Diepgang",
            "r-0-points": "10",
            "r-1-key": before.rubric[1]["key"],
            "r-1-label": "Verbinding met de basiscompetenties",
            "r-1-points": "10",
            "max_score": "40",
            "action": "save",
        },
        follow_redirects=True,
    )
    shown = text(answer)
    assert "The maximum score changes from 20 to 40" in shown
    assert "The rubric changes" in shown
    after = _assignment(app, made)
    assert [r["key"] for r in after.rubric] == [r["key"] for r in before.rubric]
    assert after.max_score == 40.0 and after.rubric[0]["label"] == "Diepgang"


def test_a_tampered_rubric_key_is_refused_not_saved(app: Flask, course: Course1) -> None:
    new_assignment(course.coach)
    [made] = assignment_ids(app, course.course_id)
    path = f"/journals/assignments/{made}/edit"
    answer = course.coach.post(
        path,
        data={
            "csrf_token": page_token(course.coach, path),
            "title": "X",
            "entries_required": "6",
            "r-count": "1",
            "r-0-key": "r99",
            "r-0-label": "Diepgang",
            "r-0-points": "10",
            "action": "save",
        },
    )
    assert answer.status_code == 422
    assert "This row is unknown" in text(answer)
    assert _assignment(app, made).title == "Reflectiejournaal stage 1"


def test_students_cannot_set_assignments(app: Flask, course: Course1) -> None:
    sofie = course.students["sofie"]
    assert sofie.get("/journals/assignments").status_code == 403
    assert sofie.get("/journals/queue").status_code == 403
    new = sofie.post("/journals/assignments", data={"csrf_token": page_token(sofie, "/student")})
    assert new.status_code == 403
    assert assignment_ids(app, course.course_id) == []


def test_the_coach_header_links_to_the_reflection_journals(course: Course1) -> None:
    page = text(course.coach.get("/coach"))
    assert 'href="/journals/queue"' in page and "Reflection journals" in page
    assert "/journals/queue" not in text(course.students["sofie"].get("/student"))
