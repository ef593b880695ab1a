"""The student's home (``placements.student_home``): her placements and, as its only primary
button, her next step (``next_step.py`` chooses it; this module reads the facts and names it).

Who opens it: a student, mostly on a phone, right after launching from the course. She came to
do the thing that waits for her (sign, fix returned hours, log today's hours, change a returned
proposal); she gives up when she must search for it, or when the page promises what is not there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_app import clock, db
from lti_app.agreements import service as agreements
from lti_app.agreements.models import Agreement, AgreementState, Party
from lti_app.agreements.parties import due_parties
from lti_app.homes.next_step import PlacementFacts, Step, StepKind, next_step
from lti_app.hours.models import HourEntry, HourState
from lti_app.placements import service
from lti_app.placements.models import Placement
from lti_app.placements.views import bp, current_course
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


def _to_sign(agreement: Agreement) -> tuple[bool, str | None]:
    """Whether a document of this agreement waits for the student now, and who voided her
    earlier signature on it (None when she never signed it)."""
    for document in agreement.documents:
        if Party.STUDENT in due_parties(document, agreement.signing_order):
            voided = [s for s in document.signatures if s.party == Party.STUDENT and s.voided_at]
            return True, (voided[-1].void_reason or "") if voided else None
    return False, None


def placement_facts(session: Session, placements: Sequence[Placement]) -> list[PlacementFacts]:
    ids = [p.id for p in placements]
    returned = dict(
        session.execute(
            select(HourEntry.placement_id, func.count())
            .where(HourEntry.placement_id.in_(ids), HourEntry.state == HourState.REJECTED)
            .group_by(HourEntry.placement_id)
        ).all()
    )
    found = []
    for p in placements:
        to_sign, voided_by = None, None
        for agreement in agreements.agreements_of(session, p.id):
            if agreement.state not in (AgreementState.AWAITING_SIGNATURES, AgreementState.ACTIVE):
                continue
            due, voided_by = _to_sign(agreement)
            if due:
                to_sign = agreement.id
                break
        found.append(
            PlacementFacts(
                placement_id=p.id,
                state=p.state.value,
                start=p.start_date,
                end=p.end_date,
                agreement_to_sign=to_sign,
                voided_by=voided_by if to_sign else None,
                returned_hours=int(returned.get(p.id, 0)),
            )
        )
    return found


@bp.route("/student")
@requires(Permission.STUDENT_HOME)
def student_home() -> Any:
    course = current_course()
    s = db.session()
    placements = service.placements_of_student(s, course.id, current_user.id) if course else []
    step = next_step(placement_facts(s, placements), clock.today())
    return render_template(
        "placements/student_home.html",
        person=current_user,
        course=course,
        placements=placements,
        step=step,
        step_label=LABELS[step.kind],
        step_url=step_url(step) if course else None,
        today=clock.today(),
    )
