"""CSV import of a whole course's placements. Every row is checked before anything is written:
a file with one bad row imports nothing and names every bad row with its line and reason.
Reading the file itself (columns, rows, encodings) is in csv_file.py.

Files come from Excel as Flemish colleges have it: ``;``-separated (``,`` is accepted too),
UTF-8 with or without a BOM ("CSV UTF-8"); plain "CSV" from Excel on Windows is Windows-1252,
which is read as such. Dates as Excel writes them here (1/09/2026) or ISO (2026-09-01).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lti_app.placements import service
from lti_app.placements.csv_file import NUMBERS, TRACKS, read_rows
from lti_app.placements.forms import parse_day
from lti_app.placements.models import Placement
from lti_app.roster.models import Course, Membership, Person, Role
from lti_app.schools.mentors import MentorDetails, is_email, normalise_email
from lti_app.schools.models import School
from lti_app.schools.service import SchoolDetails, create_school, normalise_institution_number


@dataclass
class RowProblem:
    line: int
    student: str
    reasons: list[str]


@dataclass
class CheckedRow:
    line: int
    student_id: int
    school: School | None
    new_school: SchoolDetails | None
    values: dict[str, Any]
    mentors: list[MentorDetails]


@dataclass
class CheckedFile:
    rows: list[CheckedRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems and bool(self.rows)


@dataclass
class _Known:
    """What the checks look up, loaded once for the whole file."""

    students_by_email: dict[str, list[tuple[Person, bool]]]
    students_by_sub: dict[str, list[tuple[Person, bool]]]
    schools_by_number: dict[str, School]
    schools_by_name: dict[str, list[School]]
    placed: set[tuple[int, int]]  # (student, school) pairs already placed in this course


def _college_of_course(session: Session, course_id: int) -> int:
    course = session.get(Course, course_id)
    assert course is not None
    return course.platform.college_id


def _load(session: Session, course_id: int, cells: Sequence[dict[str, str]]) -> _Known:
    known = _Known({}, {}, {}, {}, set())
    for active, person in session.execute(
        select(Membership.active, Person)
        .join(Person, Membership.person_id == Person.id)
        .where(Membership.course_id == course_id, Membership.role == Role.STUDENT)
    ):
        if person.email:
            known.students_by_email.setdefault(person.email.lower(), []).append((person, active))
        known.students_by_sub.setdefault(person.sub, []).append((person, active))
    numbers = {n for c in cells if (n := normalise_institution_number(c.get("instellingsnummer")))}
    names = {c["school"].strip().lower() for c in cells if c.get("school", "").strip()}
    if numbers or names:
        for school in session.scalars(
            select(School).where(
                School.college_id == _college_of_course(session, course_id),
                or_(School.institution_number.in_(numbers), func.lower(School.name).in_(names)),
            )
        ):
            if school.institution_number:
                known.schools_by_number[school.institution_number] = school
            known.schools_by_name.setdefault(school.name.lower(), []).append(school)
    known.placed = {
        (student_id, school_id)
        for student_id, school_id in session.execute(
            select(Placement.student_id, Placement.school_id).where(
                Placement.course_id == course_id
            )
        )
    }
    return known


def check(session: Session, course_id: int, data: bytes) -> CheckedFile:
    """Read and check every row; nothing is written.

    :raise CsvFileError: the file as a whole cannot be used.
    """
    positions, ignored, raw_rows = read_rows(data)
    cells = [
        (
            line,
            {key: (record[i].strip() if i < len(record) else "") for key, i in positions.items()},
        )
        for line, record in raw_rows
    ]
    known = _load(session, course_id, [c for _line, c in cells])
    result = CheckedFile(ignored_columns=ignored)
    seen: dict[tuple[int, str], int] = {}
    for line, row in cells:
        reasons: list[str] = []
        checked = _check_row(line, row, known, reasons, seen)
        if reasons:
            result.problems.append(RowProblem(line, row.get("student", ""), reasons))
        elif checked is not None:
            result.rows.append(checked)
    return result


def _check_row(
    line: int,
    row: dict[str, str],
    known: _Known,
    reasons: list[str],
    seen: dict[tuple[int, str], int],
) -> CheckedRow | None:
    student_id = _student(row.get("student", ""), known, reasons)
    school, new_school, school_key = _school(row, known, reasons)
    mentors = _mentors(row, reasons)

    track = TRACKS.get(row.get("track", "").strip().lower())
    if track is None:
        reasons.append(
            _("Track “%(value)s” is not stage, werkplekleren or lio.", value=row.get("track", ""))
        )
    values: dict[str, Any] = {"track": track}
    for column, key in (("start", "start_date"), ("end", "end_date")):
        try:
            values[key] = parse_day(row.get(column, ""))
        except ValueError:
            values[key] = None
            reasons.append(
                _("“%(value)s” is not a date (like 1/09/2026).", value=row.get(column, ""))
            )
    problem = service.period_problem(values["start_date"], values["end_date"])
    if problem:
        reasons.append(str(problem))
    not_numbers = set()
    for column, key in (*NUMBERS.items(), ("lio_teaching_hours", "lio_teaching_hours")):
        raw = row.get(column, "")
        number = raw.isascii() and raw.isdigit()
        values[key] = int(raw) if number else None if key == "lio_teaching_hours" else 0
        if raw and not number:
            not_numbers.add(key)
            reasons.append(_("“%(value)s” is not a whole number.", value=raw))
    values["lio_appointment"] = row.get("lio_appointment", "")[:200]
    lio = service.lio_problems(track, values["lio_appointment"], values["lio_teaching_hours"])
    reasons.extend(str(text) for key, text in lio.items() if key not in not_numbers)
    values["subjects"] = row.get("subjects", "")[:300]
    values["grade_levels"] = row.get("grade_levels", "")[:200]
    values["insurance_reference"] = row.get("insurance_reference", "")[:100]

    if student_id is not None and school_key:
        if school is not None and (student_id, school.id) in known.placed:
            reasons.append(_("This student already has a placement at this school."))
        earlier = seen.get((student_id, school_key))
        if earlier is not None:
            reasons.append(_("Same student and school as line %(line)d.", line=earlier))
        else:
            seen[(student_id, school_key)] = line
    if reasons or student_id is None:
        return None
    return CheckedRow(line, student_id, school, new_school, values, mentors)


def _student(value: str, known: _Known, reasons: list[str]) -> int | None:
    if not value:
        reasons.append(_("The student is missing."))
        return None
    if "@" in value:
        found = known.students_by_email.get(value.lower(), [])
        unknown = _("No student of this course has e-mail address %(value)s.", value=value)
    else:
        found = known.students_by_sub.get(value, [])
        unknown = _("No student of this course has LMS user id %(value)s.", value=value)
    if not found:
        reasons.append(unknown)
        return None
    if len(found) > 1:
        reasons.append(_("Several students have %(value)s; use the LMS user id.", value=value))
        return None
    person, active = found[0]
    if not active:
        reasons.append(_("%(name)s has left the course.", name=person.display_name))
        return None
    return person.id


def _school(
    row: dict[str, str], known: _Known, reasons: list[str]
) -> tuple[School | None, SchoolDetails | None, str]:
    """The known school, or the details of a new one, and a key for spotting duplicate rows."""
    raw_number = row.get("instellingsnummer", "")
    number = normalise_institution_number(raw_number)
    name = row.get("school", "").strip()
    if number is not None:
        if not number.isdigit():
            reasons.append(_("Instellingsnummer “%(value)s” is not a number.", value=raw_number))
            return None, None, ""
        school = known.schools_by_number.get(number)
        if school is not None:
            return school, None, f"id:{school.id}"
        if not name:
            reasons.append(
                _(
                    "No school has instellingsnummer %(number)s yet; add the school's name to create it.",
                    number=number,
                )
            )
            return None, None, ""
        details = SchoolDetails(
            name=name[:300], institution_number=number, city=row.get("city", "")[:120]
        )
        return None, details, f"number:{number}"
    if not name:
        reasons.append(_("The school is missing: give its instellingsnummer or name."))
        return None, None, ""
    schools = known.schools_by_name.get(name.lower(), [])
    if not schools:
        reasons.append(
            _(
                "No school called “%(name)s” in the directory; add its instellingsnummer to create it.",
                name=name,
            )
        )
        return None, None, ""
    if len(schools) > 1:
        reasons.append(
            _("Several schools are called “%(name)s”; use the instellingsnummer.", name=name)
        )
        return None, None, ""
    return schools[0], None, f"id:{schools[0].id}"


def _mentors(row: dict[str, str], reasons: list[str]) -> list[MentorDetails]:
    mentors = []
    for prefix, required in (("mentor", True), ("mentor2", False)):
        name, email = row.get(f"{prefix}_name", ""), row.get(f"{prefix}_email", "")
        subject = row.get(f"{prefix}_subject", "")
        if not (name or email or subject) and not required:
            continue
        if not email:
            reasons.append(_("The mentor's e-mail address is missing."))
        elif not is_email(email):
            reasons.append(_("“%(value)s” is not an e-mail address.", value=email))
        if not name:
            reasons.append(_("The mentor's name is missing."))
        if email and name and is_email(email):
            mentors.append(MentorDetails(email=email, name=name, subject=subject))
    if len({normalise_email(m.email) for m in mentors}) < len(mentors):
        reasons.append(_("The same mentor is listed twice."))
    return mentors


def import_checked(
    session: Session, course_id: int, checked: CheckedFile, actor: Person
) -> list[Placement]:
    """Write every checked row: new schools, mentors (reused by e-mail), placements, each with
    its change record. The caller commits once, so the file goes in whole or not at all."""
    new_schools: dict[str, School] = {}
    placements = []
    for row in checked.rows:
        school = row.school
        if school is None:
            assert row.new_school is not None and row.new_school.institution_number
            number = row.new_school.institution_number
            school = new_schools.get(number)
            if school is None:
                school = new_schools[number] = create_school(
                    session, _college_of_course(session, course_id), row.new_school
                )
        placements.append(
            service.create_placement(
                session,
                course_id=course_id,
                student_id=row.student_id,
                values={**row.values, "school_id": school.id},
                mentors=row.mentors,
                actor=actor,
                action="imported",
            )
        )
    return placements
