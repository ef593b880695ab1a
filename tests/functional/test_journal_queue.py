"""The grading queue: per assignment, what is handed in and waiting, oldest first, with counts;
resubmissions marked; from a review, next and previous through the queue as links (rel, access
keys) that work without JavaScript, and j/k with journal-queue.js."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask

from lti_app import clock
from tests.guests import add_placement, launch_client, person_id, text
from tests.journal_reviews import (
    Course1,
    assignment_ids,
    course_with_students,
    entries,
    hand_in,
    new_assignment,
    post_review,
    review_row,
)
from tests.lms import LEARNER, Person, TestLMS

NOOR = Person("student-3", "Noor Wouters", [LEARNER], "noor@student.example", locale="en")


@pytest.fixture
def queued(app: Flask, lms: TestLMS, set_clock) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Bram hands in first, then Sofie, then Noor (an hour apart)."""
    course = course_with_students(app, lms)
    noor = launch_client(app, lms, NOOR)
    course.students["noor"] = noor
    course.people["noor"] = person_id(app, NOOR.sub)
    course.placements["noor"] = add_placement(
        app, mentors=[], course_id=course.course_id, student_id=course.people["noor"]
    )
    new_assignment(course.coach)
    new_assignment(course.coach, title="Tweede journaal", entries_required="1", final_required="")
    first, second = assignment_ids(app, course.course_id)
    start = clock.now()
    for hour, name in enumerate(("bram", "sofie", "noor")):
        entries(app, course.placements[name], 6, final=True)
        set_clock(start + timedelta(hours=hour), running=True)
        assert hand_in(course.students[name], first).status_code == 303
    reviews = {n: review_row(app, first, course.people[n]) for n in ("bram", "sofie", "noor")}
    return {"course": course, "first": first, "second": second, "reviews": reviews}


def _ids(queued: dict[str, object]) -> dict[str, int]:
    return {n: r.id for n, r in queued["reviews"].items()}  # type: ignore[attr-defined]


def test_the_queue_lists_what_waits_oldest_first_per_assignment(queued: dict[str, object]) -> None:
    course: Course1 = queued["course"]  # type: ignore[assignment]
    page = text(course.coach.get("/journals/queue"))
    waiting = page.split('<ol class="waiting">')[1].split("</ol>")[0]
    assert waiting.index("Bram Claes") < waiting.index("Sofie Maes") < waiting.index("Noor Wouters")
    assert "3 waiting" in page and "0 waiting" in page  # the second assignment: nothing yet
    assert "Reflectiejournaal stage 1" in page and "Tweede journaal" in page
    only = text(course.coach.get(f"/journals/queue?assignment={queued['second']}"))
    assert "Tweede journaal" in only and "Reflectiejournaal stage 1" not in only
    assert "Bram Claes" not in only


def test_next_and_previous_follow_the_queue_without_javascript(
    queued: dict[str, object],
) -> None:
    course: Course1 = queued["course"]  # type: ignore[assignment]
    ids = _ids(queued)
    first = text(course.coach.get(f"/journals/reviews/{ids['bram']}"))
    assert 'rel="prev"' not in first
    assert re.search(rf'href="/journals/reviews/{ids["sofie"]}" rel="next" accesskey="n"', first)
    assert "1 of 3 waiting" in first
    middle = text(course.coach.get(f"/journals/reviews/{ids['sofie']}"))
    assert re.search(rf'href="/journals/reviews/{ids["bram"]}" rel="prev" accesskey="p"', middle)
    assert re.search(rf'href="/journals/reviews/{ids["noor"]}" rel="next"', middle)
    assert f'<link rel="next" href="/journals/reviews/{ids["noor"]}">' in middle
    assert "journal-queue.js" in middle and 'data-key="j"' in middle and 'data-key="k"' in middle
    last = text(course.coach.get(f"/journals/reviews/{ids['noor']}"))
    assert 'rel="next"' not in last


def test_graded_leaves_the_queue_and_goes_on_to_the_next(queued: dict[str, object]) -> None:
    course: Course1 = queued["course"]  # type: ignore[assignment]
    ids = _ids(queued)
    answer = post_review(course.coach, ids["bram"], grade="14", action="graded")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/journals/reviews/{ids['sofie']}")
    page = text(course.coach.get("/journals/queue"))
    assert "2 waiting" in page
    assert page.index("Graded, not released yet") < page.rindex("Bram Claes")
    # From a review that no longer waits, "next" is the oldest one waiting.
    done = text(course.coach.get(f"/journals/reviews/{ids['bram']}"))
    assert re.search(rf'href="/journals/reviews/{ids["sofie"]}" rel="next"', done)


def test_a_resubmission_is_marked_and_queued_by_its_new_date(
    app: Flask,
    queued: dict[str, object],
    set_clock,  # type: ignore[no-untyped-def]
) -> None:
    course: Course1 = queued["course"]  # type: ignore[assignment]
    ids = _ids(queued)
    asked = post_review(
        course.coach,
        ids["bram"],
        f"/journals/reviews/{ids['bram']}/resubmit",
        reason="Meer diepgang.",
    )
    assert asked.status_code == 303
    set_clock(clock.now() + timedelta(hours=5), running=True)
    assert hand_in(course.students["bram"], queued["first"]).status_code == 303  # type: ignore[arg-type]
    page = text(course.coach.get("/journals/queue"))
    assert "3 waiting" in page and "1 resubmission" in page
    waiting = page.split('<ol class="waiting">')[1].split("</ol>")[0]
    assert waiting.index("Sofie Maes") < waiting.index("Noor Wouters") < waiting.index("Bram Claes")
    assert "resubmission (attempt 2)" in page
