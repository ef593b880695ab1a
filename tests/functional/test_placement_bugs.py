"""Two bugs the first real use showed: a mentor's subject typed on one placement appeared on
the mentor's other placements, and the pipeline called a mentor who had signed in (through a
general link) and approved hours "not invited"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from lti_app.cli import alembic_config
from lti_app.db import utcnow
from lti_app.guests.models import GuestSession, InvitationState
from lti_app.hours.models import HourState
from lti_app.placements.models import Placement, PlacementMentor
from lti_app.roster.models import Course
from lti_app.roster.models import Person as RosterPerson
from tests import factories
from tests.functional.test_migrations import NOW
from tests.functional.test_pipeline import rows_of
from tests.functional.test_placements import (
    BASE,
    Course_,
    follow,
    form_on,
    launched_course,
    placement_fields,
    submit,
    test_session,
    text_of,
)


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    yield from test_session(app)


@pytest.fixture
def course(app: Flask, lms: object) -> Course_:
    return launched_course(app, lms)  # type: ignore[arg-type]


def mentor_section(page_text: str) -> str:
    """The text of a placement page from its mentors' heading on."""
    return page_text[page_text.index("Mentor") :]


# -- 1. a mentor's subject is the placement's ----------------------------------------------------


def test_the_same_mentor_keeps_a_subject_per_placement(course: Course_, db: Session) -> None:
    mehdi = factories.MembershipFactory(
        course=db.get(Course, course.course_id), person__name="Mehdi El Amrani"
    ).person
    db.commit()
    coach = course.coach
    els = {"mentors-0-name": "Els Van den Broeck", "mentors-0-email": "els@sjc.example"}
    for student_id, subject in ((course.student_id, "Wiskunde"), (mehdi.id, "Fysica")):
        # The placement's own "subjects" left blank: only the mentor's subject names a subject.
        fields = placement_fields(student_id, **els, subjects="", **{"mentors-0-subject": subject})
        if student_id == mehdi.id:  # the school exists by now
            fields["school_id"] = str(db.scalar(select(Placement.school_id)))
        saved = submit(coach, coach.get(BASE + "/placements/new"), fields)
        assert saved.status == 303, text_of(saved)[:2000]
    db.expire_all()
    lotte_p, mehdi_p = db.scalars(select(Placement).order_by(Placement.id)).all()
    assert lotte_p.mentor_links[0].mentor_id == mehdi_p.mentor_links[0].mentor_id  # one mentor

    def shown(placement: Placement) -> str:
        return mentor_section(text_of(coach.get(BASE + f"/placements/{placement.id}")))

    assert "Wiskunde" in shown(lotte_p) and "Fysica" not in shown(lotte_p)
    assert "Fysica" in shown(mehdi_p) and "Wiskunde" not in shown(mehdi_p)
    rows = rows_of(coach.get(BASE + "/coach"))
    assert "Wiskunde" in rows["Lotte Janssens"] and "Fysica" not in rows["Lotte Janssens"]
    assert "Fysica" in rows["Mehdi El Amrani"]

    # Editing Mehdi's placement changes his subject only.
    edit = coach.get(BASE + f"/placements/{mehdi_p.id}/edit")
    assert form_on(edit).fields["mentors-0-subject"] == "Fysica"
    follow(coach, submit(coach, edit, {"mentors-0-subject": "Chemie"}))
    assert "Chemie" in shown(mehdi_p)
    assert "Wiskunde" in shown(lotte_p) and "Chemie" not in shown(lotte_p)
    lotte_edit = coach.get(BASE + f"/placements/{lotte_p.id}/edit")
    assert form_on(lotte_edit).fields["mentors-0-subject"] == "Wiskunde"


def test_a_students_proposal_sets_the_subject_of_its_own_placement_only(
    course: Course_, db: Session
) -> None:
    els = factories.MentorFactory(email="els@sjc.example", name="Els Van den Broeck")
    other = factories.PlacementFactory(course=db.get(Course, course.course_id), mentors=[])
    other.mentor_links.append(PlacementMentor(mentor=els, subject="Wiskunde"))
    school = factories.SchoolFactory(college_id=els.college_id)
    db.commit()
    student = course.student
    page = student.get(BASE + "/my/placements/new")
    fields = {
        "school_id": str(school.id),
        "mentors-0-name": "Els Van den Broeck",
        "mentors-0-email": "els@sjc.example",
        "mentors-0-subject": "Fysica",
        "track": "stage",
        "start_date": "2026-09-01",
        "end_date": "2026-12-18",
    }
    assert submit(student, page, fields).status == 303
    db.expire_all()
    subjects = dict(db.execute(select(PlacementMentor.placement_id, PlacementMentor.subject)).all())
    assert subjects[other.id] == "Wiskunde"
    assert sorted(subjects.values()) == ["Fysica", "Wiskunde"]


# -- 2. the pipeline says what is true of a mentor's access ------------------------------------


def placement_of_lotte(course: Course_, db: Session, mentor: object) -> Placement:
    return factories.PlacementFactory(
        course=db.get(Course, course.course_id),
        student=db.get(RosterPerson, course.student_id),
        mentors=[mentor],
    )


def test_a_mentor_signed_in_by_a_general_link_with_approved_hours_is_signed_in(
    course: Course_, db: Session
) -> None:
    hilde = factories.MentorFactory(name="Hilde Peeters")
    placement = placement_of_lotte(course, db, hilde)
    # The link she asked for herself: not tied to a placement, used to sign in.
    factories.MentorInvitationFactory(
        mentor=hilde, placement=None, state=InvitationState.ACTIVE, used_at=utcnow()
    )
    factories.HourEntryFactory(
        placement=placement, state=HourState.APPROVED, decided_by_mentor_id=hilde.id
    )
    db.commit()

    lotte = rows_of(course.coach.get(BASE + "/coach"))["Lotte Janssens"]
    assert "Hilde Peeters signed in" in lotte
    assert "not invited" not in lotte


def test_a_live_guest_session_outranks_an_expired_placement_link(
    course: Course_, db: Session
) -> None:
    koen = factories.MentorFactory(name="Koen Maes")
    placement = placement_of_lotte(course, db, koen)
    factories.MentorInvitationFactory(
        mentor=koen, placement=placement, expires_at=utcnow() - timedelta(days=1)
    )
    db.add(
        GuestSession(mentor_id=koen.id, secret_hash="a" * 64, expires_at=utcnow() + timedelta(1))
    )
    db.commit()

    assert "Koen Maes signed in" in rows_of(course.coach.get(BASE + "/coach"))["Lotte Janssens"]


def test_an_unused_general_link_shows_as_sent_and_nothing_at_all_as_not_invited(
    course: Course_, db: Session
) -> None:
    nele, jan = factories.MentorFactory(name="Nele Jacobs"), factories.MentorFactory(name="Jan Wit")
    placement_of_lotte(course, db, nele).mentor_links.append(PlacementMentor(mentor=jan))
    factories.MentorInvitationFactory(mentor=nele, placement=None)
    # A live session that has ended, or hours on another placement, do not count.
    db.add(
        GuestSession(
            mentor_id=jan.id,
            secret_hash="b" * 64,
            expires_at=utcnow() + timedelta(1),
            ended_at=utcnow(),
        )
    )
    factories.HourEntryFactory(decided_by_mentor_id=jan.id)
    db.commit()

    lotte = rows_of(course.coach.get(BASE + "/coach"))["Lotte Janssens"]
    assert "Nele Jacobs invitation sent" in lotte
    assert "Jan Wit not invited" in lotte


# -- the migration -------------------------------------------------------------------------------


def test_the_migration_gives_every_link_its_mentors_subject(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/old.sqlite3"
    config = alembic_config(url)
    revision = ScriptDirectory.from_config(config).get_revision("0008")
    assert revision is not None
    command.upgrade(config, str(revision.down_revision))
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO college (name, created_at) VALUES ('HoGent', :n)"), {"n": NOW}
            )
            conn.execute(
                text(
                    "INSERT INTO platform (college_id, name, issuer, client_id, auth_login_url,"
                    " auth_token_url, key_set_url, source, origins, created_at) VALUES (1, 'M',"
                    " 'https://m.example', 'c1', 'https://m.example/a', 'https://m.example/t',"
                    " 'https://m.example/j', 'cli', '[]', :n)"
                ),
                {"n": NOW},
            )
            conn.execute(
                text(
                    "INSERT INTO course (platform_id, context_id, title, label, created_at,"
                    " updated_at) VALUES (1, 'c-1', 'Stage', 'S', :n, :n)"
                ),
                {"n": NOW},
            )
            conn.execute(
                text(
                    "INSERT INTO school (college_id, name, street, postal_code, city,"
                    " contact_name, contact_phone, created_at, updated_at) VALUES"
                    " (1, 'Sint-Jozef', '', '', 'Aalst', '', '', :n, :n)"
                ),
                {"n": NOW},
            )
            for i, subject in ((1, "Wiskunde"), (2, "")):
                conn.execute(
                    text(
                        "INSERT INTO mentor (college_id, email, name, phone, subject, locale,"
                        " created_at, updated_at) VALUES (1, :e, 'M', '', :s, 'nl', :n, :n)"
                    ),
                    {"e": f"m{i}@school.example", "s": subject, "n": NOW},
                )
            for i in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO person (issuer, sub, name, given_name, family_name,"
                        " email, created_at, updated_at) VALUES ('https://m.example', :s, 'S', '', '', NULL, :n, :n)"
                    ),
                    {"s": f"s{i}", "n": NOW},
                )
                conn.execute(
                    text(
                        "INSERT INTO placement (course_id, student_id, school_id, track, state,"
                        " return_reason, subjects, grade_levels, planned_observation_hours,"
                        " planned_co_teaching_hours, planned_own_lessons, planned_hours,"
                        " risk_analysis_done, workstation_sheet_needed, insurance_reference,"
                        " lio_appointment, created_at, updated_at) VALUES (1, :p, 1, 'stage',"
                        " 'approved', '', '', '', 0, 0, 0, 0, 0, 0, '', '', :n, :n)"
                    ),
                    {"p": i, "n": NOW},
                )
            for placement_id, mentor_id in ((1, 1), (2, 1), (2, 2)):
                conn.execute(
                    text(
                        "INSERT INTO placement_mentor (placement_id, mentor_id, created_at)"
                        " VALUES (:p, :m, :n)"
                    ),
                    {"p": placement_id, "m": mentor_id, "n": NOW},
                )
        command.upgrade(config, "0008")
        with engine.connect() as conn:
            links = conn.execute(
                text("SELECT placement_id, mentor_id, subject FROM placement_mentor ORDER BY id")
            ).all()
            assert links == [(1, 1, "Wiskunde"), (2, 1, "Wiskunde"), (2, 2, "")]
            columns = [row[1] for row in conn.execute(text("PRAGMA table_info(mentor)"))]
            assert "subject" not in columns
        with engine.begin() as conn:
            conn.execute(text("UPDATE placement_mentor SET subject = 'Fysica' WHERE id = 2"))
        command.downgrade(config, str(revision.down_revision))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT subject FROM mentor ORDER BY id")).scalars().all() == [
                "Fysica",
                "",
            ]
    finally:
        engine.dispose()
