"""The student's side of feedback: asking a mentor of her placement for feedback on a lesson,
taking the request back, and responding to a submitted form with her follow-up actions.

Who opens these: the student, often on a phone between two lessons, to ask her mentor to watch
the next one (date, class, subject, what to look at) — or at home, reading a form and writing
what she will do with it. She gives up when what she typed is gone: a bad date or a missing
field shows the page again with everything she wrote and one clear message per field.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from lti_app import clock, db
from lti_app.feedback import requesting
from lti_app.feedback.blueprint import bp
from lti_app.feedback.models import FeedbackRequest, FormState
from lti_app.feedback.readers import form_and_reader, placement_and_reader
from lti_app.feedback.reading import form_view
from lti_app.security import Permission, requires

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]  # the picker's; typed by hand
LESSON_DATE_SPAN = timedelta(days=366)


def _language() -> str:
    return str(get_locale() or "nl")


class LessonDateField(DateField):
    """A date from the picker or typed as 14/03/2027; an empty field is only "missing"."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and not "".join(str(v) for v in valuelist).strip():
            self.data = None
            return
        super().process_formdata(valuelist)


class RequestForm(FlaskForm):
    mentor = RadioField(
        _l("Which mentor do you ask?"),
        coerce=int,
        validators=[InputRequired(message=_l("Choose the mentor you ask."))],
    )
    lesson_date = LessonDateField(
        _l("Date of the lesson"),
        format=DATE_FORMATS,
        invalid_value_message=_l("This is not a date. Enter it like 14/03/2027."),
        validators=[InputRequired(message=_l("Enter the date of the lesson, like 14/03/2027."))],
    )
    class_name = StringField(_l("Class"), validators=[Optional(), Length(max=100)])
    subject = StringField(_l("Subject"), validators=[Optional(), Length(max=200)])
    focus = SelectMultipleField(
        _l("What should your mentor look at?"),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[Optional()],
    )
    note = TextAreaField(
        _l("Anything your mentor should know (optional)"),
        validators=[Optional(), Length(max=requesting.MAX_NOTE)],
    )

    def __init__(self, mentors: list[Any], competencies: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mentor.choices = [(m.id, m.display_name) for m in mentors]
        self.focus.choices = [(c.key, c.title) for c in competencies]
        if len(mentors) == 1 and self.mentor.data is None:
            self.mentor.data = mentors[0].id

    def validate_lesson_date(self, field: Any) -> None:
        if field.data is not None and abs(field.data - clock.today()) > LESSON_DATE_SPAN:
            raise ValidationError(_l("Enter a date within a year from today."))


class ResponseForm(FlaskForm):
    response = TextAreaField(
        _l("Your response to this feedback"),
        validators=[Optional(), Length(max=requesting.MAX_RESPONSE)],
    )
    follow_up = TextAreaField(
        _l("What you will do with it (follow-up actions)"),
        validators=[Optional(), Length(max=requesting.MAX_RESPONSE)],
    )

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not (self.response.data or "").strip() and not (self.follow_up.data or "").strip():
            self.form_errors.append(_("Write a response or a follow-up action before saving."))
            return False
        return True


@bp.route("/feedback/placements/<int:placement_id>/requests/new", methods=["GET", "POST"])
@requires(Permission.REQUEST_FEEDBACK)
def new_request(placement_id: int) -> Any:
    """:raise 404: not the student of this placement."""
    placement, reader = placement_and_reader(placement_id)
    if reader.kind != "student":
        abort(404)
    s = db.session()
    mentors = requesting.mentors_of(s, placement.id)
    competencies = requesting.current_competencies(s, placement, _language())
    form = RequestForm(mentors, competencies)
    if form.validate_on_submit():
        try:
            made = requesting.create_request(
                s,
                placement,
                student_id=reader.person_id or 0,
                mentor_id=int(form.mentor.data),
                lesson_date=form.lesson_date.data,
                class_name=form.class_name.data or "",
                subject=form.subject.data or "",
                focus=form.focus.data or [],
                note=form.note.data or "",
            )
        except requesting.NotAMentorOfThePlacement:  # the choices refuse it first; kept as a guard
            s.rollback()
            abort(400)
        s.commit()
        flash(
            _("Your request went to %(mentor)s.", mentor=_mentor_name(mentors, made.mentor_id))
            + " "
            + _("You can add your lesson plan to it below."),
            "ok",
        )
        return redirect(
            url_for("feedback.placement", placement_id=placement.id, _anchor=f"request-{made.id}"),
            code=303,
        )
    status = 400 if form.is_submitted() else 200
    return (
        render_template(
            "feedback/request_new.html",
            form=form,
            placement=placement,
            reader=reader,
            mentors=mentors,
        ),
        status,
    )


def _mentor_name(mentors: list[Any], mentor_id: int) -> str:
    return next((m.display_name for m in mentors if m.id == mentor_id), "")


@bp.route("/feedback/requests/<int:request_id>/withdraw", methods=["POST"])
@requires(Permission.REQUEST_FEEDBACK)
def withdraw_request(request_id: int) -> Response:
    """:raise 404: no such request, or not one of the signed-in student's."""
    s = db.session()
    found = s.get(FeedbackRequest, request_id)
    placement, reader = placement_and_reader(found.placement_id if found else 0)
    if found is None or reader.kind != "student":
        abort(404)
    try:
        requesting.withdraw(s, found)
    except requesting.RequestClosed:
        flash(_("This request was answered or withdrawn already."), "error")
    else:
        s.commit()
        flash(_("You withdrew the request. Your mentor no longer sees it as waiting."), "ok")
    return redirect(url_for("feedback.placement", placement_id=placement.id), code=303)


@bp.route("/feedback/forms/<int:form_id>/response", methods=["POST"])
@requires(Permission.REQUEST_FEEDBACK)
def respond(form_id: int) -> Any:
    """The student's response and follow-up actions on a submitted form.

    :raise 404: not a submitted form of the signed-in student's placement.
    :raise 403: someone else of the placement (only the student responds).
    """
    found, placement, reader = form_and_reader(form_id)
    if reader.kind != "student":
        abort(403)
    if found.state != FormState.SUBMITTED:
        abort(404)
    form = ResponseForm()
    if form.validate_on_submit():
        requesting.respond(db.session(), found, form.response.data or "", form.follow_up.data or "")
        db.session().commit()
        flash(_("Your response is saved. Your mentor and your coach can read it."), "ok")
        return redirect(url_for("feedback.form", form_id=found.id, _anchor="response"), code=303)
    # Shown again with everything she wrote and what is wrong with it.
    view = form_view(db.session(), found, _language())
    page = render_template(
        "feedback/response.html",
        view=view,
        placement=placement,
        reader=reader,
        response_form=form,
        guest_layout=False,
    )
    return page, 400
