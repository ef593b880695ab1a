"""Reading the CSV file of a course's placements: its columns (with the names people give them),
its rows, and the example file. What the rows mean is checked in csv_import.py.

Files come from Excel as Flemish colleges have it: ``;``-separated (``,`` is accepted too),
UTF-8 with or without a BOM ("CSV UTF-8"); plain "CSV" from Excel on Windows is Windows-1252,
which is read as such. Dates as Excel writes them here (1/09/2026) or ISO (2026-09-01).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lti_app.placements.models import Track

MAX_ROWS = 5000


@dataclass(frozen=True)
class Column:
    key: str
    aliases: tuple[str, ...]
    required: bool
    description: Any
    examples: tuple[str, str]


COLUMNS = (
    Column(
        "student",
        ("student", "student_email", "e_mail_student", "lms_user_id", "user_id"),
        True,
        _l("The student's e-mail address or LMS user id. The student must be in this course."),
        ("lotte.janssens@student.example", "s0123456"),
    ),
    Column(
        "instellingsnummer",
        ("instellingsnummer", "institution_number", "school_number"),
        False,
        _l(
            "The school's instellingsnummer. A number Driehoek does not know yet adds the school "
            "to the directory, with the name and municipality of this row."
        ),
        ("030395", ""),
    ),
    Column(
        "school",
        ("school", "school_name", "schoolnaam", "naam_school"),
        False,
        _l(
            "The school's name, exactly as in the schools directory. Give the name or the "
            "instellingsnummer (or both)."
        ),
        ("Sint-Jozefscollege", "Atheneum Zuid"),
    ),
    Column(
        "city",
        ("city", "municipality", "gemeente", "plaats"),
        False,
        _l("The school's municipality, for a school new to the directory."),
        ("Aalst", "Gent"),
    ),
    Column(
        "mentor_name",
        ("mentor_name", "mentor", "naam_mentor", "mentornaam"),
        True,
        _l("The mentor's name."),
        ("Els Van den Broeck", "Koen Maes"),
    ),
    Column(
        "mentor_email",
        ("mentor_email", "e_mail_mentor", "mentor_e_mail"),
        True,
        _l("The mentor's e-mail address; the invitation goes there."),
        ("els.vandenbroeck@school.example", "koen.maes@school.example"),
    ),
    Column(
        "mentor_subject",
        ("mentor_subject", "vak_mentor"),
        False,
        _l("The mentor's subject."),
        ("Wiskunde", "Elektriciteit"),
    ),
    Column(
        "mentor2_name",
        ("mentor2_name", "mentor_2_name", "naam_mentor_2"),
        False,
        _l("A second mentor (optional): name, e-mail address and subject in three columns."),
        ("", ""),
    ),
    Column(
        "mentor2_email", ("mentor2_email", "mentor_2_email", "e_mail_mentor_2"), False, "", ("", "")
    ),
    Column(
        "mentor2_subject",
        ("mentor2_subject", "mentor_2_subject", "vak_mentor_2"),
        False,
        "",
        ("", ""),
    ),
    Column(
        "track",
        ("track", "traject"),
        True,
        _l("stage, werkplekleren or lio."),
        ("stage", "lio"),
    ),
    Column(
        "start",
        ("start", "start_date", "begin", "startdatum"),
        False,
        _l("First day, e.g. 1/09/2026 or 2026-09-01."),
        ("1/09/2026", "1/09/2026"),
    ),
    Column(
        "end",
        ("end", "end_date", "einde", "einddatum"),
        False,
        _l("Last day, on or after the first."),
        ("20/12/2026", "30/06/2027"),
    ),
    Column(
        "subjects",
        ("subjects", "vakken", "onderwijsvakken"),
        False,
        _l("The subjects the student teaches."),
        ("Wiskunde", "Elektriciteit"),
    ),
    Column(
        "grade_levels",
        ("grade_levels", "graad", "graden", "klassen"),
        False,
        _l("Grades and classes."),
        ("2de graad", "3de graad"),
    ),
    Column(
        "observation_hours",
        ("observation_hours", "observatie_uren"),
        False,
        _l("Planned observation hours (a whole number)."),
        ("10", ""),
    ),
    Column(
        "co_teaching_hours",
        ("co_teaching_hours", "co_teaching_uren"),
        False,
        _l("Planned co-teaching hours."),
        ("10", ""),
    ),
    Column(
        "own_lessons",
        ("own_lessons", "eigen_lessen"),
        False,
        _l("Planned own lessons."),
        ("20", ""),
    ),
    Column(
        "planned_hours",
        ("planned_hours", "total_hours", "uren"),
        False,
        _l("Planned hours in total."),
        ("60", "500"),
    ),
    Column(
        "lio_appointment",
        ("lio_appointment", "ambt"),
        False,
        _l("For a LIO-baan (required there): the appointment."),
        ("", "Leraar TSO, 12/22"),
    ),
    Column(
        "lio_teaching_hours",
        ("lio_teaching_hours", "uren_leraar"),
        False,
        _l("For a LIO-baan (required there): teaching hours per year."),
        ("", "540"),
    ),
    Column(
        "insurance_reference",
        ("insurance_reference", "verzekering"),
        False,
        _l("The insurance reference."),
        ("POL-2026-118", ""),
    ),
)
TRACKS = {
    "stage": Track.STAGE,
    "internship": Track.STAGE,
    "werkplekleren": Track.WORKPLACE_LEARNING,
    "wpl": Track.WORKPLACE_LEARNING,
    "workplace learning": Track.WORKPLACE_LEARNING,
    "workplace_learning": Track.WORKPLACE_LEARNING,
    "lio": Track.LIO,
    "lio-baan": Track.LIO,
    "lio baan": Track.LIO,
}
NUMBERS = {
    "observation_hours": "planned_observation_hours",
    "co_teaching_hours": "planned_co_teaching_hours",
    "own_lessons": "planned_own_lessons",
    "planned_hours": "planned_hours",
}


class CsvFileError(ValueError):
    """The file as a whole cannot be read; ``str()`` says why, for the coach."""


def _key(header: str) -> str:
    return re.sub(r"[\s\-.]+", "_", header.strip().lstrip("\ufeff").lower()).strip("_")


ALIASES = {_key(alias): column.key for column in COLUMNS for alias in column.aliases}


def decode(data: bytes) -> str:
    """:raise CsvFileError: neither UTF-8 nor Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise CsvFileError(_("Save the file as “CSV UTF-8” and upload it again.")) from exc


def read_rows(data: bytes) -> tuple[dict[str, int], list[str], list[tuple[int, list[str]]]]:
    """The column positions by key, the columns ignored, and the non-empty data rows with
    their line numbers (the header is line 1, as Excel numbers rows).

    :raise CsvFileError: the file is empty, unreadable, or lacks required columns.
    """
    text = decode(data)
    if not text.strip():
        raise CsvFileError(_("The file is empty."))
    first = next(line for line in text.splitlines() if line.strip())
    delimiter = max(";,\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = record
                continue
            rows.append((reader.line_num, record))
            if len(rows) > MAX_ROWS:
                raise CsvFileError(_("At most %(max)d rows per file.", max=MAX_ROWS))
    except csv.Error as exc:
        raise CsvFileError(
            _("Line %(line)d cannot be read: %(error)s", line=reader.line_num, error=str(exc))
        ) from exc
    assert header is not None
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, name in enumerate(header):
        key = ALIASES.get(_key(name))
        if key is None or key in positions:
            if name.strip():
                ignored.append(name.strip())
            continue
        positions[key] = index
    missing = [c.key for c in COLUMNS if c.required and c.key not in positions]
    if "school" not in positions and "instellingsnummer" not in positions:
        missing.append("school / instellingsnummer")
    if missing:
        raise CsvFileError(
            _(
                "The first line must name the columns. Missing: %(missing)s. Found: %(found)s.",
                missing=", ".join(missing),
                found=", ".join(h.strip() for h in header if h.strip()) or "—",
            )
        )
    if not rows:
        raise CsvFileError(_("The file names its columns but has no rows below them."))
    return positions, ignored, rows


def example_csv() -> bytes:
    """The example file offered on the import page: UTF-8 with a BOM and ``;``, so Excel in
    Flanders opens it as columns."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.key for c in COLUMNS])
    for i in range(2):
        writer.writerow([c.examples[i] for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
