"""Placement pages: the student's own placements and proposals, and for the coach a placement
(create, edit, approve, return). The coach's pipeline is in lti_app/pipeline, the schools
directory in lti_app/schools, the CSV import in import_views.py (all but the schools on this
blueprint).

Who opens them: a student (often on a phone, between lessons) proposes a school and mentor and
sees what the coach answered; a coach (on a laptop, following ~40 students, up to 300). A form
that fails is shown again with everything typed and what to fix.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from lti_app import db
from lti_app.errors import DriehoekError
from lti_app.placements import service
from lti_app.placements.form_page import (
    coach_choices,
    form_action,
    form_data,
    placement_form,
    school_of,
)
from lti_app.placements.forms import (
    ApproveForm,
    NewPlacementForm,
    PlacementForm,
    ProposalForm,
    ReturnForm,
)
from lti_app.placements.history import history
from lti_app.placements.models import Placement, PlacementState, Track
from lti_app.roster.models import Person, Role
from lti_app.roster.service import get_course
from lti_app.schools.views import saving
from lti_app.security import Permission, public, requires

bp = Blueprint("placements", __name__)

TRACK_LABELS = {
    Track.STAGE.value: _l("stage"),
    Track.WORKPLACE_LEARNING.value: _l("werkplekleren"),
    Track.LIO.value: _l("LIO-baan"),
}
STATE_LABELS = {
    "none": _l("no placement"),
    PlacementState.PROPOSED.value: _l("proposed"),
    PlacementState.RETURNED.value: _l("returned"),
    PlacementState.APPROVED.value: _l("approved"),
}
ACTION_LABELS = {
    "created": _l("created"),
    "imported": _l("imported"),
    "updated": _l("changed"),
    "proposed": _l("proposed"),
    "approved": _l("approved"),
    "returned": _l("returned"),
    "mentor_signed_out": _l("mentor signed out on every device"),
}


class NoCourse(DriehoekError):
    title = _l("Open Driehoek from a course")
    advice = _l(
        "This page belongs to a course: open Driehoek from the course in your learning platform."
    )


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "track_labels": TRACK_LABELS,
        "state_labels": STATE_LABELS,
        "placement_action_label": lambda action: str(ACTION_LABELS.get(action, action)),
        "lio_min_hours": service.LIO_MIN_TEACHING_HOURS,
    }


def current_course() -> Any:
    course_id = session.get("course_id")
    return get_course(db.session(), course_id) if course_id else None


def course_id_in_session() -> int:
    """:raise NoCourse: this browser session has no course (launched from outside one)."""
    course_id = session.get("course_id")
    if not course_id:
        raise NoCourse("page of a course opened without a course in the session")
    return int(course_id)


def me() -> Person:
    person: Person = current_user._get_current_object()
    return person


def _coach_placement(placement_id: int) -> Placement:
    """A placement of the coach's current course.

    :raise 404: no such placement in this course.
    """
    placement = service.get_placement(db.session(), placement_id)
    if placement is None or placement.course_id != course_id_in_session():
        abort(404)
    return placement


def _own_placement(placement_id: int) -> Placement:
    """One of the signed-in student's placements in the current course.

    :raise 404: no such placement, or someone else's (never shown, not even that it exists).
    """
    placement = service.get_placement(db.session(), placement_id)
    if (
        placement is None
        or placement.course_id != course_id_in_session()
        or placement.student_id != current_user.id
    ):
        abort(404)
    return placement


@bp.route("/home")
@public
def home() -> Any:
    """Send each person to their own start page."""
    if not current_user.is_authenticated:
        abort(401)
    if str(current_user.get_id()).startswith("mentor:"):
        return redirect(url_for("mentors.portal"))
    role = session.get("role")
    if role == Role.STUDENT:
        return redirect(url_for("placements.student_home"))
    if role in (Role.COACH, Role.COORDINATOR):
        return redirect(url_for("placements.coach_home"))
    abort(403)


# -- the student ------------------------------------------------------------------------------


@bp.route("/my/placements/<int:placement_id>")
@requires(Permission.STUDENT_HOME)
def my_placement(placement_id: int) -> Any:
    placement = _own_placement(placement_id)
    return render_template("placements/placement.html", placement=placement, for_coach=False)


@bp.route("/my/placements/new", methods=["GET", "POST"])
@requires(Permission.PROPOSE_PLACEMENT)
def propose_placement() -> Any:
    course_id = course_id_in_session()
    form = ProposalForm()
    if form_action(form) is None and form.validate_on_submit():
        with saving(form) as saved:
            placement = service.propose_placement(
                db.session(),
                course_id=course_id,
                student=me(),
                values=form.values(school_of(form)),
                mentors=form.mentor_details(),
            )
        if saved.ok:
            flash(_("Your proposal is with your coach."), "ok")
            return redirect(url_for(".my_placement", placement_id=placement.id), code=303)
    return placement_form(form, title=_("Propose a placement"), for_coach=False)


@bp.route("/my/placements/<int:placement_id>/edit", methods=["GET", "POST"])
@requires(Permission.PROPOSE_PLACEMENT)
def edit_proposal(placement_id: int) -> Any:
    placement = _own_placement(placement_id)
    if placement.state == PlacementState.APPROVED:
        flash(_("Your coach approved this placement; ask your coach to change it."), "error")
        return redirect(url_for(".my_placement", placement_id=placement.id), code=303)
    form = ProposalForm() if request.method == "POST" else ProposalForm(data=form_data(placement))
    if form_action(form) is None and form.validate_on_submit():
        with saving(form) as saved:
            service.repropose_placement(
                db.session(),
                placement,
                values=form.values(school_of(form)),
                mentors=form.mentor_details(),
                student=me(),
            )
        if saved.ok:
            flash(_("Your proposal is with your coach again."), "ok")
            return redirect(url_for(".my_placement", placement_id=placement.id), code=303)
    return placement_form(
        form, title=_("Change your proposal"), for_coach=False, placement=placement
    )


# -- the coach: pipeline and placements -------------------------------------------------------


@bp.route("/placements/<int:placement_id>")
@requires(Permission.MANAGE_PLACEMENTS)
def placement(placement_id: int) -> Any:
    return _placement_page(_coach_placement(placement_id))


def _placement_page(
    placement: Placement, return_form: ReturnForm | None = None, status: int = 200
) -> Any:
    return (
        render_template(
            "placements/placement.html",
            placement=placement,
            for_coach=True,
            approve_form=ApproveForm(),
            return_form=return_form or ReturnForm(),
            history=history(db.session(), placement.id),
        ),
        status,
    )


@bp.route("/placements/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def new_placement() -> Any:
    course_id = course_id_in_session()
    s = db.session()
    form = NewPlacementForm()
    if request.method == "GET":
        form.student_id.data = request.args.get("student", type=int) or 0
        form.coach_id.data = current_user.id
    students = service.course_people(s, course_id, [Role.STUDENT])
    form.student_id.choices = [SelectChoice(0, _("— choose a student —"))] + [
        SelectChoice(p.id, f"{p.display_name} ({p.email})" if p.email else p.display_name)
        for p in students
    ]
    coach_choices(form, course_id)
    if form_action(form) is None and form.validate_on_submit():
        with saving(form) as saved:
            placement = service.create_placement(
                s,
                course_id=course_id,
                student_id=form.student_id.data,
                values=form.values(school_of(form)),
                mentors=form.mentor_details(),
                actor=me(),
            )
        if saved.ok:
            flash(_("Placement saved."), "ok")
            return redirect(url_for(".placement", placement_id=placement.id), code=303)
    return placement_form(form, title=_("New placement"), for_coach=True, students=students)


@bp.route("/placements/<int:placement_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def edit_placement(placement_id: int) -> Any:
    placement = _coach_placement(placement_id)
    form = PlacementForm() if request.method == "POST" else PlacementForm(data=form_data(placement))
    if request.method == "GET" and placement.coach_id is None:
        form.coach_id.data = current_user.id  # the coach defaults to whoever edits it first
    coach_choices(form, placement.course_id, placement.coach_id)
    if form_action(form) is None and form.validate_on_submit():
        with saving(form) as saved:
            service.update_placement(
                db.session(),
                placement,
                values=form.values(school_of(form)),
                mentors=form.mentor_details(),
                actor=me(),
            )
            # What names the placement elsewhere follows: an agreement not yet active takes the
            # new details, and signatures of the old text go (lti_app/agreements/follow.py).
            service.placement_changed.send(
                placement, session=db.session(), actor=me().get_id(), actor_name=me().display_name
            )
        if saved.ok:
            flash(_("Placement saved."), "ok")
            return redirect(url_for(".placement", placement_id=placement.id), code=303)
    at_stake = service.placement_edit_at_stake.send(placement.id, session=db.session())
    return placement_form(
        form,
        title=_("Change placement"),
        for_coach=True,
        placement=placement,
        void_warning=next((answer for _, answer in at_stake if answer), None),
        void_warning_of="details",
    )


@bp.route("/placements/<int:placement_id>/approve", methods=["POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def approve_placement(placement_id: int) -> Any:
    placement = _coach_placement(placement_id)
    if not ApproveForm().validate_on_submit():
        abort(400)
    if placement.state != PlacementState.PROPOSED:
        flash(_("This proposal was already handled."), "error")
    else:
        service.approve_placement(db.session(), placement, me())
        db.session().commit()
        flash(_("Placement approved."), "ok")
    return redirect(url_for(".placement", placement_id=placement.id), code=303)


@bp.route("/placements/<int:placement_id>/return", methods=["POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def return_placement(placement_id: int) -> Any:
    placement = _coach_placement(placement_id)
    form = ReturnForm()
    if placement.state != PlacementState.PROPOSED:
        flash(_("This proposal was already handled."), "error")
        return redirect(url_for(".placement", placement_id=placement.id), code=303)
    if not form.validate_on_submit():
        return _placement_page(placement, form, 422)
    service.return_placement(db.session(), placement, form.reason.data, me())
    db.session().commit()
    flash(_("Proposal returned to the student with your reason."), "ok")
    return redirect(url_for(".placement", placement_id=placement.id), code=303)


# -- shared by the placement forms ----------------------------------------------------------------
