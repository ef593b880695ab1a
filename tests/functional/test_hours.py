"""The hours log (lti_app/hours/service.py, views.py): the student logs days and lessons,
the mentor approves a week or sends one entry back with a reason, totals run against the plan.

What people notice: what the student typed is kept when something is wrong with it; the mentor
approves exactly what they saw; a rejected entry shows why and can be corrected and sent again;
approved hours stay as approved; every change leaves a record of who did it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lti_app import clock, db
from lti_app.hours.forms import parse_minutes
from lti_app.hours.models import HourEntry, HourKind, HourState
from lti_app.hours.reading import hour_totals, week_start
from lti_app.placements.models import ChangeRecord, Placement, PlacementState
from tests.guests import (
    add_entry,
    add_mentor,
    add_placement,
    csrf,
    english_client,
    launch_client,
    launched_course,
    person_id,
    sign_in_mentor,
    text,
)
from tests.lms import LEARNER, Person, TestLMS

LOTTE = Person("student-1", "Lotte Janssens", [LEARNER], "lotte@student.example", locale="en")
ELS = "els.mertens@sint-jozef.example"


def today() -> date:
    """Today as the app takes it: in Brussels, by the app's clock (which ``setting`` stops)."""
    return clock.today()


def last_monday() -> date:
    """The Monday of last week: two school weeks in the past, well inside the placement."""
    return week_start(today()) - timedelta(days=7)


def days_from_today(days: int) -> str:
    return (today() + timedelta(days=days)).isoformat()


@dataclass
class Setting:
    student: FlaskClient
    mentor: FlaskClient
    placement: int
    student_id: int
    mentor_id: int

    def log(self, **fields: Any) -> Any:
        page = self.student.get(f"/hours/placements/{self.placement}")
        data = {
            "csrf_token": csrf(text(page)),
            "day": days_from_today(-1),
            "kind": "observation",
            "amount": "50",
            "unit": "minutes",
            "note": "",
            **fields,
        }
        return self.student.post(f"/hours/placements/{self.placement}", data=data)

    def edit(self, entry_id: int, **fields: str) -> Any:
        page = self.student.get(f"/hours/entries/{entry_id}/edit")
        form = {
            "csrf_token": csrf(text(page)),
            "day": _value(text(page), "day"),
            "kind": "observation",
            "amount": _value(text(page), "amount"),
            "unit": "minutes",
            "note": "",
            **fields,
        }
        return self.student.post(f"/hours/entries/{entry_id}/edit", data=form)

    def mentor_page(self) -> str:
        page = self.mentor.get(f"/mentor/placements/{self.placement}")
        assert page.status_code == 200
        return text(page)

    def approve(self, page: str, monday: date) -> Any:
        """Press "Approve this week" for ``monday``'s week on a mentor page already shown."""
        week = page.split(f'name="week" value="{monday.isoformat()}"', 1)
        assert len(week) == 2, f"no approve button for the week of {monday}"
        entries = re.search(r'name="entries" value="([^"]*)"', week[1])
        seen_at = re.search(r'name="seen_at" value="([^"]*)"', week[1])
        assert entries and seen_at
        return self.mentor.post(
            f"/mentor/placements/{self.placement}/hours/approve-week",
            data={
                "csrf_token": csrf(page),
                "week": monday.isoformat(),
                "entries": entries.group(1),
                "seen_at": seen_at.group(1),
            },
        )

    def reject(self, entry_id: int, reason: str) -> Any:
        page = self.mentor_page()
        return self.mentor.post(
            f"/mentor/placements/{self.placement}/hours/{entry_id}/reject",
            data={"csrf_token": csrf(page), "reason": reason},
        )


def _value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    assert match, name
    return match.group(1)


@pytest.fixture
def setting(app: Flask, lms: TestLMS, set_clock: Any) -> Setting:
    # Stopped at this moment, whatever the hour: a test that runs across midnight in Brussels
    # and the app agree on "today" all the same.
    set_clock(clock.now())
    return make_setting(app, lms)


def make_setting(app: Flask, lms: TestLMS) -> Setting:
    """Lotte's placement around today, Els her mentor, both signed in."""
    student = launch_client(app, lms, LOTTE)
    els = add_mentor(app, ELS, "Els Mertens")
    placement = add_placement(
        app,
        mentors=[els],
        course_id=launched_course(app),
        student_id=person_id(app, "student-1"),
        start_date=today() - timedelta(days=40),
        end_date=today() + timedelta(days=40),
        planned_observation_hours=10,
        planned_co_teaching_hours=6,
        planned_own_lessons=12,
        planned_hours=40,
    )
    mentor = english_client(app)
    sign_in_mentor(app, mentor, ELS)
    return Setting(student, mentor, placement, person_id(app, "student-1"), els)


def entries(app: Flask) -> list[HourEntry]:
    with app.app_context():
        return list(db.session().scalars(select(HourEntry).order_by(HourEntry.id)))


def records(app: Flask, entry_id: int) -> list[ChangeRecord]:
    with app.app_context():
        return list(
            db.session().scalars(
                select(ChangeRecord)
                .where(ChangeRecord.entity == "hour_entry", ChangeRecord.entity_id == entry_id)
                .order_by(ChangeRecord.id)
            )
        )


# -- logging ------------------------------------------------------------------------------------


def test_the_student_logs_a_lesson_and_sees_it_waiting(app: Flask, setting: Setting) -> None:
    response = setting.log(kind="own_lesson", amount="50", note="Fractions, 2B")
    assert response.status_code == 303
    page = text(setting.student.get(response.headers["Location"]))
    assert "Saved: 50 min on" in page
    assert "Fractions, 2B" in page
    assert "waiting for approval" in page

    [entry] = entries(app)
    assert (entry.kind, entry.minutes, entry.state) == (HourKind.OWN_LESSON, 50, HourState.PENDING)
    [created] = records(app, entry.id)
    assert created.action == "created"
    assert created.actor == f"person:{setting.student_id}"
    assert created.changes["minutes"] == 50


@pytest.mark.parametrize(
    ("amount", "unit", "minutes"),
    [("50", "minutes", 50), ("1,5", "hours", 90), ("7", "hours", 420), ("1:30", "minutes", 90)],
)
def test_durations_in_minutes_hours_or_clock_time(
    app: Flask, setting: Setting, amount: str, unit: str, minutes: int
) -> None:
    assert setting.log(amount=amount, unit=unit).status_code == 303
    assert [e.minutes for e in entries(app)] == [minutes]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"day": 1}, "only log hours for today or earlier"),  # days from today
        ({"day": -60}, "before your placement starts"),
        ({"amount": "a while"}, "Enter a number, like 50 (minutes)"),
        ({"amount": "0"}, "between 1 minute and 24 hours"),
        ({"amount": "25", "unit": "hours"}, "between 1 minute and 24 hours"),
        ({"day": "yesterday"}, "date"),
        ({"kind": ""}, "Choose what you did."),
    ],
)
def test_what_is_wrong_is_said_and_what_was_typed_is_kept(
    app: Flask, setting: Setting, fields: dict[str, Any], message: str
) -> None:
    days = fields.get("day")
    if isinstance(days, int):
        fields = {**fields, "day": days_from_today(days)}
    response = setting.log(note="Observed Mr. Peeters' class", **fields)
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert "Observed Mr. Peeters&#39; class" in page  # the note is still there
    assert entries(app) == []


def test_today_is_the_date_in_brussels_not_in_utc(app: Flask, lms: TestLMS, set_clock: Any) -> None:
    # 23:30 UTC on a winter Thursday is already Friday 00:30 in Brussels.
    set_clock(datetime(2027, 1, 14, 23, 30, tzinfo=UTC))
    assert clock.today() == date(2027, 1, 15)
    setting = make_setting(app, lms)
    assert setting.log(day="2027-01-16").status_code == 400  # Saturday: tomorrow in Brussels
    assert setting.log(day="2027-01-15").status_code == 303  # Friday: today in Brussels
    assert [e.day for e in entries(app)] == [date(2027, 1, 15)]


def test_a_day_holds_at_most_24_hours(app: Flask, setting: Setting) -> None:
    assert setting.log(amount="20", unit="hours").status_code == 303
    response = setting.log(amount="5", unit="hours")
    assert response.status_code == 400
    assert "more than 24 hours" in text(response)


def test_the_student_changes_and_deletes_a_waiting_entry(app: Flask, setting: Setting) -> None:
    setting.log(amount="50")
    [entry] = entries(app)
    response = setting.edit(entry.id, amount="100", kind="co_teaching")
    assert response.status_code == 303
    [entry] = entries(app)
    assert (entry.minutes, entry.kind) == (100, HourKind.CO_TEACHING)
    updated = records(app, entry.id)[-1]
    assert updated.action == "updated"
    assert updated.changes == {"kind": ["observation", "co_teaching"], "minutes": [50, 100]}

    page = text(setting.student.get(f"/hours/entries/{entry.id}/edit"))
    response = setting.student.post(
        f"/hours/entries/{entry.id}/delete", data={"csrf_token": csrf(page)}
    )
    assert response.status_code == 303
    assert entries(app) == []
    deleted = records(app, entry.id)[-1]
    assert deleted.action == "deleted"
    assert deleted.actor == f"person:{setting.student_id}"
    assert deleted.changes["minutes"] == 100  # what it said is kept


# -- the mentor's decisions ---------------------------------------------------------------------


def test_the_mentor_approves_one_week_and_it_stays_approved(app: Flask, setting: Setting) -> None:
    last = [
        add_entry(app, setting.placement, day=last_monday() + timedelta(days=d)) for d in (0, 2)
    ]
    earlier = add_entry(app, setting.placement, day=last_monday() - timedelta(days=6))
    assert "2 entries to approve" not in text(setting.mentor.get("/mentor"))
    assert "3 entries to approve" in text(setting.mentor.get("/mentor"))

    page = setting.mentor_page()
    assert "Approve this week (2 entries, 2 h)" in page
    response = setting.approve(page, last_monday())
    assert response.status_code == 303
    assert "2 entries approved." in setting.mentor_page()

    states = {e.id: e.state for e in entries(app)}
    assert [states[i] for i in last] == [HourState.APPROVED, HourState.APPROVED]
    assert states[earlier] == HourState.PENDING
    approved = records(app, last[0])[-1]
    assert (approved.action, approved.actor) == ("approved", f"mentor:{setting.mentor_id}")

    # Approved is final for the student.
    edit = setting.student.get(f"/hours/entries/{last[0]}/edit")
    assert "approved this entry already" in text(edit)
    token = csrf(text(setting.student.get(f"/hours/placements/{setting.placement}")))
    refused = setting.student.post(
        f"/hours/entries/{last[0]}/edit",
        data={
            "csrf_token": token,
            "day": last_monday().isoformat(),
            "kind": "observation",
            "amount": "500",
            "unit": "minutes",
        },
    )
    assert refused.status_code == 409
    assert "approved this entry already" in text(refused)
    setting.student.post(f"/hours/entries/{last[0]}/delete", data={"csrf_token": token})
    assert {e.id: e.minutes for e in entries(app)}[last[0]] == 60


def test_the_mentor_approves_what_they_saw_not_what_changed_since(
    app: Flask, setting: Setting, set_clock: Any
) -> None:
    seen = add_entry(app, setting.placement, day=last_monday(), minutes=60)
    changed = add_entry(app, setting.placement, day=last_monday() + timedelta(days=1), minutes=60)
    page = setting.mentor_page()

    set_clock(clock.now() + timedelta(minutes=1))
    # A minute later the student corrects one entry and adds another to the same week.
    assert setting.edit(changed, amount="300").status_code == 303
    assert setting.log(day=(last_monday() + timedelta(days=2)).isoformat()).status_code == 303

    setting.approve(page, last_monday())
    after = setting.mentor_page()
    assert "1 entry approved." in after
    assert "1 entry changed since you opened the page" in after
    states = {e.id: e.state for e in entries(app)}
    assert states[seen] == HourState.APPROVED
    assert states[changed] == HourState.PENDING
    assert list(states.values()).count(HourState.PENDING) == 2


def test_a_rejected_entry_shows_the_reason_and_goes_back_after_correction(
    app: Flask, setting: Setting
) -> None:
    entry = add_entry(app, setting.placement, day=last_monday(), minutes=480, note="Whole day")

    empty = setting.reject(entry, "   ")
    assert empty.status_code == 400
    assert "Tell the student why, so they can correct it." in text(empty)
    assert entries(app)[0].state == HourState.PENDING

    response = setting.reject(entry, "You left at noon: 4 hours.")
    assert response.status_code == 303
    rejected = entries(app)[0]
    assert rejected.state == HourState.REJECTED
    assert records(app, entry)[-1].changes["reason"] == "You left at noon: 4 hours."

    page = text(setting.student.get(f"/hours/placements/{setting.placement}"))
    assert "not approved" in page
    assert "You left at noon: 4 hours." in page
    assert "Correct and send again" in page

    assert setting.edit(entry, amount="240").status_code == 303
    corrected = entries(app)[0]
    assert (corrected.state, corrected.minutes) == (HourState.PENDING, 240)
    resubmitted = records(app, entry)[-1]
    assert resubmitted.action == "resubmitted"
    assert resubmitted.actor == f"person:{setting.student_id}"
    assert resubmitted.changes["state"] == ["rejected", "pending"]

    mentor_page = setting.mentor_page()
    assert "Corrected by the student after you wrote:" in mentor_page
    assert "You left at noon: 4 hours." in mentor_page


def test_a_decided_entry_cannot_be_rejected_again(app: Flask, setting: Setting) -> None:
    entry = add_entry(app, setting.placement, day=last_monday(), state=HourState.APPROVED)
    page = setting.mentor.get(f"/mentor/placements/{setting.placement}/hours/{entry}/reject")
    assert "This entry is approved already." in text(page)
    response = setting.reject(entry, "changed my mind")
    assert response.status_code == 400
    assert entries(app)[0].state == HourState.APPROVED


# -- totals -------------------------------------------------------------------------------------


def test_totals_per_kind_run_against_the_plan(app: Flask, setting: Setting) -> None:
    day = last_monday()
    add_entry(
        app,
        setting.placement,
        day=day,
        kind=HourKind.OBSERVATION,
        minutes=120,
        state=HourState.APPROVED,
    )
    add_entry(app, setting.placement, day=day, kind=HourKind.OBSERVATION, minutes=30)
    add_entry(
        app,
        setting.placement,
        day=day,
        kind=HourKind.OWN_LESSON,
        minutes=50,
        state=HourState.APPROVED,
    )
    add_entry(
        app,
        setting.placement,
        day=day,
        kind=HourKind.OWN_LESSON,
        minutes=50,
        state=HourState.APPROVED,
    )
    add_entry(
        app,
        setting.placement,
        day=day,
        kind=HourKind.CO_TEACHING,
        minutes=60,
        state=HourState.REJECTED,
    )

    with app.app_context():
        s = db.session()
        placement = s.get(Placement, setting.placement)
        assert placement is not None
        totals = hour_totals(s, [placement])[placement.id]
    observation = totals.by_kind[HourKind.OBSERVATION]
    assert (observation.approved_minutes, observation.pending_minutes) == (120, 30)
    assert observation.planned_minutes == 600
    own = totals.by_kind[HourKind.OWN_LESSON]
    assert (own.approved_count, own.planned_lessons) == (2, 12)
    assert totals.by_kind[HourKind.CO_TEACHING].approved_minutes == 0  # rejected does not count
    assert (totals.overall.approved_minutes, totals.overall.pending_minutes) == (220, 30)
    assert totals.overall.planned_minutes == 40 * 60

    page = text(setting.student.get(f"/hours/placements/{setting.placement}"))
    assert "<td>2 h of 10 h</td>" in page  # observation, approved of planned
    assert "<td>30 min</td>" in page  # observation, waiting
    assert "<td>2 of 12 lessons</td>" in page
    assert "<td><strong>3 h 40 min of 40 h</strong></td>" in page
    assert "Observation" in setting.mentor_page()


def test_a_student_with_one_placement_goes_straight_to_its_hours(
    app: Flask, setting: Setting
) -> None:
    response = setting.student.get("/hours")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/hours/placements/{setting.placement}")


def test_a_student_without_a_placement_is_told_so(app: Flask, lms: TestLMS) -> None:
    other = Person("student-3", "Noor Vermeulen", [LEARNER], "noor@student.example", locale="en")
    client = launch_client(app, lms, other)
    page = client.get("/hours")
    assert page.status_code == 200
    assert "You have no placement in this course yet." in text(page)


@pytest.mark.parametrize(
    ("amount", "unit", "minutes"),
    [
        ("50", "minutes", 50),
        ("2", "hours", 120),
        ("2,25", "hours", 135),
        ("0.5", "hours", 30),
        ("1u30", "hours", 90),
        ("7:00", "minutes", 420),
        (" 45 ", "minutes", 45),
    ],
)
def test_parse_minutes(amount: str, unit: str, minutes: int) -> None:
    assert parse_minutes(amount, unit) == minutes


@pytest.mark.parametrize("amount", ["", "abc", "1:75", "nan", "inf", "1,2,3"])
def test_parse_minutes_refuses_what_is_no_duration(amount: str) -> None:
    with pytest.raises(ValueError):
        parse_minutes(amount, "minutes")


def test_hours_wait_until_the_coach_approved_the_placement(app: Flask, setting: Setting) -> None:
    with app.app_context():
        s = db.session()
        placement = s.get(Placement, setting.placement)
        assert placement is not None
        placement.state = PlacementState.PROPOSED
        s.commit()
    page = text(setting.student.get(f"/hours/placements/{setting.placement}"))
    assert "Your coach has not approved this placement yet." in page
    assert 'name="amount"' not in page
    response = setting.log()
    assert response.status_code == 400
    assert entries(app) == []
