"""The agreement's forms: what is filled in per placement, signing, reasons, addenda, the
verification page and the coordinator's template editor."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from lti_app.agreements.defaults import DEFAULT_ORDER, ORDERS, SECTION_TITLES, parse_order
from lti_app.agreements.text import FIELD_LABELS, FIELD_LIMIT, order_text
from lti_app.core.input import one_line

REASON_LIMIT = 2000
ADDENDUM_LIMIT = 8000
CLAUSES_LIMIT = 20000


class ButtonForm(FlaskForm):
    """A form that is only a button: its CSRF token is all it carries."""


class CreateForm(FlaskForm):
    template_id = SelectField(_l("Template"), coerce=int)


class FieldsForm(FlaskForm):
    revision = IntegerField(widget=HiddenInput(), validators=[Optional()])
    schedule = TextAreaField(FIELD_LABELS["schedule"], validators=[Length(max=FIELD_LIMIT)])
    learning_goals = TextAreaField(
        FIELD_LABELS["learning_goals"], validators=[Length(max=FIELD_LIMIT)]
    )
    arrangements = TextAreaField(FIELD_LABELS["arrangements"], validators=[Length(max=FIELD_LIMIT)])

    def values(self) -> dict[str, str]:
        return {key: getattr(self, key).data or "" for key in FIELD_LABELS}


class SignForm(FlaskForm):
    sha256 = HiddenField(validators=[InputRequired()])
    agree = BooleanField(
        _l("I have read this text and agree to it."),
        validators=[InputRequired(message=_l("Tick the box to say you read and agree."))],
    )


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            InputRequired(message=_l("Say why, for the student, the school and the college.")),
            Length(max=REASON_LIMIT),
        ],
    )


class AddendumForm(FlaskForm):
    title = StringField(
        _l("What changes (title)"),
        validators=[InputRequired(message=_l("Give the addendum a title.")), Length(max=300)],
    )
    body = TextAreaField(
        _l("The new arrangement"),
        validators=[
            InputRequired(message=_l("Write what changes.")),
            Length(max=ADDENDUM_LIMIT),
        ],
    )


class VerifyForm(FlaskForm):
    digest = StringField(_l("SHA-256 printed on the document"), validators=[Optional()])
    file = FileField(_l("Or the PDF itself"))

    def validate_digest(self, field: Any) -> None:
        value = (field.data or "").strip().lower()
        if value and (len(value) != 64 or any(c not in "0123456789abcdef" for c in value)):
            raise ValidationError(
                _l("A SHA-256 is 64 characters, 0–9 and a–f. Copy it from the document.")
            )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not (self.digest.data or "").strip() and not self.file.data:
            self.form_errors.append(_l("Enter the SHA-256 or choose the PDF."))
            return False
        return ok


def order_choices() -> list[SelectChoice]:
    return [SelectChoice(key, order_text(parse_order(key))) for key in ORDERS]


class TemplateForm(FlaskForm):
    """The coordinator's editor: one title and one box of clauses (one per line) per chapter.

    Chapter fields are added per section key: ``title_<key>`` and ``clauses_<key>``.
    """

    programme = StringField(
        _l("Programme"),
        validators=[InputRequired(message=_l("Name the programme.")), Length(max=200), one_line],
    )
    language = SelectField(
        _l("Language of the agreement"),
        choices=[SelectChoice("nl", "Nederlands"), SelectChoice("en", "English")],
        default="nl",
    )
    college_name = StringField(_l("Name of the college"), validators=[Length(max=300), one_line])
    signing_order = SelectField(_l("Signing order"), default=DEFAULT_ORDER)

    def sections(self) -> list[dict[str, Any]]:
        result = []
        for key in SECTION_TITLES:
            clauses = getattr(self, f"clauses_{key}").data or ""
            result.append(
                {
                    "key": key,
                    "title": (getattr(self, f"title_{key}").data or "").strip(),
                    "clauses": [line.strip() for line in clauses.splitlines() if line.strip()],
                }
            )
        return result


for _key, _title in SECTION_TITLES.items():
    setattr(
        TemplateForm,
        f"title_{_key}",
        StringField(
            _l("Title"),
            validators=[InputRequired(message=_l("Give the chapter a title.")), Length(max=200)],
        ),
    )
    setattr(
        TemplateForm,
        f"clauses_{_key}",
        TextAreaField(_l("Clauses, one per line"), validators=[Length(max=CLAUSES_LIMIT)]),
    )


def template_data(template: Any) -> dict[str, Any]:
    """A template's contents as the editor's form data."""
    from lti_app.agreements.defaults import order_key

    data: dict[str, Any] = {
        "programme": template.programme.name,
        "language": template.language,
        "college_name": template.college_name,
        "signing_order": order_key(template.signing_order),
    }
    for section in template.sections:
        data[f"title_{section['key']}"] = section.get("title", "")
        data[f"clauses_{section['key']}"] = "\n".join(section.get("clauses") or [])
    return data
