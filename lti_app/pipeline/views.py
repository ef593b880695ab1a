"""The coach's home: the course's pipeline at a glance (/coach). It hangs on the placements
blueprint (endpoint ``placements.coach_home``, its labels in the context) but reads every
capability, so it lives at the top of the house.

Who opens it: a coach following about forty students (a course may have 300), from the course in
the LMS — on a laptop between two classes, and on a phone in a school's car park just before a
visit. They come to see what waits for them (a proposal to approve, an agreement to sign), who is
stuck (a returned proposal, an agreement nobody signed for a week, a student without a placement)
and, before a visit, one student's placement, mentors and hours. They give up when they have to
scan a 300-row table to find the three things that need them, when the phone scrolls sideways,
when a name leads nowhere, or when the page takes long enough to load on a car park's signal.

So: "Needs you" first, each with its one action; the students without a placement folded into
one line; each name a link to the student's placement; rows become cards on a phone; cells made
once per request (cells.py) and a fixed number of statements (service.py).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request, url_for

from lti_app import db
from lti_app.agreements.views import STATE_LABELS as AGREEMENT_LABELS
from lti_app.pipeline import service
from lti_app.pipeline.cells import Cells
from lti_app.placements.service import course_people
from lti_app.placements.views import STATE_LABELS, TRACK_LABELS, bp, current_course
from lti_app.roster.models import Role
from lti_app.security import Permission, requires

# "Needs you" lists this many of each kind; a link to the filter that shows them all follows.
NEEDS_SHOWN = 8


@bp.route("/coach")
@requires(Permission.COACH_HOME)
def coach_home() -> Any:
    course = current_course()
    if course is None:
        return render_template("placements/coach_home.html", course=None)
    state = request.args.get("state", "")
    track = request.args.get("track", "")
    agreement = request.args.get("agreement", "")
    wanted = service.PipelineFilter(
        agreement=agreement if agreement in AGREEMENT_LABELS else "",
        state=state if state in STATE_LABELS else "",
        track=track if track in TRACK_LABELS else "",
        school_id=request.args.get("school", type=int),
        search=request.args.get("q", "")[:100],
    )
    s = db.session()
    stale_days = int(current_app.config["AGREEMENT_STALE_DAYS"])
    quiet_weeks = int(current_app.config["FEEDBACK_QUIET_WEEKS"])
    placement_url = url_for("placements.placement", placement_id=0)[:-1]
    # A placement's feedback page, its id appended; "/0" cut off as above.
    feedback_url = url_for("feedback.placement", placement_id=0)[:-1]
    journal_url = url_for("journals.journal", placement_id=0)[:-1]
    return render_template(
        "placements/coach_home.html",
        course=course,
        pipeline=service.pipeline(
            s, course.id, wanted, stale_days=stale_days, quiet_weeks=quiet_weeks
        ),
        wanted=wanted,
        cells=Cells(placement_url, feedback_url, journal_url),
        placement_url=placement_url,
        agreement_url=url_for("agreements.agreement", agreement_id=0)[:-1],
        agreement_labels=AGREEMENT_LABELS,
        stale_days=stale_days,
        quiet_weeks=quiet_weeks,
        feedback_url=feedback_url,
        needs_shown=NEEDS_SHOWN,
        staff=course_people(s, course.id, [Role.COACH, Role.COORDINATOR]),
    )
