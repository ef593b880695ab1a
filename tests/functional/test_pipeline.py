"""The coach's pipeline: one row per student of the course with placement state, school, mentors,
invitation state and hours against plan; filters as GET parameters; the same number of SQL
statements for 30 students as for 300."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from lti_app.db import utcnow
from lti_app.guests.models import InvitationState
from lti_app.hours.models import HourState
from lti_app.placements.models import PlacementState, Track
from lti_app.roster.models import Course, Person
from tests import factories
from tests.functional.test_placements import (
    BASE,
    Course_,
    launched_course,
    new_browser,
    person,
    test_session,
    text_of,
)
from tests.launching import FlaskBrowser, Page, launch
from tests.lms import INSTRUCTOR, TestLMS


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    yield from test_session(app)


@pytest.fixture
def course(app: Flask, lms: TestLMS) -> Course_:
    return launched_course(app, lms)


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def rows_of(page: Page) -> dict[str, str]:
    """Each student as text, by name, in the page's order: first the folded line of students
    without a placement (each marked "[no placement]"), then the table's row groups (<tbody>)."""
    rows = {}
    unplaced = re.search(r'<ul class="unplaced-list">(.*?)</ul>', page.text, re.S)
    for item in re.findall(r"<li[^>]*>(.*?)</li>", unplaced.group(1) if unplaced else "", re.S):
        text = _text(item)
        name = unescape(item.strip().split("<", 1)[0].strip())
        rows[name] = text + " [no placement]" + (" [greyed]" if "left the course" in text else "")
    table = re.search(r'<table class="pipeline">(.*?)</table>', page.text, re.S)
    assert table or rows, text_of(page)[:2000]
    for attrs, body in re.findall(
        r"<tbody([^>]*)>(.*?)</tbody>", table.group(1) if table else "", re.S
    ):
        found = re.search(r'class="student"><a href="[^"]+">([^<]+)</a>', body)
        assert found, body
        rows[unescape(found.group(1))] = _text(body) + (" [greyed]" if "inactive" in attrs else "")
    return rows


def student(db: Session, course: Course_, name: str, *, active: bool = True) -> Person:
    membership = factories.MembershipFactory(
        course=db.get(Course, course.course_id), active=active, person__name=name
    )
    return membership.person


@pytest.fixture
def class_of_four(course: Course_, db: Session) -> dict[str, Any]:
    """Lotte (launched, no placement), Jonas (approved, two mentors, hours), Sara (proposed,
    LIO, not invited), Mira (left the course; returned)."""
    the_course = db.get(Course, course.course_id)
    jonas = student(db, course, "Jonas De Smet")
    sara = student(db, course, "Sara Anaïs Peeters")
    mira = student(db, course, "Mira Claes", active=False)
    zuid = factories.SchoolFactory(name="Atheneum Zuid", city="Gent")
    els = factories.MentorFactory(name="Els Van den Broeck")
    koen = factories.MentorFactory(name="Koen Maes")
    approved = factories.PlacementFactory(
        course=the_course, student=jonas, school=zuid, mentors=[els, koen], planned_hours=60
    )
    factories.MentorInvitationFactory(placement=approved, mentor=els, state=InvitationState.SENT)
    factories.MentorInvitationFactory(  # the latest one counts
        placement=approved, mentor=els, state=InvitationState.ACTIVE
    )
    factories.MentorInvitationFactory(  # sent, but its link ran out
        placement=approved, mentor=koen, expires_at=utcnow() - timedelta(hours=1)
    )
    factories.HourEntryFactory(placement=approved, minutes=120, state=HourState.APPROVED)
    factories.HourEntryFactory(placement=approved, minutes=90, state=HourState.PENDING)
    factories.HourEntryFactory(placement=approved, minutes=600, state=HourState.REJECTED)
    factories.PlacementFactory(
        course=the_course,
        student=sara,
        school__name="Sint-Jozefscollege",
        state=PlacementState.PROPOSED,
        track=Track.LIO,
        planned_hours=0,
        mentors=[factories.MentorFactory(name="Nele Jacobs")],
    )
    factories.PlacementFactory(
        course=the_course, student=mira, school=zuid, state=PlacementState.RETURNED, mentors=[]
    )
    factories.PlacementFactory(school__name="School van een andere cursus")
    db.commit()
    return {"zuid": zuid}


def test_one_row_per_student_with_everything_at_a_glance(course: Course_, class_of_four) -> None:
    page = course.coach.get(BASE + "/coach")

    assert page.status == 200
    rows = rows_of(page)
    assert sorted(rows) == ["Jonas De Smet", "Lotte Janssens", "Mira Claes", "Sara Anaïs Peeters"]
    assert list(rows)[-1] == "Mira Claes"  # who left comes last
    jonas = rows["Jonas De Smet"]
    assert "approved" in jonas and "Atheneum Zuid" in jonas and "stage" in jonas
    assert "Els Van den Broeck signed in" in jonas
    assert "Koen Maes invitation expired" in jonas
    assert "3 h 30 min of 60 h" in jonas  # approved 2 h + pending 1 h 30; rejected do not count
    assert "1 h 30 min awaiting the mentor" in jonas
    sara = rows["Sara Anaïs Peeters"]
    assert "proposed" in sara and "LIO-baan" in sara and "Sint-Jozefscollege" in sara
    assert "Nele Jacobs not invited" in sara and "no plan" in sara
    lotte = rows["Lotte Janssens"]
    assert "[no placement]" in lotte and "Create placement" in lotte
    mira = rows["Mira Claes"]
    assert "left the course" in mira and "returned" in mira and "[greyed]" in mira
    assert "no mentor yet" in mira
    assert "School van een andere cursus" not in page.text
    summary = text_of(page)
    assert "4 students:" in summary
    assert "no placement 1 proposed 1 returned 1 approved 1" in summary


def test_an_invitation_whose_mail_bounced_shows_as_bounced(course: Course_, db: Session) -> None:
    from lti_app.notifications.models import BouncedAddress, MailState, OutgoingMail

    ruben = student(db, course, "Ruben Wouters")
    mentor = factories.MentorFactory(name="Hilde Peeters", email="hilde@school.example")
    placement = factories.PlacementFactory(
        course=db.get(Course, course.course_id), student=ruben, mentors=[mentor]
    )
    mail = OutgoingMail(
        to_address=mentor.email,
        subject="Uitnodiging",
        body_text="…",
        state=MailState.BOUNCED,
        message_id="<bounced@test>",
    )
    db.add(mail)
    db.add(BouncedAddress(address=mentor.email, reason="550 no such user"))
    db.flush()
    factories.MentorInvitationFactory(placement=placement, mentor=mentor, mail_id=mail.id)
    db.commit()

    rows = rows_of(course.coach.get(BASE + "/coach"))
    assert "Hilde Peeters invitation bounced" in rows["Ruben Wouters"]


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({"state": "none"}, ["Lotte Janssens"]),
        ({"state": "proposed"}, ["Sara Anaïs Peeters"]),
        ({"state": "returned"}, ["Mira Claes"]),
        ({"track": "lio"}, ["Sara Anaïs Peeters"]),
        ({"school": "zuid"}, ["Jonas De Smet", "Mira Claes"]),
        ({"q": "anais"}, ["Sara Anaïs Peeters"]),  # accents and case do not matter
        ({"q": "DE SMET"}, ["Jonas De Smet"]),
        ({"q": "claes", "state": "returned"}, ["Mira Claes"]),  # who left is found too
        (
            {"state": "nonsense"},
            ["Lotte Janssens", "Jonas De Smet", "Sara Anaïs Peeters", "Mira Claes"],
        ),
    ],
)
def test_filters_are_get_parameters(
    course: Course_, class_of_four, query: dict[str, str], shown: list[str]
) -> None:
    if query.get("school") == "zuid":
        query = {**query, "school": str(class_of_four["zuid"].id)}
    page = course.coach.get(BASE + "/coach", query)
    assert list(rows_of(page)) == shown
    # The filter form shows what is filtered on.
    for key, value in query.items():
        if key == "q":
            assert f'value="{value}"' in page.text


def test_a_filter_without_matches_says_so_and_how_to_see_everyone(
    course: Course_, class_of_four
) -> None:
    page = text_of(course.coach.get(BASE + "/coach", {"q": "nobody"}))
    assert "No student matches these filters." in page
    assert "Show everyone" in page


def test_a_course_without_students_explains_what_comes_next(app: Flask, lms: TestLMS) -> None:
    coach = new_browser(app)
    page = launch(coach, lms, person("coach-9", "Wim Claes", INSTRUCTOR))
    shown = text_of(page)
    assert "No students known yet." in shown
    assert "Students appear here as soon as they open Driehoek from the course" in shown
    assert "New placement" in shown and "Import placements (CSV)" in shown


# -- the same number of statements for 30 and for 300 students --------------------------------


def add_students(db: Session, course: Course_, first: int, count: int) -> None:
    """Students with every kind of row: no placement, proposed, returned, approved with one
    or two mentors, invitations in each state, hours; one in ten left the course."""
    the_course = db.get(Course, course.course_id)
    schools = [factories.SchoolFactory() for _ in range(5)]
    states = list(InvitationState)
    for i in range(first, first + count):
        person = student(db, course, f"Student {i:04d}", active=i % 10 != 9)
        if i % 4 == 0:
            continue  # no placement yet
        mentors = [factories.MentorFactory() for _ in range(1 + i % 2)]
        placement = factories.PlacementFactory(
            course=the_course,
            student=person,
            school=schools[i % 5],
            mentors=mentors,
            state=list(PlacementState)[i % 3],
            track=list(Track)[i % 3],
        )
        for j, mentor in enumerate(mentors):
            if (i + j) % 3:
                factories.MentorInvitationFactory(
                    placement=placement, mentor=mentor, state=states[(i + j) % len(states)]
                )
        for state in (HourState.APPROVED, HourState.PENDING)[: i % 3]:
            factories.HourEntryFactory(placement=placement, minutes=45, state=state)
    db.commit()


def statements(app: Flask, browser: FlaskBrowser, url: str) -> tuple[int, Page]:
    engine = app.extensions["db_engine"]
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        page = browser.get(BASE + url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert page.status == 200, page.text[:1000]
    return len(seen), page


def test_the_pipeline_costs_the_same_statements_for_30_and_300_students(
    app: Flask, course: Course_, db: Session
) -> None:
    add_students(db, course, 0, 30)
    course.coach.get(BASE + "/coach")  # warm: the first request of a process may load more
    for_30, page = statements(app, course.coach, "/coach")
    assert len(rows_of(page)) == 31  # and Lotte

    add_students(db, course, 30, 270)
    for_300, page = statements(app, course.coach, "/coach")
    assert len(rows_of(page)) == 301

    assert for_300 == for_30
    assert for_30 <= 11  # a handful: one per kind of thing shown, never one per student
    # Filtering is no different.
    filtered, _page = statements(app, course.coach, "/coach?state=approved&q=student")
    assert filtered == for_30


def test_needs_you_lists_the_first_few_of_a_kind_and_leads_to_all_of_them(
    course: Course_, db: Session
) -> None:
    the_course = db.get(Course, course.course_id)
    for i in range(10):
        factories.PlacementFactory(
            course=the_course,
            student=student(db, course, f"Student {i:02d}"),
            state=PlacementState.PROPOSED,
        )
    db.commit()

    page = course.coach.get(BASE + "/coach", {"q": "nobody"})  # the filter does not hide them

    needs = re.search(r'<section class="needs".*?</section>', page.text, re.S)
    assert needs
    assert needs.group(0).count("Review the proposal") == 8
    assert '<span class="count">10</span>' in needs.group(0)
    assert '<a href="/coach?state=proposed">Show all 10</a>' in needs.group(0)
    assert "No student matches these filters." in text_of(page)
