"""Helpers for tests of journal assignments, hand-ins and reviews: a course with a coach and
students launched from the test LMS, entries made straight in the database (as the student's
journal would have submitted them), the coach's forms posted as her browser posts them, and a
stand-in gradebook that records every release.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lti_app import clock, db
from lti_app.grading.models import LineItem
from lti_app.journals import reviewing
from lti_app.journals.models import (
    EntryState,
    JournalEntry,
    JournalEntryVersion,
    JournalReview,
)
from lti_app.journals.prompts import current_prompts
from lti_app.placements.models import Placement
from lti_app.roster.models import Course
from tests.guests import (
    add_mentor,
    add_placement,
    csrf,
    launch_client,
    launched_course,
    person_id,
    text,
)
from tests.lms import INSTRUCTOR, LEARNER, Person, TestLMS

COACH = Person("coach-1", "An Peeters", [INSTRUCTOR], "an@hogeschool.example", locale="en")
SOFIE = Person("student-1", "Sofie Maes", [LEARNER], "sofie@student.example", locale="en")
BRAM = Person("student-2", "Bram Claes", [LEARNER], "bram@student.example", locale="en")

# The default free prompt set's one prompt (lti_app/journals/prompt_defaults.py).
FREE_PROMPT = "text"


@dataclass
class Course1:
    """A course with An (coach), Sofie and Bram (students, each an approved placement)."""

    app: Flask
    lms: TestLMS
    coach: FlaskClient
    students: dict[str, FlaskClient]
    course_id: int
    placements: dict[str, int]
    people: dict[str, int] = field(default_factory=dict)


def course_with_students(app: Flask, lms: TestLMS) -> Course1:
    coach = launch_client(app, lms, COACH)
    sofie = launch_client(app, lms, SOFIE)
    bram = launch_client(app, lms, BRAM)
    course = launched_course(app)
    els = add_mentor(app, "els.mertens@sint-jozef.example", "Els Mertens")
    people = {
        "coach": person_id(app, COACH.sub),
        "sofie": person_id(app, SOFIE.sub),
        "bram": person_id(app, BRAM.sub),
    }
    placements = {
        name: add_placement(
            app,
            mentors=[els],
            course_id=course,
            student_id=people[name],
            coach_id=people["coach"],
        )
        for name in ("sofie", "bram")
    }
    return Course1(app, lms, coach, {"sofie": sofie, "bram": bram}, course, placements, people)


def prompts_of(app: Flask, course_id: int) -> int:
    """The course's programme's current prompt sets (the defaults, saved on first use)."""
    with app.app_context():
        s = db.session()
        course = s.get(Course, course_id)
        assert course is not None and course.programme_id is not None
        found = current_prompts(s, course.programme_id)
        s.commit()
        return found.id


def add_journal_entry(
    app: Flask,
    placement_id: int,
    *,
    title: str = "Een les over breuken",
    text_: str = "Ik merkte dat de klas onrustig werd.",
    is_final: bool = False,
    submitted: bool = True,
    days_ago: int = 3,
) -> int:
    """An entry on the placement, submitted (with its version 1) unless ``submitted`` is False."""
    with app.app_context():
        s = db.session()
        placement = s.get(Placement, placement_id)
        assert placement is not None
        when = clock.now() - timedelta(days=days_ago)
        entry = JournalEntry(
            placement_id=placement_id,
            student_id=placement.student_id,
            prompts_id=prompts_of(app, placement.course_id),
            prompt_set="free",
            title=title,
            answers={FREE_PROMPT: f"<p>{text_}</p>"},
            competencies=[],
            is_final=is_final,
            state=EntryState.SUBMITTED if submitted else EntryState.DRAFT,
            revision=1,
            submitted_at=when if submitted else None,
        )
        s.add(entry)
        s.flush()
        if submitted:
            s.add(
                JournalEntryVersion(
                    entry_id=entry.id, number=1, title=title, answers=dict(entry.answers)
                )
            )
        s.commit()
        return entry.id


def entries(app: Flask, placement_id: int, count: int, *, final: bool = False) -> list[int]:
    made = [
        add_journal_entry(app, placement_id, title=f"Reflectie {i + 1}", days_ago=10 - i)
        for i in range(count)
    ]
    if final:
        made.append(add_journal_entry(app, placement_id, title="Eindreflectie", is_final=True))
    return made


def set_entry_state(app: Flask, entry_id: int, state: EntryState, text_: str | None = None) -> None:
    """What the student's journal does when she revises (back to draft) and submits again."""
    with app.app_context():
        s = db.session()
        entry = s.get(JournalEntry, entry_id)
        assert entry is not None
        entry.state = state
        if text_ is not None:
            entry.answers = {FREE_PROMPT: f"<p>{text_}</p>"}
        if state == EntryState.SUBMITTED:
            entry.submitted_at = clock.now()
        s.commit()


def page_token(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, (path, text(page)[:800])
    return csrf(text(page))


def new_assignment(client: FlaskClient, **fields: str) -> Any:
    data = {
        "title": "Reflectiejournaal stage 1",
        "entries_required": "6",
        "final_required": "1",
        "due_date": "14/03/2027",
        "r-count": "2",
        "r-0-key": "",
        "r-0-label": "Diepgang van de reflectie",
        "r-0-points": "10",
        "r-1-key": "",
        "r-1-label": "Verbinding met de basiscompetenties",
        "r-1-points": "10",
        "max_score": "",
        "action": "save",
        **fields,
    }
    token = page_token(client, "/journals/assignments")
    return client.post("/journals/assignments", data={"csrf_token": token, **data})


def assignment_ids(app: Flask, course_id: int) -> list[int]:
    from lti_app.journals.models import JournalAssignment

    with app.app_context():
        return list(
            db.session().scalars(
                select(JournalAssignment.id)
                .where(JournalAssignment.course_id == course_id)
                .order_by(JournalAssignment.id)
            )
        )


def review_row(app: Flask, assignment_id: int, student_id: int) -> JournalReview | None:
    with app.app_context():
        s = db.session()
        found = s.scalars(
            select(JournalReview).where(
                JournalReview.assignment_id == assignment_id,
                JournalReview.student_id == student_id,
            )
        ).first()
        if found is not None:
            s.expunge(found)
        return found


def hand_in(client: FlaskClient, assignment_id: int, *, confirm: bool = False) -> Any:
    path = f"/journals/assignments/{assignment_id}/mine"
    data = {"csrf_token": page_token(client, path)}
    if confirm:
        data["confirm"] = "1"
    return client.post(f"/journals/assignments/{assignment_id}/hand-in", data=data)


def review_form(page: str) -> dict[str, str]:
    """The review form's fields as the page shows them (text inputs and text areas)."""
    values = {"csrf_token": csrf(page)}
    for name, value in re.findall(r'<input type="text"[^>]*name="([^"]+)" value="([^"]*)"', page):
        values[name] = html.unescape(value)
    for name, value in re.findall(
        r'<textarea id="[^"]+" name="([^"]+)"[^>]*>\n?(.*?)</textarea>', page, re.S
    ):
        values[name] = html.unescape(value)
    return values


def post_review(client: FlaskClient, review_id: int, path: str = "", **fields: str) -> Any:
    """Post the review form (to the review itself, or to ``path``: release, resubmit, a
    comment), with what the page shows changed by ``fields``."""
    page = client.get(f"/journals/reviews/{review_id}")
    assert page.status_code == 200, text(page)[:800]
    data = {**review_form(text(page)), **fields}
    return client.post(path or f"/journals/reviews/{review_id}", data=data)


@dataclass
class Gradebook:
    """Stands in for helper A's grading service: line items are real rows, releases are kept."""

    releases: list[dict[str, Any]] = field(default_factory=list)

    def line_item_for(
        self,
        session: Any,
        *,
        course: Any,
        resource_id: str,
        label: str,
        score_maximum: float,
        tag: str = "reflectiejournaal",
    ) -> LineItem:
        found = session.scalars(
            select(LineItem).where(
                LineItem.course_id == course.id, LineItem.resource_id == resource_id
            )
        ).first()
        if found is None:
            found = LineItem(
                course_id=course.id,
                resource_id=resource_id,
                label=label,
                tag=tag,
                score_maximum=score_maximum,
            )
            session.add(found)
            session.flush()
        return found

    def release_score(self, session: Any, **kwargs: Any) -> None:
        self.releases.append(
            {
                **kwargs,
                "line_item": kwargs["line_item"].resource_id,
                "student": kwargs["student"].display_name,
                "released_by": kwargs["released_by"].display_name
                if kwargs["released_by"]
                else None,
            }
        )


def fake_gradebook(monkeypatch: pytest.MonkeyPatch) -> Gradebook:
    book = Gradebook()
    monkeypatch.setattr(reviewing, "line_item_for", book.line_item_for)
    monkeypatch.setattr(reviewing, "release_score", book.release_score)
    return book


def journal_world(
    app: Flask, coach: FlaskClient, handed_in: tuple[FlaskClient, int], course_id: int
) -> dict[str, int]:
    """An assignment of the course (set by ``coach``), and a hand-in of the student of
    ``handed_in`` (her client, her placement) with six entries and a final one: its review."""
    assert new_assignment(coach).status_code == 303
    assignment = assignment_ids(app, course_id)[-1]
    client, placement_id = handed_in
    made = entries(app, placement_id, 6, final=True)
    assert hand_in(client, assignment).status_code == 303
    with app.app_context():
        placement = db.session().get(Placement, placement_id)
        assert placement is not None
        student_id = placement.student_id
    review = review_row(app, assignment, student_id)
    assert review is not None
    return {"assignment": assignment, "review": review.id, "journal_entry": made[0]}
