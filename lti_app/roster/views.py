"""The coach's roster sync: start it, and watch its progress."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for

from lti_app import db
from lti_app.jobs.models import Job
from lti_app.roster.models import Course
from lti_app.roster.sync import KIND, latest_sync, request_sync
from lti_app.security import Permission, requires

bp = Blueprint("roster", __name__)


def _course() -> Course:
    course_id = session.get("course_id")
    course = db.session().get(Course, course_id) if course_id else None
    if course is None:
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


@bp.app_context_processor
def _roster_helpers() -> dict[str, Any]:
    def roster_sync(course: Course | None) -> dict[str, Any]:
        """What the coach's page says about the roster: its source and the latest sync."""
        if course is None:
            return {"offered": False, "job": None}
        return {"offered": bool(course.nrps_url), "job": latest_sync(db.session(), course)}

    return {"roster_sync": roster_sync}
