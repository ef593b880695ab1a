"""The hours log's forms: a day or lesson as the student types it (minutes, hours or a time like
1:30), and the mentor's week approval and rejection."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from lti_app.hours import service
from lti_app.hours.models import HourEntry, HourKind

KIND_LABELS = {
    HourKind.OBSERVATION: _l("Observation"),
    HourKind.CO_TEACHING: _l("Co-teaching"),
    HourKind.OWN_LESSON: _l("Own lesson"),
    HourKind.OTHER: _l("Other"),
}

# -- forms --------------------------------------------------------------------------------------

_CLOCK = re.compile(r"^(\d{1,2})[:u.h](\d{2})$")


def parse_minutes(amount: str, unit: str) -> int:
    """ "50" minutes, "1,5" or "1.5" hours, or "1:30" / "1u30" whatever the unit.

    :raise ValueError: not a duration.
    """
    text = amount.strip().lower().replace(" ", "")
    clock = _CLOCK.match(text)
    if clock:
        hours, minutes = int(clock.group(1)), int(clock.group(2))
        if minutes >= 60:
            raise ValueError(amount)
        return hours * 60 + minutes
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise ValueError(amount) from None
    if not value.is_finite():
        raise ValueError(amount)
    minutes_value = value * 60 if unit == "hours" else value
    return int(minutes_value.to_integral_value())


class HourEntryForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter the date."))])
    kind = RadioField(
        _l("What did you do?"),
        choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
        validators=[InputRequired(message=_l("Choose what you did."))],
    )
    amount = StringField(
        _l("How long?"), validators=[InputRequired(message=_l("Enter how long it took."))]
    )
    unit = SelectField(
        _l("Unit"),
        choices=[SelectChoice("minutes", _l("minutes")), SelectChoice("hours", _l("hours"))],
        default="minutes",
    )
    note = TextAreaField(
        _l("Note (optional)"),
        validators=[Optional(), Length(max=service.MAX_NOTE_LENGTH)],
    )

    def validate_amount(self, field: Any) -> None:
        try:
            self.minutes = parse_minutes(field.data or "", self.unit.data or "minutes")
        except ValueError:
            raise ValidationError(
                _l("Enter a number, like 50 (minutes) or 1,5 (hours), or a time like 1:30.")
            ) from None

    def to_input(self) -> service.HourInput:
        assert self.day.data is not None
        return service.HourInput(
            day=self.day.data,
            kind=HourKind(self.kind.data),
            minutes=self.minutes,
            note=self.note.data or "",
        )

    def fill_from(self, entry: HourEntry) -> None:
        self.day.data = entry.day
        self.kind.data = entry.kind.value
        self.amount.data = str(entry.minutes)
        self.unit.data = "minutes"
        self.note.data = entry.note


class ButtonForm(FlaskForm):
    """Only a button (and its CSRF token)."""


class ApproveWeekForm(FlaskForm):
    week = DateField(validators=[InputRequired()])
    entries = HiddenField(validators=[InputRequired()])
    seen_at = HiddenField(validators=[InputRequired()])


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is this entry not right?"),
        validators=[
            InputRequired(message=_l("Tell the student why, so they can correct it.")),
            Length(max=service.MAX_REASON_LENGTH),
        ],
    )
