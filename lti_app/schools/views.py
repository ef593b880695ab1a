"""The schools directory pages: a coach finds, adds and corrects the college's schools.

Who opens them: a coach on a laptop, before and while making placements. A form that fails is
shown again with everything typed and what to fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from lti_app import db
from lti_app.schools import service
from lti_app.schools.forms import SchoolForm
from lti_app.security import Permission, current_college_id, requires

bp = Blueprint("schools", __name__)

SCHOOL_LIST_LIMIT = 200


class Outcome:
    ok = False


@contextmanager
def saving(form: Any) -> Iterator[Outcome]:
    """Commit what the block wrote. When a concurrent save took the same unique value (an
    instellingsnummer, a mentor's address), roll back and say so on the form, which keeps
    everything typed: ``with saving(form) as saved: …`` then check ``saved.ok``."""
    outcome = Outcome()
    try:
        yield outcome
        db.session().commit()
        outcome.ok = True
    except IntegrityError:
        db.session().rollback()
        form.form_errors.append(
            _("Someone saved the same school or mentor at the same moment. Check and save again.")
        )


def _college() -> int:
    """The signed-in person's college: its schools directory is the only one they see."""
    college_id = current_college_id()
    if college_id is None:
        abort(403)
    return college_id


@bp.route("/schools")
@requires(Permission.MANAGE_PLACEMENTS)
def schools() -> Any:
    query = request.args.get("q", "")[:100].strip()
    s = db.session()
    found = service.search_schools(s, _college(), query, limit=SCHOOL_LIST_LIMIT + 1)
    return render_template(
        "placements/schools.html",
        schools=found[:SCHOOL_LIST_LIMIT],
        more=len(found) > SCHOOL_LIST_LIMIT,
        query=query,
        total=service.count_schools(s, _college()),
    )


@bp.route("/schools/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def new_school() -> Any:
    form = SchoolForm()
    if form.validate_on_submit():
        with saving(form) as saved:
            school = service.create_school(db.session(), _college(), form.details())
        if saved.ok:
            flash(_("%(name)s is in the schools directory.", name=school.name), "ok")
            return redirect(url_for(".schools", q=school.name), code=303)
    return _school_form(form, None)


@bp.route("/schools/<int:school_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def edit_school(school_id: int) -> Any:
    school = service.get_school(db.session(), school_id, _college())
    if school is None:
        abort(404)
    form = (
        SchoolForm(school_id=school.id)
        if request.method == "POST"
        else SchoolForm(obj=school, school_id=school.id)
    )
    if form.validate_on_submit():
        with saving(form) as saved:
            service.update_school(db.session(), school, form.details())
            # What names the school elsewhere follows (an unsigned agreement's text).
            service.school_changed.send(
                school.id,
                session=db.session(),
                actor=current_user.get_id(),
                actor_name=current_user.display_name,
            )
        if saved.ok:
            flash(_("%(name)s saved.", name=school.name), "ok")
            return redirect(url_for(".schools", q=school.name), code=303)
    return _school_form(form, school)


def _school_form(form: SchoolForm, school: Any) -> Any:
    status = 422 if request.method == "POST" else 200
    at_stake = service.school_edit_at_stake.send(school.id, session=db.session()) if school else []
    return render_template(
        "placements/school_form.html",
        form=form,
        school=school,
        void_warning=next((answer for _, answer in at_stake if answer), None),
        void_warning_of="details",
    ), status
