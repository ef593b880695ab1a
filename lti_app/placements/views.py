"""The placement overview: what a student or a coach sees on opening Driehoek from the course.

Who opens it: a student (often on a phone, between lessons) wants to see their placement and what
is expected next; a coach (on a laptop, following ~40 students) wants the course at a glance.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, session, url_for
from flask_login import current_user

from lti_app import db
from lti_app.roster.models import Role
from lti_app.roster.service import count_members, get_course, get_members
from lti_app.security import Permission, public, requires

bp = Blueprint("placements", __name__)


@bp.route("/home")
@public
def home() -> Any:
    """Send each person to their own start page."""
    if not current_user.is_authenticated:
        abort(401)
    role = session.get("role")
    if role == Role.STUDENT:
        return redirect(url_for("placements.student_home"))
    if role in (Role.COACH, Role.COORDINATOR):
        return redirect(url_for("placements.coach_home"))
    abort(403)


def _course() -> Any:
    course_id = session.get("course_id")
    return get_course(db.session(), course_id) if course_id else None


@bp.route("/student")
@requires(Permission.STUDENT_HOME)
def student_home() -> Any:
    course = _course()
    return render_template("placements/student_home.html", person=current_user, course=course)


@bp.route("/coach")
@requires(Permission.COACH_HOME)
def coach_home() -> Any:
    course = _course()
    members = get_members(db.session(), course.id) if course else []
    counts = count_members(db.session(), course.id) if course else {}
    return render_template(
        "placements/coach_home.html",
        person=current_user,
        course=course,
        students=[m for m in members if m.role == Role.STUDENT],
        staff=[m for m in members if m.role != Role.STUDENT],
        counts=counts,
    )
