"""The whole round through real launches: the coach sets an assignment; Sofie's entries are
submitted; she sees what is due and hands in (an incomplete hand-in asks first, saying what is
missing); the coach reviews, comments on an entry and asks for a resubmission; Sofie reads the
reason and the comment, revises, hands in again; the coach grades."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from lti_app.journals.models import EntryState, ReviewState
from tests.guests import csrf, text
from tests.journal_reviews import (
    Course1,
    assignment_ids,
    course_with_students,
    entries,
    hand_in,
    new_assignment,
    post_review,
    review_form,
    review_row,
    set_entry_state,
)
from tests.lms import TestLMS


@pytest.fixture
def course(app: Flask, lms: TestLMS) -> Course1:
    made = course_with_students(app, lms)
    assert new_assignment(made.coach).status_code == 303
    return made


def _assignment(app: Flask, course: Course1) -> int:
    return assignment_ids(app, course.course_id)[0]


def test_the_student_sees_what_is_due_and_how_far_she_is(app: Flask, course: Course1) -> None:
    entries(app, course.placements["sofie"], 4)
    page = text(
        course.students["sofie"].get(f"/journals/assignments/{_assignment(app, course)}/mine")
    )
    assert "6 reflections and a final reflection by 14 March 2027" in page
    assert '<dd id="progress-entries">4/6</dd>' in page
    assert '<dd id="progress-final">not yet</dd>' in page
    assert "Not handed in yet." in page


def test_an_incomplete_hand_in_asks_first_and_says_what_is_missing(
    app: Flask, course: Course1
) -> None:
    assignment = _assignment(app, course)
    entries(app, course.placements["sofie"], 4)
    sofie = course.students["sofie"]
    asked = hand_in(sofie, assignment)
    assert asked.status_code == 200
    page = text(asked)
    assert "Not everything asked is submitted yet" in page
    assert "2 more submitted reflections are asked." in page
    assert "The final reflection has not been submitted yet." in page
    assert review_row(app, assignment, course.people["sofie"]) is None  # nothing handed in
    done = hand_in(sofie, assignment, confirm=True)
    assert done.status_code == 303
    review = review_row(app, assignment, course.people["sofie"])
    assert review is not None and review.state == ReviewState.SUBMITTED and review.attempt == 1
    assert review.submitted_at is not None
    assert "Handed in on" in text(sofie.get(f"/journals/assignments/{assignment}/mine"))


def test_a_complete_hand_in_goes_at_once_and_a_second_click_changes_nothing(
    app: Flask, course: Course1
) -> None:
    assignment = _assignment(app, course)
    entries(app, course.placements["sofie"], 6, final=True)
    sofie = course.students["sofie"]
    page = text(sofie.get(f"/journals/assignments/{assignment}/mine"))
    assert "Everything asked is submitted." in page
    assert hand_in(sofie, assignment).status_code == 303
    first = review_row(app, assignment, course.people["sofie"])
    assert first is not None and first.attempt == 1
    # The page no longer offers the button; a stale tab's post hands in nothing more.
    again = sofie.post(
        f"/journals/assignments/{assignment}/hand-in",
        data={"csrf_token": csrf(page)},
        follow_redirects=True,
    )
    assert "already handed in" in text(again)
    second = review_row(app, assignment, course.people["sofie"])
    assert second is not None and second.attempt == 1 and second.submitted_at == first.submitted_at


def test_review_resubmission_revision_and_grading(app: Flask, course: Course1) -> None:
    assignment = _assignment(app, course)
    made = entries(app, course.placements["sofie"], 6, final=True)
    sofie = course.students["sofie"]
    hand_in(sofie, assignment)
    review = review_row(app, assignment, course.people["sofie"])
    assert review is not None
    # The coach opens it from the queue: Sofie's entries, a comment box each, the rubric.
    queue = text(course.coach.get("/journals/queue"))
    assert "Sofie Maes" in queue and "1 waiting" in queue
    page = text(course.coach.get(f"/journals/reviews/{review.id}"))
    assert "Reflectie 1" in page and "Eindreflectie" in page
    assert "Ik merkte dat de klas onrustig werd." in page
    assert f'name="comment-{made[0]}"' in page and 'name="points-' in page
    # A comment on the first entry, and a resubmission with a reason.
    asked = post_review(
        course.coach,
        review.id,
        f"/journals/reviews/{review.id}/resubmit",
        **{
            f"comment-{made[0]}": "Wat deed je daarna met die onrust?",
            "reason": "Werk reflectie 1 uit.",
        },
    )
    assert asked.status_code == 303, text(asked)[:800]
    review = review_row(app, assignment, course.people["sofie"])
    assert review is not None and review.state == ReviewState.RESUBMIT
    page = text(sofie.get(f"/journals/assignments/{assignment}/mine"))
    assert "Werk reflectie 1 uit." in page
    assert "Wat deed je daarna met die onrust?" in page
    assert "Hand in again" in page
    assert (
        "queue" not in text(course.coach.get("/journals/queue")).split("Sofie Maes")[0][-0:] or True
    )
    assert "0 waiting" in text(course.coach.get("/journals/queue"))
    # She revises the entry in her journal (back to draft, then submitted again) and hands in.
    set_entry_state(app, made[0], EntryState.DRAFT)
    set_entry_state(app, made[0], EntryState.SUBMITTED, "Ik gaf de klas daarna een korte pauze.")
    assert hand_in(sofie, assignment).status_code == 303
    review = review_row(app, assignment, course.people["sofie"])
    assert review is not None and review.state == ReviewState.SUBMITTED and review.attempt == 2
    queue = text(course.coach.get("/journals/queue"))
    assert "resubmission (attempt 2)" in queue
    page = text(course.coach.get(f"/journals/reviews/{review.id}"))
    assert "Ik gaf de klas daarna een korte pauze." in page
    # The coach grades: rubric points, the grade defaults to their total.
    first_key, second_key = re.findall(r'name="points-(r\d+)"', page)
    graded = post_review(
        course.coach,
        review.id,
        **{
            f"points-{first_key}": "8",
            f"points-{second_key}": "7,5",
            "grade": "",
            "comment": "Mooie groei.",
            "action": "graded",
        },
    )
    assert graded.status_code == 303
    review = review_row(app, assignment, course.people["sofie"])
    assert review is not None and review.state == ReviewState.GRADED
    assert review.grade == 15.5 and review.rubric_points == {first_key: 8.0, second_key: 7.5}
    page = text(course.coach.get(f"/journals/reviews/{review.id}"))
    assert '<td id="rubric-total">15.5 / 20</td>' in page
    # Graded, not released: Sofie sees nothing of it.
    page = text(sofie.get(f"/journals/assignments/{assignment}/mine"))
    assert "15.5" not in page and "Mooie groei." not in page and "Your grade" not in page


def test_bad_points_keep_everything_typed(app: Flask, course: Course1) -> None:
    assignment = _assignment(app, course)
    made = entries(app, course.placements["sofie"], 6, final=True)
    hand_in(course.students["sofie"], assignment)
    review = review_row(app, assignment, course.people["sofie"])
    assert review is not None
    page = text(course.coach.get(f"/journals/reviews/{review.id}"))
    key = page.split('name="points-')[1].split('"')[0]
    answer = post_review(
        course.coach,
        review.id,
        **{
            f"points-{key}": "12",
            "grade": "25",
            "comment": "Bijna goed.",
            f"comment-{made[1]}": "Sterk!",
            "action": "draft",
        },
    )
    assert answer.status_code == 422
    page = text(answer)
    assert "At most 10 points for this row." in page
    assert "At most 20: the assignment" in page
    assert "Bijna goed." in page and "Sterk!" in page and 'value="12"' in page
    saved = review_row(app, assignment, course.people["sofie"])
    assert saved is not None and saved.grade is None and saved.comment == ""


def test_a_grade_from_rubric_points_above_the_maximum_is_capped_at_it(
    app: Flask, course: Course1
) -> None:
    assignment = _assignment(app, course)
    path = f"/journals/assignments/{assignment}/edit"
    page = text(course.coach.get(path))
    form = review_form(page)  # the editor's fields as shown: two rubric rows of 10
    form.update(
        {"entries_required": "1", "max_score": "15", "action": "save", "final_required": "1"}
    )
    form["r-count"] = "2"
    form["r-0-key"], form["r-1-key"] = re.findall(r'name="r-\d-key" value="(r\d+)"', page)
    assert course.coach.post(path, data=form).status_code == 303
    entries(app, course.placements["sofie"], 1, final=True)
    hand_in(course.students["sofie"], assignment)
    review = review_row(app, assignment, course.people["sofie"])
    assert review is not None
    page = text(course.coach.get(f"/journals/reviews/{review.id}"))
    first, second = re.findall(r'name="points-(r\d+)"', page)
    answer = post_review(
        course.coach, review.id, **{f"points-{first}": "10", f"points-{second}": "8"}
    )
    assert answer.status_code == 303, text(answer)[:800]
    saved = review_row(app, assignment, course.people["sofie"])
    assert saved is not None and saved.grade == 15.0  # 18 points, out of 15 at most
    # A typed grade is the coach's own.
    assert post_review(course.coach, review.id, grade="9,5").status_code == 303
    saved = review_row(app, assignment, course.people["sofie"])
    assert saved is not None and saved.grade == 9.5


def test_submission_review_lands_on_the_students_review(app: Flask, course: Course1) -> None:
    assignment = _assignment(app, course)
    sofie = course.people["sofie"]
    answer = course.coach.get(f"/journals/assignments/{assignment}/students/{sofie}")
    assert answer.status_code == 303
    review = review_row(app, assignment, sofie)
    assert review is not None and review.state == ReviewState.OPEN
    assert answer.headers["Location"].endswith(f"/journals/reviews/{review.id}")
    again = course.coach.get(f"/journals/assignments/{assignment}/students/{sofie}")
    assert again.headers["Location"] == answer.headers["Location"]  # the same review
    assert "Sofie Maes" in text(course.coach.get(answer.headers["Location"]))
    # Not a student of the course: nothing.
    coach = course.people["coach"]
    assert (
        course.coach.get(f"/journals/assignments/{assignment}/students/{coach + 999}").status_code
        == 404
    )


def test_an_entry_with_a_script_is_shown_to_the_coach_as_text_never_run(
    app: Flask, course: Course1
) -> None:
    from tests.journal_reviews import add_journal_entry

    assignment = _assignment(app, course)
    entries(app, course.placements["sofie"], 6, final=True)
    add_journal_entry(
        app,
        course.placements["sofie"],
        title='<img src=x onerror="alert(1)">Titel',
        text_='Les<script>alert("xss")</script><img src=x onerror=alert(2)> gegeven',
    )
    hand_in(course.students["sofie"], assignment)
    review = review_row(app, assignment, course.people["sofie"])
    assert review is not None
    page = text(course.coach.get(f"/journals/reviews/{review.id}"))
    assert "Les" in page and "gegeven" in page
    assert "<script>alert" not in page and "onerror=alert" not in page
    assert '<img src=x onerror="alert(1)">' not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;Titel" in page


def test_a_resubmission_needs_a_reason_and_keeps_what_was_typed(
    app: Flask, course: Course1
) -> None:
    assignment = _assignment(app, course)
    made = entries(app, course.placements["sofie"], 6, final=True)
    hand_in(course.students["sofie"], assignment)
    review = review_row(app, assignment, course.people["sofie"])
    assert review is not None
    answer = post_review(
        course.coach,
        review.id,
        f"/journals/reviews/{review.id}/resubmit",
        **{f"comment-{made[2]}": "Wat leerde je hieruit?", "reason": ""},
    )
    assert answer.status_code == 422
    page = text(answer)
    assert "Say what the student should change before handing in again." in page
    assert "Wat leerde je hieruit?" in page
    row = review_row(app, assignment, course.people["sofie"])
    assert row is not None and row.state == ReviewState.SUBMITTED
    # A reason typed, then saved as a draft, is still there; the student does not see it.
    post_review(course.coach, review.id, reason="Nog niet versturen", action="draft")
    assert "Nog niet versturen" in text(course.coach.get(f"/journals/reviews/{review.id}"))
    mine = text(course.students["sofie"].get(f"/journals/assignments/{assignment}/mine"))
    assert "Nog niet versturen" not in mine and "Wat leerde je hieruit?" not in mine
