"""The school's form: the schools page edits it; placement forms create a school inline with its
fields. Validated here, at the edge, with messages that say what to fix."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, StringField
from wtforms.validators import Length, ValidationError

from lti_app import db
from lti_app.core.input import one_line
from lti_app.schools import service
from lti_app.schools.mentors import is_email
from lti_app.security import current_college_id


def email_format(field: Any) -> None:
    if field.data and not is_email(field.data):
        raise ValidationError(_l("This is not an e-mail address (like name@school.be)."))


class SchoolFields(Form):
    """A school's details: the school page edits them; placement forms create one inline."""

    name = StringField(_l("Name of the school"), [Length(max=300), one_line])
    institution_number = StringField(_l("Instellingsnummer"), [Length(max=20)])
    street = StringField(_l("Street and number"), [Length(max=300)])
    postal_code = StringField(_l("Postal code"), [Length(max=10)])
    city = StringField(_l("Municipality"), [Length(max=120)])
    contact_name = StringField(_l("Contact person (aanspreekpunt)"), [Length(max=200), one_line])
    contact_email = StringField(_l("Contact person's e-mail"), [Length(max=320)])
    contact_phone = StringField(_l("Contact person's phone"), [Length(max=40)])

    # The school being edited; its own instellingsnummer is not a duplicate.
    school_id: int | None = None

    def validate_institution_number(self, field: Any) -> None:
        number = service.normalise_institution_number(field.data)
        if number is None:
            return
        if not number.isdigit():
            raise ValidationError(_l("An instellingsnummer has digits only, e.g. 030395."))
        existing = service.school_with_number(db.session(), current_college_id() or -1, number)
        if existing is not None and existing.id != self.school_id:
            raise ValidationError(
                _l(
                    "%(name)s already has instellingsnummer %(number)s.",
                    name=existing.name,
                    number=number,
                )
            )

    def validate_contact_email(self, field: Any) -> None:
        email_format(field)

    def require_name(self) -> bool:
        if self.name.data and self.name.data.strip():
            return True
        self.name.errors = [*self.name.errors, _l("Give the name of the school.")]
        return False

    def details(self) -> service.SchoolDetails:
        return service.SchoolDetails(
            name=self.name.data or "",
            institution_number=self.institution_number.data,
            street=self.street.data or "",
            postal_code=self.postal_code.data or "",
            city=self.city.data or "",
            contact_name=self.contact_name.data or "",
            contact_email=self.contact_email.data,
            contact_phone=self.contact_phone.data or "",
        )


class SchoolForm(FlaskForm, SchoolFields):
    def __init__(self, *args: Any, school_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.school_id = school_id

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        return self.require_name() and ok
