"""CSV import of a course's placements as a coach does it: a file saved by Excel, uploaded
through the page. Every row is checked first; one bad row and nothing is imported."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from html import unescape

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.placements.models import ChangeRecord, Placement, Track
from lti_app.roster.models import Course
from lti_app.schools.models import Mentor, School
from tests import factories
from tests.functional.test_placements import (
    BASE,
    Course_,
    count,
    follow,
    form_on,
    launched_course,
    new_browser,
    person,
    test_session,
    text_of,
)
from tests.launching import Page, launch
from tests.lms import TestLMS

HEADER = (
    "student;instellingsnummer;school;city;mentor_name;mentor_email;mentor_subject;"
    "mentor2_name;mentor2_email;track;start;end;subjects;planned_hours;lio_appointment;"
    "lio_teaching_hours"
)


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    yield from test_session(app)


@pytest.fixture
def roster(app: Flask, lms: TestLMS, db: Session) -> Course_:
    """The course has a second student (Jonas) who launched, and a student who left."""
    course = launched_course(app, lms)
    launch(new_browser(app), course.lms, person("student-2", "Jonas De Smet"))
    factories.MembershipFactory(
        course=db.get(Course, course.course_id),
        active=False,
        person__name="Mira Claes",
        person__email="mira@example.be",
    )
    factories.SchoolFactory(name="Atheneum Zuid", institution_number="123456", city="Gent")
    factories.MentorFactory(email="koen.maes@atheneum.example", name="Koen Maes")
    db.commit()
    return course


def upload(course: Course_, data: bytes, filename: str = "placements.csv") -> Page:
    page = course.coach.get(BASE + "/placements/import")
    token = form_on(page).fields["csrf_token"]
    return course.coach.post(
        BASE + "/placements/import",
        {"csrf_token": token, "file": (io.BytesIO(data), filename)},  # type: ignore[dict-item]
    )


def problem_rows(page: Page) -> dict[int, str]:
    """The rows of the 'rows to fix' table: line number → what is wrong."""
    table = re.search(r'<table class="problems">(.*?)</table>', page.text, re.S)
    assert table, text_of(page)[:1500]
    rows = {}
    for cells in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S):
        found = [
            unescape(re.sub(r"<[^>]+>", " ", c)) for c in re.findall(r"<td>(.*?)</td>", cells, re.S)
        ]
        if found:
            rows[int(found[0])] = " ".join(" ".join(found[1:]).split())
    return rows


def excel(lines: list[str], *, bom: bool = True, encoding: str = "utf-8") -> bytes:
    text = "\r\n".join(lines) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def test_a_clean_file_from_excel_imports_every_row_in_one_go(roster: Course_, db) -> None:
    data = excel(
        [
            HEADER,
            # by e-mail; a school new to the directory (number + name); two mentors
            "student-1@example.be;030 395;Sint-Jozefscollege;Aalst;Els Van den Broeck;"
            "els@sjc.example;Wiskunde;Jan Smet;jan.smet@sjc.example;stage;1/09/2026;18/12/2026;"
            "Wiskunde;60;;",
            # by LMS user id; a known school by name; a known mentor, in capitals
            "student-2;;atheneum zuid;;Koen Maes;KOEN.MAES@atheneum.example;Elektriciteit;;;"
            "LIO;2026-09-01;2027-06-30;Elektriciteit;500;Leraar TSO 12/22;540",
        ]
    )

    page = follow(roster.coach, upload(roster, data))

    assert page.status == 200
    assert "Imported 2 placements." in text_of(page)
    db.expire_all()
    placements = db.scalars(select(Placement).order_by(Placement.id)).all()
    assert [p.student.name for p in placements] == ["Lotte Janssens", "Jonas De Smet"]
    first, second = placements
    assert first.school.name == "Sint-Jozefscollege"
    assert first.school.institution_number == "030395"
    assert first.start_date.isoformat() == "2026-09-01"
    assert [link.mentor.email for link in first.mentor_links] == [
        "els@sjc.example",
        "jan.smet@sjc.example",
    ]
    assert second.school.name == "Atheneum Zuid"
    assert (second.track, second.lio_teaching_hours) == (Track.LIO, 540)
    assert count(db, Mentor) == 3  # Koen was known: reused
    assert count(db, School) == 2
    assert {p.coach_id for p in placements} == {roster.coach_id}
    actions = db.scalars(select(ChangeRecord.action).where(ChangeRecord.entity == "placement"))
    assert list(actions) == ["imported", "imported"]
    # The pipeline shows them.
    assert "Sint-Jozefscollege" in text_of(page) and "Atheneum Zuid" in text_of(page)


def test_a_comma_separated_file_with_dutch_headings_and_no_bom_imports(roster: Course_, db) -> None:
    data = excel(
        [
            "Student,School,Naam mentor,E-mail mentor,Traject,Begin,Einde",
            'student-1@example.be,"Atheneum Zuid",Sara Peeters,sara@az.example,werkplekleren,'
            "01-09-2026,30-06-2027",
        ],
        bom=False,
    )
    page = follow(roster.coach, upload(roster, data))
    assert "Imported 1 placement." in text_of(page)
    placement = db.scalars(select(Placement)).one()
    assert placement.track == Track.WORKPLACE_LEARNING
    assert placement.end_date.isoformat() == "2027-06-30"


def test_a_file_saved_as_plain_csv_by_excel_on_windows_is_read(roster: Course_, db) -> None:
    data = excel(
        [
            "student;instellingsnummer;school;mentor_name;mentor_email;track",
            "student-1@example.be;777777;Sint-André Brugge;Anaïs Dubois;anais@sab.example;stage",
        ],
        bom=False,
        encoding="cp1252",
    )
    page = follow(roster.coach, upload(roster, data))
    assert "Imported 1 placement." in text_of(page)
    assert db.scalars(select(School.name).where(School.institution_number == "777777")).one() == (
        "Sint-André Brugge"
    )


def test_a_file_with_bad_rows_imports_nothing_and_names_every_bad_row(roster: Course_, db) -> None:
    good = (
        "student-1@example.be;;Atheneum Zuid;;Els;els@az.example;;;;stage;1/09/2026;1/12/2026;;;;"
    )
    data = excel(
        [
            HEADER,
            good,  # line 2: fine on its own
            "nobody@example.be;;Atheneum Zuid;;Els;els@az.example;;;;stage;;;;;;",
            "student-2;;Atheneum Zuid;;Els;els@az.example;;;;holiday;;;;;;",
            "student-2;;Atheneum Zuid;;Els;els@az.example;;;;stage;1/12/2026;1/09/2026;;;;",
            "student-2;;Atheneum Zuid;;Els;els at az;;;;stage;;;;;;",
            "student-2;;Atheneum Zuid;;Els;els@az.example;;;;lio;;;;;;",
            "student-2;;Lyceum Nergens;;Els;els@az.example;;;;stage;;;;;;",
            good,  # line 9: the same student and school as line 2
            "mira@example.be;;Atheneum Zuid;;Els;els@az.example;;;;stage;;;;;;",
            "student-2;;Atheneum Zuid;;Els;els@az.example;;;;stage;31/02/2026;;;sixty;;",
            "",  # blank lines are skipped, not errors
        ]
    )

    page = upload(roster, data)

    assert page.status == 422
    shown = text_of(page)
    assert "Nothing was imported" in shown
    assert "9 rows need fixing." in shown and "1 row is fine." in shown
    rows = problem_rows(page)
    assert sorted(rows) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "No student of this course has e-mail address nobody@example.be." in rows[3]
    assert "Track “holiday” is not stage, werkplekleren or lio." in rows[4]
    assert "The end date is before the start date." in rows[5]
    assert "“els at az” is not an e-mail address." in rows[6]
    assert "A LIO-baan needs the appointment (ambt and school)." in rows[7]
    assert "A LIO-baan needs the teaching hours per year." in rows[7]
    assert "No school called “Lyceum Nergens” in the directory" in rows[8]
    assert "Same student and school as line 2." in rows[9]
    assert "Mira Claes has left the course." in rows[10]
    assert "“31/02/2026” is not a date (like 1/09/2026)." in rows[11]
    assert "“sixty” is not a whole number." in rows[11]
    assert count(db, Placement) == 0
    assert count(db, ChangeRecord) == 0
    assert count(db, School) == 1 and count(db, Mentor) == 1


def test_a_row_for_a_student_already_placed_at_that_school_is_refused(roster: Course_, db) -> None:
    from lti_app.roster.models import Person as RosterPerson

    school = db.scalars(select(School)).one()
    factories.PlacementFactory(
        course=db.get(Course, roster.course_id),
        student=db.get(RosterPerson, roster.student_id),
        school=school,
    )
    db.commit()
    data = excel([HEADER, "student-1@example.be;123456;;;Els;els@az.example;;;;stage;;;;;;"])
    rows = problem_rows(upload(roster, data))
    assert rows == {2: "student-1@example.be This student already has a placement at this school."}
    assert count(db, Placement) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (
            excel(["student;school;mentor_name;track", "student-1@example.be;X;Els;stage"]),
            "Missing: mentor_email.",
        ),
        (excel([HEADER]), "The file names its columns but has no rows below them."),
        (b"\x81\x8d\x8f\x90\x9d", "Save the file as “CSV UTF-8” and upload it again."),
    ],
    ids=["empty", "missing-column", "no-rows", "not-text"],
)
def test_a_file_that_cannot_be_used_says_why(
    roster: Course_, db, data: bytes, message: str
) -> None:
    page = upload(roster, data)
    assert page.status == 422
    assert "Nothing was imported" in text_of(page)
    assert message in text_of(page)
    assert count(db, Placement) == 0


def test_uploading_no_file_asks_for_one(roster: Course_) -> None:
    page = roster.coach.get(BASE + "/placements/import")
    response = roster.coach.post(
        BASE + "/placements/import", {"csrf_token": form_on(page).fields["csrf_token"]}
    )
    assert response.status == 422
    assert "Choose the CSV file to import." in text_of(response)


def test_the_page_documents_the_columns_and_offers_an_example(roster: Course_) -> None:
    page = text_of(roster.coach.get(BASE + "/placements/import"))
    for column in ("student", "instellingsnummer", "mentor_email", "track", "lio_teaching_hours"):
        assert column in page
    example = roster.coach.client.get("/placements/import/example.csv")
    assert example.status_code == 200
    assert example.mimetype == "text/csv"
    assert "attachment" in example.headers["Content-Disposition"]
    body = example.data
    assert body.startswith(b"\xef\xbb\xbf")  # Excel opens UTF-8 only with a BOM
    header = body[3:].decode().splitlines()[0].split(";")
    assert header[:6] == [
        "student",
        "instellingsnummer",
        "school",
        "city",
        "mentor_name",
        "mentor_email",
    ]


def test_a_student_may_not_import(roster: Course_) -> None:
    assert roster.student.get(BASE + "/placements/import").status == 403
    assert roster.student.get(BASE + "/placements/import/example.csv").status == 403
