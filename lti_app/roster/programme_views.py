"""A course's programme: asked once, at the first launch of a coach or coordinator.

Who opens it: a coach, on a laptop, the first time they open Driehoek from a new course. They
came to see their students; what would make them give up is a question they cannot answer. So
it is one question with the college's programmes to pick from (the only one already chosen),
and a field for a programme the college has not used yet. Agreements take that programme's
template. A coordinator may change it later; a coach only while it is unset.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import Length, Optional

from lti_app import db
from lti_app.colleges import service
from lti_app.core.input import one_line
from lti_app.roster.models import Course, Role
from lti_app.security import Permission, current_college_id, requires

bp = Blueprint("programmes", __name__)

ANOTHER = "another"


class ProgrammeForm(FlaskForm):
    programme = RadioField(_l("Programme"), validate_choice=False)
    new_name = StringField(
        _l("Another programme"),
        validators=[Optional(), Length(max=service.MAX_NAME), one_line],
        description=_l("For example: Verkorte educatieve bachelor secundair onderwijs"),
    )


def _course() -> tuple[Course, int]:
    course_id, college_id = session.get("course_id"), current_college_id()
    course = db.session().get(Course, course_id) if course_id else None
    if course is None or college_id is None or course.platform.college_id != college_id:
        abort(404)
    return course, college_id


@bp.route("/course/programme", methods=["GET", "POST"])
@requires(Permission.CHOOSE_PROGRAMME)
def course_programme() -> Any:
    """Which programme this course belongs to."""
    course, college_id = _course()
    s = db.session()
    may_change = course.programme_id is None or session.get("role") == Role.COORDINATOR
    choices = service.programmes(s, college_id)
    form = ProgrammeForm()
    form.programme.choices = [(str(p.id), p.name) for p in choices] + [
        (ANOTHER, _("Another programme"))
    ]
    if form.programme.data is None:
        if course.programme_id is not None:
            form.programme.data = str(course.programme_id)
        elif len(choices) == 1:
            form.programme.data = str(choices[0].id)
        elif not choices:
            form.programme.data = ANOTHER
    if form.validate_on_submit():
        if not may_change:
            abort(403)
        chosen = _chosen(form, college_id)
        if chosen is not None:
            course.programme = chosen
            s.commit()
            flash(_("This course belongs to %(name)s.", name=chosen.name), "ok")
            return redirect(url_for("placements.coach_home"), code=303)
    status = 422 if form.errors else 200
    return render_template(
        "roster/programme.html", form=form, course=course, may_change=may_change
    ), status


def _chosen(form: ProgrammeForm, college_id: int) -> Any:
    s = db.session()
    picked = form.programme.data or ""
    if picked.isdigit():
        programme = service.get_programme(s, int(picked), college_id)
        if programme is not None:
            return programme
        form.programme.errors = [_("Choose one of the programmes.")]
        return None
    if picked != ANOTHER:
        form.programme.errors = [_("Choose one of the programmes.")]
        return None
    try:
        return service.programme_named(s, college_id, form.new_name.data or "")
    except service.CollegeError:
        form.new_name.errors = [_("Name the programme.")]
        return None
