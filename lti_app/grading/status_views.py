"""The coach's resend button: a grade that failed (or is waiting out a retry) goes again now."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _

from lti_app import db
from lti_app.grading import service
from lti_app.grading.blueprint import bp
from lti_app.grading.models import ScoreSync
from lti_app.security import Permission, current_college_id, requires


def local_path(value: str | None) -> str | None:
    """``value`` when it is a path on this site (never another host: no open redirect)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if any(c in value for c in "\r\n\t\\") or len(value) > 2000:
        return None
    return value


@bp.route("/grading/scores/<int:score_id>/resend", methods=["POST"])
@requires(Permission.REVIEW_JOURNALS)
def resend(score_id: int) -> Any:
    """Queue the newest version of the score again.

    :raise 404: no such score, or one of another course than the coach's launch.
    """
    s = db.session()
    row = s.get(ScoreSync, score_id)
    course = row.line_item.course if row is not None else None
    if (
        course is None
        or course.id != session.get("course_id")
        or course.platform.college_id != current_college_id()
    ):
        abort(404)
    assert row is not None
    job = service.resend(s, row)
    s.commit()
    if job is None:
        flash(_("This learning platform does not receive grades from Driehoek."), "error")
    else:
        flash(_("The grade of %(name)s is sent again.", name=row.person.display_name), "ok")
    return redirect(local_path(request.form.get("next")) or url_for("placements.coach_home"), 303)
