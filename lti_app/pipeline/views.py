"""The coach's home: the course's pipeline at a glance (/coach). It hangs on the placements
blueprint (endpoint ``placements.coach_home``, its labels in the context) but reads every
capability, so it lives at the top of the house.

Who opens it: a coach on a laptop, following ~40 students (up to 300), from the course's LMS.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from lti_app import db
from lti_app.agreements.views import STATE_LABELS as AGREEMENT_LABELS
from lti_app.core.formats import format_day
from lti_app.guests.models import InvitationState
from lti_app.pipeline import service
from lti_app.placements.service import course_people
from lti_app.placements.views import STATE_LABELS, TRACK_LABELS, bp, current_course, hours_text
from lti_app.roster.models import Role
from lti_app.security import Permission, requires

INVITATION_LABELS = {
    "not_invited": _l("not invited"),
    InvitationState.SENT.value: _l("invitation sent"),
    InvitationState.OPENED.value: _l("invitation opened"),
    InvitationState.ACTIVE.value: _l("signed in"),
    InvitationState.EXPIRED.value: _l("invitation expired"),
    InvitationState.REVOKED.value: _l("invitation revoked"),
    InvitationState.BOUNCED.value: _l("invitation bounced"),
}


class PipelineText:
    """The pipeline's words and numbers for one request, each formatted once: 300 rows repeat
    the same labels, dates and hours, and formatting (not the database) is what costs."""

    def __init__(self) -> None:
        self.state = {key: str(label) for key, label in STATE_LABELS.items()}
        self.track = {key: str(label) for key, label in TRACK_LABELS.items()}
        self.invitation = {key: str(label) for key, label in INVITATION_LABELS.items()}
        self.agreement = {key: str(label) for key, label in AGREEMENT_LABELS.items()}
        self._memo: dict[tuple[Any, ...], str] = {}

    def _once(self, key: tuple[Any, ...], make: Any) -> str:
        text = self._memo.get(key)
        if text is None:
            text = self._memo[key] = str(make())
        return text

    def day(self, value: date) -> str:
        return self._once(("day", value), lambda: format_day(value, "short"))

    def period(self, start: date | None, end: date | None) -> str:
        if start and end:
            return f"{self.day(start)} – {self.day(end)}"
        if start:
            return self._once(("from", start), lambda: _("from %(day)s", day=self.day(start)))
        if end:
            return self._once(("until", end), lambda: _("until %(day)s", day=self.day(end)))
        return self._once(("no period",), lambda: _("period not set"))

    def hours(self, minutes: int) -> str:
        return self._once(("hours", minutes), lambda: hours_text(minutes))

    def logged(self, p: service.PipelinePlacement) -> str:
        logged = self.hours(p.approved_minutes + p.pending_minutes)
        if not p.planned_hours:
            return self._once(("logged", logged), lambda: _("%(logged)s h", logged=logged))
        return self._once(
            ("logged", logged, p.planned_hours),
            lambda: _("%(logged)s / %(planned)s h", logged=logged, planned=p.planned_hours),
        )

    def signed(self, count: int) -> str:
        return self._once(
            ("signed", count),
            lambda: ngettext("%(num)d of 3 signed", "%(num)d of 3 signed", count),
        )

    def pending(self, minutes: int) -> str:
        return self._once(
            ("pending", minutes),
            lambda: _("%(pending)s h awaiting the mentor", pending=self.hours(minutes)),
        )


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
    return render_template(
        "placements/coach_home.html",
        course=course,
        pipeline=service.pipeline(s, course.id, wanted),
        wanted=wanted,
        text=PipelineText(),
        staff=course_people(s, course.id, [Role.COACH, Role.COORDINATOR]),
        invitation_labels=INVITATION_LABELS,
    )
