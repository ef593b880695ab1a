"""A person's role in a course does not flip between launches and roster syncs.

Moodle's roster (NRPS) lists a non-editing teacher as Learner while her own launch says
Instructor. Her own launches outrank the roster: a sync never demotes her, though it may add
people, mark leavers inactive and promote; a later launch of her own may lower her role.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from lti_app.roster.models import Role
from tests.functional.test_nrps import (  # noqa: F401 - fixtures
    RosterLMS,
    course,
    course_roster,
    member,
    roster_lms,
    sync,
)
from tests.functional.test_pipeline import rows_of
from tests.launching import FlaskBrowser, launch
from tests.lms import INSTRUCTOR, LEARNER, Person, TestLMS

ELS = Person("teacher-2", "Els Wouters", [INSTRUCTOR], "els@hogeschool.example")


def _listed(person: Person, roles: list[str]) -> dict[str, Any]:
    return {"user_id": person.sub, "roles": roles, "name": person.name, "email": person.email}


def _small_course(roster_lms: RosterLMS, coach: Person) -> None:
    """A course of 20 as the LMS lists it: the sync stays quick."""
    roster_lms.members = course_roster(coach, size=20)


def _els_launches(app: Flask, lms: TestLMS, roles: list[str]) -> FlaskBrowser:
    browser = FlaskBrowser(app.test_client())
    page = launch(browser, lms, Person(ELS.sub, ELS.name, roles, ELS.email))
    assert page.status == 200
    return browser


def test_a_teacher_the_roster_lists_as_learner_stays_the_coach_her_launch_made_her(
    app: Flask,
    course: int,
    roster_lms: RosterLMS,
    lms: TestLMS,
    browser: FlaskBrowser,
    coach: Person,
) -> None:
    _small_course(roster_lms, coach)
    els = _els_launches(app, lms, [INSTRUCTOR])
    roster_lms.members.append(_listed(ELS, [LEARNER]))  # how Moodle lists a non-editing teacher

    sync(app, course)
    sync(app, course)  # and again: nothing flips back and forth

    assert els.get(els.base + "/coach").status == 200
    pipeline = browser.get(browser.base + "/coach")
    assert pipeline.status == 200
    assert len(rows_of(pipeline)) > 0  # the course's students are there
    assert ELS.name not in rows_of(pipeline)
    assert member(app, course, ELS.sub)[1].role is Role.COACH
    # Her next launch, as the LMS still names her Instructor, keeps her where she was.
    assert _els_launches(app, lms, [INSTRUCTOR]).get(els.base + "/coach").status == 200
    assert member(app, course, ELS.sub)[1].role is Role.COACH


def test_someone_only_the_roster_knows_is_promoted_when_the_roster_promotes_them(
    app: Flask,
    course: int,
    roster_lms: RosterLMS,
    coach: Person,
) -> None:
    _small_course(roster_lms, coach)
    roster_lms.members.append(_listed(ELS, [LEARNER]))
    sync(app, course)
    assert member(app, course, ELS.sub)[1].role is Role.STUDENT

    roster_lms.members[-1] = _listed(ELS, [INSTRUCTOR])
    summary = sync(app, course)

    assert summary.updated == 1
    assert member(app, course, ELS.sub)[1].role is Role.COACH
    # The roster set that role, so the roster may take it back.
    roster_lms.members[-1] = _listed(ELS, [LEARNER])
    sync(app, course)
    assert member(app, course, ELS.sub)[1].role is Role.STUDENT


def test_the_roster_promotes_above_her_launch_but_not_below_it(
    app: Flask,
    course: int,
    roster_lms: RosterLMS,
    lms: TestLMS,
    coach: Person,
) -> None:
    _small_course(roster_lms, coach)
    _els_launches(app, lms, [INSTRUCTOR])
    roster_lms.members.append(_listed(ELS, ["Administrator"]))
    sync(app, course)
    assert member(app, course, ELS.sub)[1].role is Role.COORDINATOR

    roster_lms.members[-1] = _listed(ELS, [LEARNER])
    sync(app, course)

    assert member(app, course, ELS.sub)[1].role is Role.COACH  # what her own launch said


def test_her_own_later_launch_as_learner_makes_her_a_student(
    app: Flask,
    course: int,
    roster_lms: RosterLMS,
    lms: TestLMS,
    browser: FlaskBrowser,
    coach: Person,
) -> None:
    _small_course(roster_lms, coach)
    _els_launches(app, lms, [INSTRUCTOR])
    roster_lms.members.append(_listed(ELS, [LEARNER]))
    sync(app, course)
    assert member(app, course, ELS.sub)[1].role is Role.COACH

    # The LMS now tells us about her directly: she is a learner here.
    els = _els_launches(app, lms, [LEARNER])
    sync(app, course)

    _, membership = member(app, course, ELS.sub)
    assert membership.role is Role.STUDENT
    assert membership.lti_roles == [LEARNER]
    assert els.get(els.base + "/coach").status == 403
    assert ELS.name in rows_of(browser.get(browser.base + "/coach"))
