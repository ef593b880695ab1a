"""``/n/<token>``: the button in a notice mail.

For its recipient, signed in on this browser, it opens the page the notice is about. Anyone
else (not signed in here, or signed in as someone else) gets a page that says how to get in:
a student or coach opens Driehoek from the course in the learning platform (the course is
named), a mentor signs in with their personal link or asks for a new one. The token only finds
the notice: it signs nobody in and the page shows no more than the course and the college.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template
from sqlalchemy import select

from lti_app import db
from lti_app.colleges.models import College
from lti_app.extensions import limiter
from lti_app.notifications.models import Notice
from lti_app.security import current_principal, public

bp = Blueprint("notices", __name__)

OPENS_PER_CLIENT = "60/minute"


@bp.route("/n/<token>")
@limiter.limit(OPENS_PER_CLIENT)
@public
def open_notice(token: str) -> Any:
    """:raise 404: no notice has this token."""
    s = db.session()
    notice = (
        s.scalars(select(Notice).where(Notice.token == token)).first()
        if 0 < len(token) <= 64
        else None
    )
    if notice is None:
        abort(404)
    me = current_principal()
    if me is not None and me.get_id() == notice.recipient:
        return redirect(notice.link, code=303)
    college = s.get(College, notice.college_id)
    return render_template(
        "notifications/open_elsewhere.html",
        guest=notice.mentor_id is not None,
        course=notice.names.get("course", ""),
        college=college.name if college else "",
        signed_in=me is not None,
    )
