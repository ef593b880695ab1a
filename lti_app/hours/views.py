"""The hours log's pages: the student logs and corrects, the mentor approves a week or rejects one.

Who uses it: a student logging a day on a phone, afraid of losing hours (input is kept on every
error, nothing is removed without a trace); a mentor approving a week in one tap after a lesson.
The rules live in service.py, what it shows in reading.py.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from lti_app import clock, db
from lti_app.core.formats import duration
from lti_app.guests.access import get_mentor_placement
from lti_app.hours import reading, service
from lti_app.hours.forms import (
    KIND_LABELS,
    ApproveWeekForm,
    ButtonForm,
    HourEntryForm,
    RejectForm,
)
from lti_app.hours.models import HourEntry, HourKind, HourState
from lti_app.placements.models import Placement
from lti_app.roster.models import Person
from lti_app.schools.models import Mentor
from lti_app.security import Permission, requires

bp = Blueprint("hours", __name__)

STATE_LABELS = {
    HourState.PENDING: _l("waiting for approval"),
    HourState.APPROVED: _l("approved"),
    HourState.REJECTED: _l("not approved"),
}


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    state.app.add_template_filter(lambda kind: str(KIND_LABELS[HourKind(kind)]), "hour_kind")
    state.app.add_template_filter(lambda st: str(STATE_LABELS[HourState(st)]), "hour_state")


@bp.after_request
def _private(response: Any) -> Any:
    # Someone's hours: no cache keeps them after the page is left (a shared school computer).
    response.headers["Cache-Control"] = "no-store"
    return response


def _field_error(form: FlaskForm, exc: service.HoursError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = [*target.errors, str(exc.message)]
    else:
        form.form_errors.append(str(exc.message))


# -- the student --------------------------------------------------------------------------------


def _student() -> Person:
    person = current_user._get_current_object()
    if not isinstance(person, Person):
        abort(403)
    return person


def _own_placement(placement_id: int) -> Placement:
    """:raise 404: not this student's placement in this course."""
    found = reading.get_student_placement(
        db.session(), _student().id, session.get("course_id"), placement_id
    )
    if found is None:
        abort(404)
    return found


def _own_entry(entry_id: int) -> tuple[HourEntry, Placement]:
    """:raise 404: not an entry on this student's placement."""
    found = reading.get_student_entry(
        db.session(), _student().id, session.get("course_id"), entry_id
    )
    if found is None:
        abort(404)
    return found


@bp.route("/hours")
@requires(Permission.LOG_HOURS)
def index() -> Any:
    placements = reading.student_placements(db.session(), _student().id, session.get("course_id"))
    if len(placements) == 1:
        return redirect(url_for("hours.log", placement_id=placements[0].id))
    return render_template("hours/choose.html", placements=placements)


def _log_page(placement: Placement, form: HourEntryForm, status: int = 200) -> Any:
    s = db.session()
    return (
        render_template(
            "hours/log.html",
            placement=placement,
            form=form,
            weeks=reading.group_by_week(reading.placement_entries(s, placement.id)),
            totals=reading.totals(s, placement),
            today=clock.today(),
        ),
        status,
    )


@bp.route("/hours/placements/<int:placement_id>", methods=["GET", "POST"])
@requires(Permission.LOG_HOURS)
def log(placement_id: int) -> Any:
    """The student's hours on one placement, and the form to log more."""
    placement = _own_placement(placement_id)
    form = HourEntryForm()
    if request.method == "GET":
        today = clock.today()
        # After the placement ended, the form offers its last day rather than one it refuses.
        ended = placement.end_date is not None and placement.end_date < today
        form.day.data = placement.end_date if ended else today
        return _log_page(placement, form)
    if form.validate_on_submit():
        s = db.session()
        try:
            entry = service.log_hours(s, placement, _student(), form.to_input(), clock.today())
        except service.HoursError as exc:
            s.rollback()
            _field_error(form, exc)
        else:
            s.commit()
            flash(
                _(
                    "Saved: %(duration)s on %(day)s.",
                    duration=duration(entry.minutes),
                    day=_day(entry.day),
                ),
                "hours",
            )
            return redirect(url_for("hours.log", placement_id=placement.id), code=303)
    return _log_page(placement, form, 400)


def _day(day: date) -> str:
    return format_date(day, "EEEE d MMMM")


@bp.route("/hours/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@requires(Permission.LOG_HOURS)
def edit(entry_id: int) -> Any:
    """Correct a pending entry, or a rejected one to send it in again."""
    entry, placement = _own_entry(entry_id)
    form = HourEntryForm()
    status = 200
    if request.method == "GET":
        form.fill_from(entry)
    elif entry.state == HourState.APPROVED:
        status = 409
    elif form.validate_on_submit():
        s = db.session()
        try:
            service.update_entry(s, entry, placement, _student(), form.to_input(), clock.today())
        except service.HoursError as exc:
            s.rollback()
            _field_error(form, exc)
        else:
            s.commit()
            flash(_("Your change was saved."), "hours")
            return redirect(url_for("hours.log", placement_id=placement.id), code=303)
        status = 400
    else:
        status = 400
    return (
        render_template(
            "hours/edit.html",
            entry=entry,
            placement=placement,
            form=form,
            delete_form=ButtonForm(),
            today=clock.today(),
        ),
        status,
    )


@bp.route("/hours/entries/<int:entry_id>/delete", methods=["POST"])
@requires(Permission.LOG_HOURS)
def delete(entry_id: int) -> Any:
    entry, placement = _own_entry(entry_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    s = db.session()
    try:
        service.delete_entry(s, entry, _student())
    except service.HoursError as exc:
        s.rollback()
        flash(str(exc.message), "hours-error")
        return redirect(url_for("hours.log", placement_id=placement.id), code=303)
    s.commit()
    flash(_("The entry was deleted."), "hours")
    return redirect(url_for("hours.log", placement_id=placement.id), code=303)


# -- the mentor ---------------------------------------------------------------------------------


def _mentor() -> Mentor:
    mentor = current_user._get_current_object()
    if not isinstance(mentor, Mentor):
        abort(403)
    return mentor


def _mentor_placement(placement_id: int) -> Placement:
    """:raise 404: not a placement of this mentor."""
    found = get_mentor_placement(db.session(), _mentor().id, placement_id)
    if found is None:
        abort(404)
    return found


def _back_to_mentor(placement: Placement, anchor: str = "approve") -> Any:
    target = url_for("mentors.placement", placement_id=placement.id) + f"#{anchor}"
    return redirect(target, code=303)


@bp.route("/mentor/placements/<int:placement_id>/hours/approve-week", methods=["POST"])
@requires(Permission.APPROVE_HOURS)
def approve_week(placement_id: int) -> Any:
    """Approve the waiting entries of one week, as the mentor saw them."""
    placement = _mentor_placement(placement_id)
    form = ApproveWeekForm()
    if not form.validate_on_submit() or form.week.data is None:
        abort(400)
    try:
        ids = [int(i) for i in (form.entries.data or "").split(",") if i.strip()]
        seen_at = datetime.fromisoformat(form.seen_at.data or "")
    except ValueError:
        abort(400)
    if seen_at.tzinfo is None:
        abort(400)
    s = db.session()
    decision = service.approve_week(
        s, placement, _mentor(), reading.week_start(form.week.data), ids, seen_at
    )
    s.commit()
    if decision.approved:
        flash(
            ngettext("%(num)d entry approved.", "%(num)d entries approved.", decision.approved),
            "hours",
        )
    if decision.skipped:
        flash(
            ngettext(
                "%(num)d entry changed since you opened the page: look at it again.",
                "%(num)d entries changed since you opened the page: look at them again.",
                decision.skipped,
            ),
            "hours-error",
        )
    return _back_to_mentor(placement)


@bp.route(
    "/mentor/placements/<int:placement_id>/hours/<int:entry_id>/reject", methods=["GET", "POST"]
)
@requires(Permission.APPROVE_HOURS)
def reject(placement_id: int, entry_id: int) -> Any:
    """Send one entry back to the student, with a reason they will read."""
    placement = _mentor_placement(placement_id)
    entry = db.session().get(HourEntry, entry_id)
    if entry is None or entry.placement_id != placement.id:
        abort(404)
    form = RejectForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            s = db.session()
            try:
                service.reject_entry(s, placement, entry, _mentor(), form.reason.data or "")
            except service.HoursError as exc:
                s.rollback()
                _field_error(form, exc)
            else:
                s.commit()
                flash(_("The entry went back to the student with your reason."), "hours")
                return _back_to_mentor(placement)
    return (
        render_template("hours/reject.html", placement=placement, entry=entry, form=form),
        status,
    )
