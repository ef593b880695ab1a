"""The coach's roster: start a sync and watch its progress; see the members and where each
role came from, and correct a role (the rules are in corrections.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField

from lti_app import db
from lti_app.jobs.models import Job
from lti_app.roster import corrections
from lti_app.roster.models import Course, Role
from lti_app.roster.service import get_members
from lti_app.roster.sync import KIND, latest_sync, request_sync
from lti_app.security import Permission, current_college_id, requires

bp = Blueprint("roster", __name__)


def _course() -> Course:
    """The course of this launch, reached through the signed-in person's college."""
    course_id, college_id = session.get("course_id"), current_college_id()
    course = db.session().get(Course, course_id) if course_id else None
    if course is None or college_id is None or course.platform.college_id != college_id:
        abort(404)
    return course


@bp.route("/coach/roster/sync", methods=["POST"])
@requires(Permission.VIEW_ROSTER)
def start_sync() -> Any:
    """:raise 404: the launch had no course."""
    course = _course()
    s = db.session()
    job = request_sync(s, course)
    s.commit()
    if job is None:
        return redirect(url_for("placements.coach_home"), code=303)
    return redirect(url_for("roster.sync_status", job_id=job.id), code=303)


@bp.route("/coach/roster/sync/<int:job_id>")
@requires(Permission.VIEW_ROSTER)
def sync_status(job_id: int) -> Any:
    """:raise 404: no such sync, or one of another course."""
    course = _course()
    job = db.session().get(Job, job_id)
    if job is None or job.kind != KIND or job.payload.get("course_id") != course.id:
        abort(404)
    if request.accept_mimetypes.best == "application/json":
        return {"state": job.state.value, "progress": job.progress, "result": job.result}
    return render_template("roster/sync.html", job=job, course=course)


@bp.route("/coach/roster/members")
@requires(Permission.CORRECT_ROLES)
def members() -> Any:
    """The course's members: their role in Driehoek, where it came from, when they last came.

    :raise 404: the launch had no course.
    """
    course = _course()
    s = db.session()
    changes = corrections.latest_changes(s, course.id)
    return render_template(
        "roster/members.html",
        course=course,
        members=get_members(s, course.id),
        changes=changes,
        corrected_by=corrections.last_correction_by(changes),
        refusal=lambda m: corrections.refusal(m, current_user.id),
        corrected_role=corrections.corrected_role,
    )


class RoleForm(FlaskForm):
    # The role the page offered: a second post, or one from a page that is out of date, changes
    # nothing instead of flipping the role back.
    role = HiddenField()


@bp.route("/coach/roster/members/<int:membership_id>/role", methods=["GET", "POST"])
@requires(Permission.CORRECT_ROLES)
def correct_role(membership_id: int) -> Any:
    """Ask to confirm a role correction, then make it.

    :raise 404: no such member of this course (another course's member, too).
    :raise 403: the rules refuse it (own role, a coordinator, a role her own launch gave).
    """
    course = _course()
    s = db.session()
    membership = corrections.get_membership(s, course.id, membership_id)
    if membership is None:
        abort(404)
    to = corrections.corrected_role(membership)
    why = corrections.refusal(membership, current_user.id)
    form = RoleForm()
    if why is not None or to is None:
        return render_template(
            "roster/correct_role.html", membership=membership, to=to, refusal=why, form=form
        ), 403
    if form.validate_on_submit():
        if form.role.data != to.value:
            flash(_("This role was changed meanwhile; nothing was changed now."), "error")
            return redirect(url_for("roster.members"), code=303)
        corrections.correct_role(s, membership, to, current_user.id)
        s.commit()
        name = membership.person.display_name
        if to is Role.COACH:
            flash(_("%(name)s is now a coach in this course.", name=name), "ok")
        else:
            flash(_("%(name)s is now a student in this course.", name=name), "ok")
        return redirect(url_for("roster.members"), code=303)
    form.role.data = to.value
    return render_template(
        "roster/correct_role.html", membership=membership, to=to, refusal=None, form=form
    )


@bp.app_context_processor
def _roster_helpers() -> dict[str, Any]:
    def roster_sync(course: Course | None) -> dict[str, Any]:
        """What the coach's page says about the roster: its source and the latest sync."""
        if course is None:
            return {"offered": False, "job": None}
        return {"offered": bool(course.nrps_url), "job": latest_sync(db.session(), course)}

    return {"roster_sync": roster_sync}
