"""The student's home (``placements.student_home``): her placements and, as its only primary
button, her next step (``next_step.py`` chooses it, ``reads.py`` reads the facts in at most
three plain-column statements, this module names it).

Who opens it: a student, mostly on a phone, right after launching from the course. She came to
do the thing that waits for her (sign, fix returned hours, log today's hours, change a returned
proposal); she gives up when she must search for it, or when the page promises what is not there.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lti_app import clock, db
from lti_app.homes.next_step import Step, StepKind, next_step
from lti_app.homes.reads import student_home_data
from lti_app.placements.views import bp
from lti_app.security import Permission, requires

LABELS = {
    StepKind.PROPOSE_AGAIN: _l("Change and propose again"),
    StepKind.SIGN: _l("Read and sign"),
    StepKind.SIGN_AGAIN: _l("Sign again"),
    StepKind.FIX_HOURS: _l("Fix returned hours"),
    StepKind.LOG_HOURS: _l("Log my hours"),
    StepKind.WAIT_FOR_COACH: _l("See my proposal"),
    StepKind.STARTS_LATER: _l("See my placement"),
    StepKind.ENDED: _l("See my hours"),
    StepKind.PROPOSE: _l("Propose a placement"),
}


def step_url(step: Step) -> str:
    """Where her next step's button goes."""
    pid = step.placement_id
    if step.kind is StepKind.PROPOSE_AGAIN:
        return url_for("placements.edit_proposal", placement_id=pid)
    if step.kind in (StepKind.SIGN, StepKind.SIGN_AGAIN):
        return url_for("agreements.agreement", agreement_id=step.agreement_id)
    if step.kind is StepKind.FIX_HOURS:
        return url_for("hours.log", placement_id=pid) + "#logged"
    if step.kind in (StepKind.LOG_HOURS, StepKind.ENDED):
        return url_for("hours.log", placement_id=pid)
    if step.kind in (StepKind.WAIT_FOR_COACH, StepKind.STARTS_LATER):
        return url_for("placements.my_placement", placement_id=pid)
    return url_for("placements.propose_placement")


@bp.route("/student")
@requires(Permission.STUDENT_HOME)
def student_home() -> Any:
    course_id = session.get("course_id")
    course, placements = (
        student_home_data(db.session(), int(course_id), current_user.id)
        if course_id
        else (None, [])
    )
    today = clock.today()
    step = next_step([p.facts() for p in placements], today)
    return render_template(
        "placements/student_home.html",
        person=current_user,
        course=course,
        placements=placements,
        step=step,
        step_label=LABELS[step.kind],
        step_url=step_url(step) if course else None,
        today=today,
    )
