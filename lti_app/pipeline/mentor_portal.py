"""The mentor's portal: their students (from any course) with the hours waiting for approval
and the agreements waiting for their signature, and one student's placement. It hangs on the
mentors blueprint (endpoints ``mentors.portal`` and ``mentors.placement``, its private headers
and its way back in after a sign-in ran out) but reads hours and agreements, so it lives at the
top of the house.

Who opens it: a school mentor on a phone right after a lesson, signed in as a guest.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import abort, render_template

from lti_app import db
from lti_app.agreements.parties import waiting_for
from lti_app.db import utcnow
from lti_app.guests import access, sessions
from lti_app.guests.views import bp, signed_in_mentor, this_guest_session
from lti_app.hours.reading import group_by_week, hour_totals, placement_entries
from lti_app.security import Permission, requires


@bp.route("/mentor")
@requires(Permission.MENTOR_PORTAL)
def portal() -> Any:
    """The mentor's students: their own placements only, from any course."""
    mentor = signed_in_mentor()
    s = db.session()
    placements = access.mentor_placements(s, mentor.id)
    totals = hour_totals(s, placements)
    # Students with hours to approve first: that is what a mentor comes for after a lesson.
    placements.sort(
        key=lambda p: (not totals[p.id].overall.pending_count, p.student.display_name.lower())
    )
    return render_template(
        "mentor/portal.html",
        mentor=mentor,
        placements=placements,
        totals=totals,
        to_sign=waiting_for(s, mentor.get_id()),
        devices=sessions.live_sessions(s, mentor.id),
        this_device=this_guest_session(),
    )


@bp.route("/mentor/placements/<int:placement_id>")
@requires(Permission.MENTOR_PORTAL)
def placement(placement_id: int) -> Any:
    """One student's placement as the mentor sees it, with the hours waiting for approval.

    :raise 404: the placement is not one of this mentor's.
    """
    mentor = signed_in_mentor()
    s = db.session()
    found = access.get_mentor_placement(s, mentor.id, placement_id)
    if found is None:
        abort(404)
    entries = placement_entries(s, found.id)
    return render_template(
        "mentor/placement.html",
        placement=found,
        weeks=group_by_week(entries),
        totals=hour_totals(s, [found])[found.id],
        seen_at=utcnow().astimezone(UTC).isoformat(),
    )
