"""The canonical text of an agreement or addendum: exactly what is signed and hashed.

Plain text, in the template's language whoever reads it, Unicode NFC, one ``\\n`` per line, no
trailing spaces, ending in one newline. Dates and numbers are written out here so the text (and
its SHA-256) never depends on the reader's locale or time zone.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date
from typing import Any

from babel.dates import format_date
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lti_app.agreements.defaults import LIO_SECTION
from lti_app.agreements.models import AgreementTemplate, Party
from lti_app.placements.models import Placement, Track

# What the student and coach fill in per placement, in the order of the text.
FIELD_LABELS: dict[str, Any] = {
    "schedule": _l("Schedule (days and hours at the school)"),
    "learning_goals": _l("Learning goals for this placement"),
    "arrangements": _l("Other arrangements"),
}
FIELD_LIMIT = 4000
PARTY_LABELS: dict[str, Any] = {
    Party.STUDENT.value: _l("student"),
    Party.SCHOOL.value: _l("school"),
    Party.COLLEGE.value: _l("college"),
}
TRACK_NAMES: dict[str, Any] = {
    Track.STAGE.value: _l("stage"),
    Track.WORKPLACE_LEARNING.value: _l("werkplekleren"),
    Track.LIO.value: _l("LIO-baan"),
}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise(text: str) -> str:
    """The one spelling of a text: NFC, LF, no trailing blanks, at most one empty line in a row."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text) + "\n"


def order_text(steps: list[list[str]]) -> str:
    """student › school › college, in the current locale ("and" within a step). The PDF's font
    has no arrows, so the text that is signed has none either."""
    # Not inside an f-string: the message extractor does not look there, and "and" went
    # untranslated ("student and school" on Dutch pages).
    joiner = " " + _("and") + " "
    return " › ".join(joiner.join(str(PARTY_LABELS[p]) for p in step) for step in steps)


def _day(value: date | None, language: str) -> str:
    return format_date(value, "d MMMM yyyy", locale=language) if value else "—"


def _or_dash(value: str | None) -> str:
    return (value or "").strip() or "—"


def _indented(value: str) -> str:
    """A multi-line answer under its label."""
    lines = [line.strip() for line in (value or "").strip().splitlines()]
    return "\n".join(f"  {line}" if line else "" for line in lines) if lines else "  —"


def _parties(placement: Placement, template: AgreementTemplate) -> list[str]:
    student, school, coach = placement.student, placement.school, placement.coach
    address = ", ".join(
        x for x in (school.street, f"{school.postal_code} {school.city}".strip()) if x
    )
    lines = [
        _("Student: %(name)s", name=student.display_name)
        + (f" <{student.email}>" if student.email else ""),
        _("School: %(name)s", name=school.name) + (f", {address}" if address else ""),
    ]
    if school.institution_number:
        lines.append(_("Instellingsnummer: %(number)s", number=school.institution_number))
    contact = ", ".join(x for x in (school.contact_name, school.contact_email or "") if x)
    lines.append(_("Contact person (aanspreekpunt): %(contact)s", contact=_or_dash(contact)))
    mentors = [
        f"{link.mentor.display_name} <{link.mentor.email}>" for link in placement.mentor_links
    ]
    lines.append(_("Mentor: %(names)s", names=_or_dash(", ".join(mentors))))
    if template.college_name.strip():
        lines.append(_("College: %(name)s", name=template.college_name.strip()))
    if coach is not None:
        lines.append(
            _("Coach (stagebegeleider): %(name)s", name=coach.display_name)
            + (f" <{coach.email}>" if coach.email else "")
        )
    lines.append(_("Course: %(title)s", title=_or_dash(placement.course.title)))
    lines.append(_("Track: %(track)s", track=TRACK_NAMES[Track(placement.track).value]))
    return lines


def _practical(placement: Placement, fields: dict[str, str], language: str) -> list[str]:
    p = placement
    period = f"{_day(p.start_date, language)} – {_day(p.end_date, language)}"
    volume = _(
        "%(observation)d h observation, %(co_teaching)d h co-teaching, %(lessons)d own lessons, "
        "%(total)d h in total",
        observation=p.planned_observation_hours,
        co_teaching=p.planned_co_teaching_hours,
        lessons=p.planned_own_lessons,
        total=p.planned_hours,
    )
    yes, no = _("yes"), _("no")
    lines = [
        _("Period: %(period)s", period=period),
        _("Subjects: %(subjects)s", subjects=_or_dash(p.subjects)),
        _("Grades and classes: %(grades)s", grades=_or_dash(p.grade_levels)),
        _("Planned volume: %(volume)s", volume=volume),
        _("Insurance reference: %(reference)s", reference=_or_dash(p.insurance_reference)),
        _(
            "Safety: risk analysis done: %(risk)s; workstation sheet (werkpostfiche) needed: "
            "%(sheet)s",
            risk=yes if p.risk_analysis_done else no,
            sheet=yes if p.workstation_sheet_needed else no,
        ),
    ]
    for key, label in FIELD_LABELS.items():
        lines.append(f"{label}:")
        lines.append(_indented(fields.get(key, "")))
    return lines


def agreement_text(
    *,
    number: int,
    placement: Placement,
    template: AgreementTemplate,
    fields: dict[str, str],
    signing_order: list[list[str]],
) -> str:
    """The agreement of ``placement`` as generated from ``template`` and the filled-in fields."""
    language = template.language
    with force_locale(language):
        out = [
            _("PLACEMENT AGREEMENT").upper(),
            _(
                "Agreement %(number)d · %(programme)s · template version %(version)d",
                number=number,
                programme=template.programme.name,
                version=template.version,
            ),
            "",
            _("Parties"),
            *_parties(placement, template),
        ]
        chapter = 0
        for section in template.sections:
            key = str(section.get("key"))
            if key == LIO_SECTION and placement.track != Track.LIO:
                continue
            chapter += 1
            out += ["", f"{chapter}. {section.get('title', '')}"]
            if key == "school":
                out.append(_("The school, as a workplace:"))
            if key == "practical":
                out += _practical(placement, fields, language)
            if key == LIO_SECTION:
                hours = placement.lio_teaching_hours
                out += [
                    _(
                        "Appointment: %(appointment)s",
                        appointment=_or_dash(placement.lio_appointment),
                    ),
                    _(
                        "Teaching hours per year (uren-leraar): %(hours)s",
                        hours="—" if hours is None else str(hours),
                    ),
                ]
            clauses = [str(c) for c in section.get("clauses") or [] if str(c).strip()]  # type: ignore[attr-defined]
            for i, clause in enumerate(clauses, start=1):
                out.append(f"{chapter}.{i} {clause.strip()}")
        out += ["", _("Signing order: %(order)s", order=order_text(signing_order))]
        return normalise("\n".join(out))


def addendum_text(
    *,
    number: int,
    agreement_number: int,
    agreement_sha256: str,
    placement: Placement,
    template: AgreementTemplate,
    title: str,
    body: str,
    signing_order: list[list[str]],
) -> str:
    """An addendum: what changes, tied to the signed agreement by that text's hash."""
    with force_locale(template.language):
        out = [
            _("ADDENDUM %(number)d TO THE PLACEMENT AGREEMENT", number=number),
            _(
                "To agreement %(number)d, signed text SHA-256 %(hash)s",
                number=agreement_number,
                hash=agreement_sha256,
            ),
            "",
            _("Parties"),
            *_parties(placement, template),
            "",
            title.strip(),
            body.strip(),
            "",
            _("Everything else in the agreement stays as signed."),
            _("Signing order: %(order)s", order=order_text(signing_order)),
        ]
        return normalise("\n".join(out))
