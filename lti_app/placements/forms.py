"""The forms of placements: validated here, at the edge, with messages that say
what to fix. A form that fails keeps everything typed (the page is rendered from the POST)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, ValidationError

from lti_app import db
from lti_app.core.input import one_line, text_file
from lti_app.placements import service
from lti_app.placements.models import Track
from lti_app.schools.forms import SchoolFields, email_format
from lti_app.schools.mentors import MentorDetails, normalise_email
from lti_app.schools.service import get_school
from lti_app.security import current_college_id

MAX_MENTORS = 5
NO_SCHOOL, NEW_SCHOOL = -1, 0  # the school select's first two options
TRACK_CHOICES = [
    SelectChoice(Track.STAGE.value, _l("Internship (stage)")),
    SelectChoice(Track.WORKPLACE_LEARNING.value, _l("Workplace learning (werkplekleren)")),
    SelectChoice(Track.LIO.value, _l("LIO-baan (paid trainee-teacher job)")),
]
_DAY = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\s*$")


def parse_day(raw: str) -> date | None:
    """A date as people type it in Flanders (1/09/2026, 01-09-26, 1.9.2026) or ISO (2026-09-01).

    :raise ValueError: not a date.
    """
    text = raw.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    match = _DAY.match(text)
    if not match:
        raise ValueError(text)
    day, month, year = (int(g) for g in match.groups())
    return date(year + 2000 if year < 100 else year, month, day)


class DayField(DateField):
    """A date from ``<input type=date>`` (ISO) or typed by hand (dd/mm/yyyy); blank is none."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        try:
            self.data = parse_day(str(valuelist[0]))
        except ValueError as exc:
            self.data = None
            raise ValueError(_l("Enter a date like 01/09/2026.")) from exc


class WholeNumberField(IntegerField):
    """A count of hours or lessons: blank is none, otherwise a whole number from 0."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = str(valuelist[0]).strip()
        if not raw:
            self.data = None
            return
        try:
            self.data = int(raw)
        except ValueError as exc:
            self.data = None
            raise ValueError(_l("Enter a whole number, e.g. 12.")) from exc
        if self.data < 0 or self.data > 100_000:
            raise ValueError(_l("Enter a number from 0 to 100000."))


# -- placements ---------------------------------------------------------------------------------


class MentorFields(Form):
    name = StringField(_l("Mentor's name"), [Length(max=300), one_line])
    email = StringField(_l("Mentor's e-mail"), [Length(max=320)])
    subject = StringField(_l("Subject"), [Length(max=200)])

    def validate_email(self, field: Any) -> None:
        if not (field.data or "").strip() and (self.name.data or self.subject.data):
            raise ValidationError(
                _l("Give the mentor's e-mail address: the invitation goes there.")
            )
        email_format(field)

    def validate_name(self, field: Any) -> None:
        if (self.email.data or "").strip() and not (field.data or "").strip():
            raise ValidationError(_l("Give the mentor's name."))

    @property
    def filled(self) -> bool:
        return bool((self.email.data or "").strip())


class PlacementFields(FlaskForm):
    """What a student proposes and a coach sets: school, mentors, track, period, subjects."""

    school_search = StringField(_l("Find a school"))
    school_id = SelectField(_l("School"), coerce=int, validate_choice=False, default=NO_SCHOOL)
    new_school = FormField(SchoolFields)
    mentors = FieldList(FormField(MentorFields), min_entries=1, max_entries=MAX_MENTORS)
    track = RadioField(
        _l("Track"),
        choices=TRACK_CHOICES,
        validators=[InputRequired(message=_l("Choose the track."))],
    )
    start_date = DayField(_l("First day"))
    end_date = DayField(_l("Last day"))
    subjects = StringField(_l("Subjects"), [Length(max=300)])
    grade_levels = StringField(_l("Grades and classes"), [Length(max=200)])
    lio_appointment = StringField(_l("Appointment (ambt and school)"), [Length(max=200)])
    lio_teaching_hours = WholeNumberField(_l("Teaching hours per year (uren-leraar)"))

    STUDENT_KEYS = (
        "track",
        "start_date",
        "end_date",
        "subjects",
        "grade_levels",
        "lio_appointment",
        "lio_teaching_hours",
    )

    def validate_school_id(self, field: Any) -> None:
        if field.data == NO_SCHOOL and (self.new_school.form.name.data or "").strip():
            field.data = NEW_SCHOOL  # typed a new school without choosing "a new school"
        if field.data == NO_SCHOOL:
            raise ValidationError(_l("Choose the school, or fill in a new school below."))
        college_id = current_college_id() or -1
        if field.data != NEW_SCHOOL and get_school(db.session(), field.data, college_id) is None:
            raise ValidationError(_l("This school no longer exists. Choose another one."))

    def validate_end_date(self, field: Any) -> None:
        problem = service.period_problem(self.start_date.data, field.data)
        if problem:
            raise ValidationError(problem)

    def validate_lio_appointment(self, field: Any) -> None:
        self._lio_check("lio_appointment")

    def validate_lio_teaching_hours(self, field: Any) -> None:
        self._lio_check("lio_teaching_hours")

    def _lio_check(self, key: str) -> None:
        problems = service.lio_problems(
            self.track.data, self.lio_appointment.data or "", self.lio_teaching_hours.data
        )
        if key in problems:
            raise ValidationError(problems[key])

    def validate_mentors(self, field: Any) -> None:
        filled = [entry.form for entry in field.entries if entry.form.filled]
        if not filled and not any(entry.errors for entry in field.entries):
            raise ValidationError(_l("Add at least one mentor with name and e-mail address."))
        emails = [normalise_email(m.email.data) for m in filled]
        if len(set(emails)) != len(emails):
            raise ValidationError(_l("The same mentor is listed twice."))

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        if self.wants_new_school:  # the new school's fields matter only when it is chosen
            self.new_school.form.require_name()
        else:
            for subfield in self.new_school.form:
                subfield.errors = []
        return not self.errors

    @property
    def wants_new_school(self) -> bool:
        return self.school_id.data == NEW_SCHOOL

    def mentor_details(self) -> list[MentorDetails]:
        return [
            MentorDetails(
                email=entry.form.email.data,
                name=entry.form.name.data or "",
                subject=entry.form.subject.data or "",
            )
            for entry in self.mentors.entries
            if entry.form.filled
        ]

    def values(self, school_id: int) -> dict[str, Any]:
        values = {key: getattr(self, key).data for key in self.STUDENT_KEYS}
        values["track"] = Track(values["track"])
        values["school_id"] = school_id
        for key in ("subjects", "grade_levels", "lio_appointment"):
            values[key] = (values[key] or "").strip()
        return values


class ProposalForm(PlacementFields):
    """A student's proposal: school, mentor, track, period, subjects."""


class PlacementForm(PlacementFields):
    """A coach's placement: everything a student proposes, plus coach, volume, safety."""

    coach_id = SelectField(_l("Coach (stagebegeleider)"), coerce=int)
    planned_observation_hours = WholeNumberField(_l("Observation hours"))
    planned_co_teaching_hours = WholeNumberField(_l("Co-teaching hours"))
    planned_own_lessons = WholeNumberField(_l("Own lessons"))
    planned_hours = WholeNumberField(_l("Total hours"))
    risk_analysis_done = BooleanField(_l("The school's risk analysis is done"))
    workstation_sheet_needed = BooleanField(_l("A workstation sheet (werkpostfiche) is needed"))
    insurance_reference = StringField(_l("Insurance reference"), [Length(max=100)])

    COACH_KEYS = (
        "coach_id",
        "planned_observation_hours",
        "planned_co_teaching_hours",
        "planned_own_lessons",
        "planned_hours",
        "risk_analysis_done",
        "workstation_sheet_needed",
        "insurance_reference",
    )

    def values(self, school_id: int) -> dict[str, Any]:
        values = super().values(school_id)
        for key in self.COACH_KEYS:
            values[key] = getattr(self, key).data
        for key in (
            "planned_observation_hours",
            "planned_co_teaching_hours",
            "planned_own_lessons",
            "planned_hours",
        ):
            values[key] = values[key] or 0
        values["coach_id"] = values["coach_id"] or None
        values["insurance_reference"] = (values["insurance_reference"] or "").strip()
        return values


class NewPlacementForm(PlacementForm):
    student_id = SelectField(_l("Student"), coerce=int, validate_choice=False, default=0)

    def validate_student_id(self, field: Any) -> None:
        if not field.data or all(choice.value != field.data for choice in field.choices or []):
            raise ValidationError(_l("Choose a student of this course."))


class ReturnForm(FlaskForm):
    reason = TextAreaField(
        _l("Why do you return it?"),
        [
            InputRequired(message=_l("Say why you return the proposal: the student reads it.")),
            Length(max=2000),
        ],
    )

    def validate_reason(self, field: Any) -> None:
        if not (field.data or "").strip():
            raise ValidationError(_l("Say why you return the proposal: the student reads it."))


class ApproveForm(FlaskForm):
    """Only the CSRF token: approving needs nothing else."""


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(message=_l("Choose the CSV file to import.")), text_file],
    )
