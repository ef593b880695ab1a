"""A coach sees where each member's role came from and corrects a role (roster/corrections.py).

The course has a coach who launched, students the roster (NRPS) lists, and Els, a teacher the
LMS's roster lists as Learner (as Moodle lists a non-editing teacher) who has not launched yet.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from lti_app import db
from lti_app.roster.models import Role, RoleChange, RoleSource
from tests.functional.test_nrps import (  # noqa: F401 - fixtures
    RosterLMS,
    course,
    course_roster,
    member,
    roster_lms,
    sync,
)
from tests.functional.test_pipeline import rows_of
from tests.guests import csrf, launch_client, text
from tests.launching import FlaskBrowser, Page
from tests.lms import ADMIN, INSTRUCTOR, LEARNER, Person, TestLMS

ELS = Person("teacher-2", "Els Wouters", [INSTRUCTOR], "els@hogeschool.example", "en")
MEMBERS = "/coach/roster/members"


def _listed(person: Person, roles: list[str]) -> dict[str, Any]:
    return {"user_id": person.sub, "roles": roles, "name": person.name, "email": person.email}


def _course_with_els(app: Flask, course: int, roster_lms: RosterLMS, coach: Person) -> int:
    """A course of 20 as the LMS lists it, Els among its Learners; returns Els's membership."""
    roster_lms.members = course_roster(coach, size=20)
    roster_lms.members.append(_listed(ELS, [LEARNER]))
    sync(app, course)
    return member(app, course, ELS.sub)[1].id


def _english_coach(app: Flask, lms: TestLMS, coach: Person) -> FlaskClient:
    return launch_client(app, lms, Person(coach.sub, coach.name, coach.roles, coach.email, "en"))


def _row(page: Any, membership_id: int) -> str:
    found = re.search(rf'<tr data-member="{membership_id}">(.*?)</tr>', text(page), re.S)
    assert found is not None, text(page)[:2000]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def _path(membership_id: int) -> str:
    return f"{MEMBERS}/{membership_id}/role"


def _correct(client: FlaskClient, membership_id: int, role: str) -> Any:
    token = csrf(text(client.get(MEMBERS)))
    return client.post(_path(membership_id), data={"csrf_token": token, "role": role})


def _changes(app: Flask) -> int:
    with app.app_context():
        return int(db.session().scalar(select(func.count()).select_from(RoleChange)) or 0)


def test_the_coach_sees_each_members_role_where_it_came_from_and_when_they_last_came(
    app: Flask, course: int, roster_lms: RosterLMS, lms: TestLMS, coach: Person
) -> None:
    els = _course_with_els(app, course, roster_lms, coach)
    client = _english_coach(app, lms, coach)

    home = client.get("/coach")
    assert f'href="{MEMBERS}"' in text(home)  # reachable from the coach's page
    page = client.get(MEMBERS)

    assert page.status_code == 200
    own = member(app, course, coach.sub)[1]
    assert _row(page, own.id).startswith("An Peeters coach Their own launch ")
    assert _row(page, own.id).endswith(" You")  # no way to change her own role
    assert (
        _row(page, els)
        == "Els Wouters student The course roster of the learning platform Not yet Make coach"
    )


def test_a_correction_outranks_the_roster_and_her_own_later_launch_rules(
    app: Flask, course: int, roster_lms: RosterLMS, lms: TestLMS, coach: Person
) -> None:
    els = _course_with_els(app, course, roster_lms, coach)
    client = _english_coach(app, lms, coach)

    ask = client.get(_path(els))
    assert ask.status_code == 200
    assert "Make Els Wouters a coach?" in text(ask)
    assert member(app, course, ELS.sub)[1].role is Role.STUDENT  # asking changes nothing
    done = _correct(client, els, "coach")
    assert done.status_code == 303 and done.headers["Location"].endswith(MEMBERS)

    _person, membership = member(app, course, ELS.sub)
    assert (membership.role, membership.role_source) == (Role.COACH, RoleSource.COACH)
    with app.app_context():
        change = db.session().scalars(select(RoleChange)).one()
        coach_id = member(app, course, coach.sub)[0].id
        assert (change.membership_id, change.from_role, change.to_role) == (
            els,
            Role.STUDENT,
            Role.COACH,
        )
        assert change.changed_by_id == coach_id and change.at is not None
    page = client.get(MEMBERS)
    assert _row(page, els) == "Els Wouters coach Corrected by An Peeters Not yet Make student"
    assert "An Peeters changed Els Wouters from student to coach." in text(page)
    assert "Els Wouters" not in rows_of(Page(200, {}, text(client.get("/coach")), "/coach"))

    sync(app, course)  # the roster still says Learner: the correction stays
    assert member(app, course, ELS.sub)[1].role is Role.COACH

    # Her own launch, as Learner, is the LMS speaking about her: it rules.
    els_browser = FlaskBrowser(app.test_client())
    from tests.launching import launch

    launch(els_browser, lms, Person(ELS.sub, ELS.name, [LEARNER], ELS.email))
    _person, membership = member(app, course, ELS.sub)
    assert (membership.role, membership.role_source) == (Role.STUDENT, RoleSource.LAUNCH)
    assert els_browser.get(els_browser.base + "/coach").status == 403  # a student, as launched


def test_the_rules_refuse_and_nothing_changes(
    app: Flask, course: int, roster_lms: RosterLMS, lms: TestLMS, coach: Person
) -> None:
    _course_with_els(app, course, roster_lms, coach)
    client = _english_coach(app, lms, coach)
    # Els launches as Instructor: her own launch says coach, so no coach demotes her here.
    launch_client(app, lms, ELS)
    els = member(app, course, ELS.sub)[1].id
    own = member(app, course, coach.sub)[1].id
    admin = Person("admin-1", "Wim Admin", [INSTRUCTOR, ADMIN], "wim@hogeschool.example", "en")
    launch_client(app, lms, admin)
    coordinator = member(app, course, admin.sub)[1].id

    for membership_id, says in (
        (own, "You cannot change your own role."),
        (els, "The own launch of Els Wouters from the learning platform gave this role."),
        (coordinator, "Coordinators get their role from the learning platform"),
    ):
        assert client.get(_path(membership_id)).status_code == 403
        refused = _correct(client, membership_id, "student")
        assert refused.status_code == 403
        assert says in text(refused)
    assert member(app, course, coach.sub)[1].role is Role.COACH
    assert member(app, course, ELS.sub)[1].role is Role.COACH
    assert member(app, course, admin.sub)[1].role is Role.COORDINATOR
    assert _changes(app) == 0


def test_a_stale_or_forged_post_changes_nothing(
    app: Flask, course: int, roster_lms: RosterLMS, lms: TestLMS, coach: Person
) -> None:
    els = _course_with_els(app, course, roster_lms, coach)
    client = _english_coach(app, lms, coach)

    # Posted from a page that offered "make student" (out of date): no flip.
    stale = _correct(client, els, "student")
    assert stale.status_code == 303
    assert "changed meanwhile" in text(client.get(MEMBERS))
    # Without the CSRF token: refused.
    forged = client.post(_path(els), data={"role": "coach"})
    assert forged.status_code == 400
    # Twice the same correction: the second finds a coach and offers nothing to make her coach.
    assert _correct(client, els, "coach").status_code == 303
    assert _correct(client, els, "coach").status_code == 303
    assert member(app, course, ELS.sub)[1].role is Role.COACH
    assert _changes(app) == 1


def test_students_outsiders_and_other_courses_cannot_see_or_correct(
    app: Flask, course: int, roster_lms: RosterLMS, lms: TestLMS, coach: Person, student: Person
) -> None:
    els = _course_with_els(app, course, roster_lms, coach)
    student_client = launch_client(app, lms, student)
    outsider = app.test_client()
    other_course = _other_course_client(app, lms)

    for client, status in ((student_client, 403), (outsider, 401), (other_course, 404)):
        token = csrf(text(client.get("/verify")))
        assert client.get(_path(els)).status_code == status
        post = client.post(_path(els), data={"csrf_token": token, "role": "coach"})
        assert post.status_code == status
    assert student_client.get(MEMBERS).status_code == 403
    assert outsider.get(MEMBERS).status_code == 401
    assert "Els Wouters" not in text(other_course.get(MEMBERS))
    assert member(app, course, ELS.sub)[1].role is Role.STUDENT
    assert _changes(app) == 0


def _other_course_client(app: Flask, lms: TestLMS) -> FlaskClient:
    """A coach launched from another course (course-2) of the same LMS."""
    from tests.guests import english_client
    from tests.launching import launch

    client = english_client(app)
    page = launch(
        FlaskBrowser(client),
        lms,
        Person("coach-7", "Bart Andere", [INSTRUCTOR], "bart@hogeschool.example", "en"),
        context={"context_id": "course-2", "context_title": "Stage LO", "context_label": "LO"},
    )
    assert page.status == 200, page.text[:500]
    return client
