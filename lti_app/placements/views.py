"""Placement pages: the student's own placements and proposals, and for the coach the course's
pipeline, the schools directory, placements (create, edit, approve, return) and the CSV import.

Who opens them: a student (often on a phone, between lessons) proposes a school and mentor and
sees what the coach answered; a coach (on a laptop, following ~40 students, up to 300) wants the
course at a glance. A form that fails is shown again with everything typed and what to fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms import SelectChoice

from lti_app import db
from lti_app.agreements.service import refresh_for_placement, refresh_for_school
from lti_app.agreements.views import STATE_LABELS as AGREEMENT_LABELS
from lti_app.core.formats import format_day
from lti_app.errors import DriehoekError
from lti_app.placements import csv_import, service
from lti_app.placements.forms import (
    MAX_MENTORS,
    NEW_SCHOOL,
    NO_SCHOOL,
    ApproveForm,
    ImportForm,
    NewPlacementForm,
    PlacementFields,
    PlacementForm,
    ProposalForm,
    ReturnForm,
    SchoolForm,
)
from lti_app.placements.models import InvitationState, Placement, PlacementState, Track
from lti_app.roster.models import Person, Role
from lti_app.roster.service import get_course
from lti_app.security import Permission, current_college_id, public, requires

bp = Blueprint("placements", __name__)

TRACK_LABELS = {
    Track.STAGE.value: _l("stage"),
    Track.WORKPLACE_LEARNING.value: _l("werkplekleren"),
    Track.LIO.value: _l("LIO-baan"),
}
STATE_LABELS = {
    "none": _l("no placement"),
    PlacementState.PROPOSED.value: _l("proposed"),
    PlacementState.RETURNED.value: _l("returned"),
    PlacementState.APPROVED.value: _l("approved"),
}
INVITATION_LABELS = {
    "not_invited": _l("not invited"),
    InvitationState.SENT.value: _l("invitation sent"),
    InvitationState.OPENED.value: _l("invitation opened"),
    InvitationState.ACTIVE.value: _l("signed in"),
    InvitationState.EXPIRED.value: _l("invitation expired"),
    InvitationState.REVOKED.value: _l("invitation revoked"),
    InvitationState.BOUNCED.value: _l("invitation bounced"),
}
ACTION_LABELS = {
    "created": _l("created"),
    "imported": _l("imported"),
    "updated": _l("changed"),
    "proposed": _l("proposed"),
    "approved": _l("approved"),
    "returned": _l("returned"),
    "mentor_signed_out": _l("mentor signed out on every device"),
}
SCHOOL_LIST_LIMIT = 200


class NoCourse(DriehoekError):
    title = _l("Open Driehoek from a course")
    advice = _l(
        "This page belongs to a course: open Driehoek from the course in your learning platform."
    )


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "track_labels": TRACK_LABELS,
        "state_labels": STATE_LABELS,
        "invitation_labels": INVITATION_LABELS,
        "placement_action_label": lambda action: str(ACTION_LABELS.get(action, action)),
        "lio_min_hours": service.LIO_MIN_TEACHING_HOURS,
        "hours": _hours,
    }


def _hours(minutes: int) -> str:
    """Minutes as hours the way the reader writes numbers (12,5 in Dutch)."""
    return str(format_decimal(round(minutes / 60, 1), format="#,##0.#"))


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
        return self._once(("hours", minutes), lambda: _hours(minutes))

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


def _course() -> Any:
    course_id = session.get("course_id")
    return get_course(db.session(), course_id) if course_id else None


def _course_id() -> int:
    """:raise NoCourse: this browser session has no course (launched from outside one)."""
    course_id = session.get("course_id")
    if not course_id:
        raise NoCourse("page of a course opened without a course in the session")
    return int(course_id)


def _me() -> Person:
    person: Person = current_user._get_current_object()
    return person


class _Outcome:
    ok = False


@contextmanager
def _saving(form: Any) -> Iterator[_Outcome]:
    """Commit what the block wrote. When a concurrent save took the same unique value (an
    instellingsnummer, a mentor's address), roll back and say so on the form, which keeps
    everything typed: ``with _saving(form) as saved: …`` then check ``saved.ok``."""
    outcome = _Outcome()
    try:
        yield outcome
        db.session().commit()
        outcome.ok = True
    except IntegrityError:
        db.session().rollback()
        form.form_errors.append(
            _("Someone saved the same school or mentor at the same moment. Check and save again.")
        )


def _coach_placement(placement_id: int) -> Placement:
    """A placement of the coach's current course.

    :raise 404: no such placement in this course.
    """
    placement = service.get_placement(db.session(), placement_id)
    if placement is None or placement.course_id != _course_id():
        abort(404)
    return placement


def _own_placement(placement_id: int) -> Placement:
    """One of the signed-in student's placements in the current course.

    :raise 404: no such placement, or someone else's (never shown, not even that it exists).
    """
    placement = service.get_placement(db.session(), placement_id)
    if (
        placement is None
        or placement.course_id != _course_id()
        or placement.student_id != current_user.id
    ):
        abort(404)
    return placement


@bp.route("/home")
@public
def home() -> Any:
    """Send each person to their own start page."""
    if not current_user.is_authenticated:
        abort(401)
    if str(current_user.get_id()).startswith("mentor:"):
        return redirect(url_for("mentors.portal"))
    role = session.get("role")
    if role == Role.STUDENT:
        return redirect(url_for("placements.student_home"))
    if role in (Role.COACH, Role.COORDINATOR):
        return redirect(url_for("placements.coach_home"))
    abort(403)


# -- the student ------------------------------------------------------------------------------


@bp.route("/student")
@requires(Permission.STUDENT_HOME)
def student_home() -> Any:
    course = _course()
    placements = (
        service.placements_of_student(db.session(), course.id, current_user.id) if course else []
    )
    return render_template(
        "placements/student_home.html", person=current_user, course=course, placements=placements
    )


@bp.route("/my/placements/<int:placement_id>")
@requires(Permission.STUDENT_HOME)
def my_placement(placement_id: int) -> Any:
    placement = _own_placement(placement_id)
    return render_template("placements/placement.html", placement=placement, for_coach=False)


@bp.route("/my/placements/new", methods=["GET", "POST"])
@requires(Permission.PROPOSE_PLACEMENT)
def propose_placement() -> Any:
    course_id = _course_id()
    form = ProposalForm()
    if _form_action(form) is None and form.validate_on_submit():
        with _saving(form) as saved:
            placement = service.propose_placement(
                db.session(),
                course_id=course_id,
                student=_me(),
                values=form.values(_school_of(form)),
                mentors=form.mentor_details(),
            )
        if saved.ok:
            flash(_("Your proposal is with your coach."), "ok")
            return redirect(url_for(".my_placement", placement_id=placement.id), code=303)
    return _placement_form(form, title=_("Propose a placement"), for_coach=False)


@bp.route("/my/placements/<int:placement_id>/edit", methods=["GET", "POST"])
@requires(Permission.PROPOSE_PLACEMENT)
def edit_proposal(placement_id: int) -> Any:
    placement = _own_placement(placement_id)
    if placement.state == PlacementState.APPROVED:
        flash(_("Your coach approved this placement; ask your coach to change it."), "error")
        return redirect(url_for(".my_placement", placement_id=placement.id), code=303)
    form = ProposalForm() if request.method == "POST" else ProposalForm(data=_data(placement))
    if _form_action(form) is None and form.validate_on_submit():
        with _saving(form) as saved:
            service.repropose_placement(
                db.session(),
                placement,
                values=form.values(_school_of(form)),
                mentors=form.mentor_details(),
                student=_me(),
            )
        if saved.ok:
            flash(_("Your proposal is with your coach again."), "ok")
            return redirect(url_for(".my_placement", placement_id=placement.id), code=303)
    return _placement_form(
        form, title=_("Change your proposal"), for_coach=False, placement=placement
    )


# -- the coach: pipeline and placements -------------------------------------------------------


@bp.route("/coach")
@requires(Permission.COACH_HOME)
def coach_home() -> Any:
    course = _course()
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
        staff=service.course_people(s, course.id, [Role.COACH, Role.COORDINATOR]),
    )


@bp.route("/placements/<int:placement_id>")
@requires(Permission.MANAGE_PLACEMENTS)
def placement(placement_id: int) -> Any:
    return _placement_page(_coach_placement(placement_id))


def _placement_page(
    placement: Placement, return_form: ReturnForm | None = None, status: int = 200
) -> Any:
    return (
        render_template(
            "placements/placement.html",
            placement=placement,
            for_coach=True,
            approve_form=ApproveForm(),
            return_form=return_form or ReturnForm(),
            history=service.history(db.session(), placement.id),
        ),
        status,
    )


@bp.route("/placements/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def new_placement() -> Any:
    course_id = _course_id()
    s = db.session()
    form = NewPlacementForm()
    if request.method == "GET":
        form.student_id.data = request.args.get("student", type=int) or 0
        form.coach_id.data = current_user.id
    students = service.course_people(s, course_id, [Role.STUDENT])
    form.student_id.choices = [SelectChoice(0, _("— choose a student —"))] + [
        SelectChoice(p.id, f"{p.display_name} ({p.email})" if p.email else p.display_name)
        for p in students
    ]
    _coach_choices(form, course_id)
    if _form_action(form) is None and form.validate_on_submit():
        with _saving(form) as saved:
            placement = service.create_placement(
                s,
                course_id=course_id,
                student_id=form.student_id.data,
                values=form.values(_school_of(form)),
                mentors=form.mentor_details(),
                actor=_me(),
            )
        if saved.ok:
            flash(_("Placement saved."), "ok")
            return redirect(url_for(".placement", placement_id=placement.id), code=303)
    return _placement_form(form, title=_("New placement"), for_coach=True, students=students)


@bp.route("/placements/<int:placement_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def edit_placement(placement_id: int) -> Any:
    placement = _coach_placement(placement_id)
    form = PlacementForm() if request.method == "POST" else PlacementForm(data=_data(placement))
    if request.method == "GET" and placement.coach_id is None:
        form.coach_id.data = current_user.id  # the coach defaults to whoever edits it first
    _coach_choices(form, placement.course_id, placement.coach_id)
    if _form_action(form) is None and form.validate_on_submit():
        with _saving(form) as saved:
            service.update_placement(
                db.session(),
                placement,
                values=form.values(_school_of(form)),
                mentors=form.mentor_details(),
                actor=_me(),
            )
            # An agreement not yet active takes the new details; signatures of the old text go.
            refresh_for_placement(db.session(), placement, _me().get_id(), _me().display_name)
        if saved.ok:
            flash(_("Placement saved."), "ok")
            return redirect(url_for(".placement", placement_id=placement.id), code=303)
    return _placement_form(form, title=_("Change placement"), for_coach=True, placement=placement)


@bp.route("/placements/<int:placement_id>/approve", methods=["POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def approve_placement(placement_id: int) -> Any:
    placement = _coach_placement(placement_id)
    if not ApproveForm().validate_on_submit():
        abort(400)
    if placement.state != PlacementState.PROPOSED:
        flash(_("This proposal was already handled."), "error")
    else:
        service.approve_placement(db.session(), placement, _me())
        db.session().commit()
        flash(_("Placement approved."), "ok")
    return redirect(url_for(".placement", placement_id=placement.id), code=303)


@bp.route("/placements/<int:placement_id>/return", methods=["POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def return_placement(placement_id: int) -> Any:
    placement = _coach_placement(placement_id)
    form = ReturnForm()
    if placement.state != PlacementState.PROPOSED:
        flash(_("This proposal was already handled."), "error")
        return redirect(url_for(".placement", placement_id=placement.id), code=303)
    if not form.validate_on_submit():
        return _placement_page(placement, form, 422)
    service.return_placement(db.session(), placement, form.reason.data, _me())
    db.session().commit()
    flash(_("Proposal returned to the student with your reason."), "ok")
    return redirect(url_for(".placement", placement_id=placement.id), code=303)


# -- shared by the placement forms ----------------------------------------------------------------


def _form_action(form: PlacementFields) -> str | None:
    """A button that changes the form rather than saving it: find a school, add a mentor.

    Both re-render the page from what was posted, so nothing typed is lost.
    """
    if request.method != "POST":
        return None
    if "add_mentor" in request.form:
        if len(form.mentors.entries) < MAX_MENTORS:
            form.mentors.append_entry()
        return "add_mentor"
    if "find_school" in request.form:
        found = _school_options(form)
        if len(found) == 1:
            form.school_id.data = found[0].value
        return "find_school"
    return None


def _school_options(form: PlacementFields) -> list[SelectChoice]:
    query = (form.school_search.data or "").strip()
    schools = service.search_schools(db.session(), _college(), query)
    chosen = form.school_id.data
    if chosen and chosen > 0 and all(school.id != chosen for school in schools):
        school = service.get_school(db.session(), chosen, _college())
        schools = [school, *schools] if school else schools
    return [SelectChoice(school.id, _school_label(school)) for school in schools]


def _school_label(school: Any) -> str:
    where = " · ".join(x for x in (school.city, school.institution_number) if x)
    return f"{school.name} ({where})" if where else school.name


def _school_of(form: PlacementFields) -> int:
    if form.wants_new_school:
        return service.create_school(db.session(), _college(), form.new_school.form.details()).id
    return int(form.school_id.data)


def _coach_choices(form: PlacementForm, course_id: int, keep: int | None = None) -> None:
    staff = service.course_people(db.session(), course_id, [Role.COACH, Role.COORDINATOR])
    people = {p.id: p.display_name for p in staff}
    people.setdefault(current_user.id, current_user.display_name)
    if keep and keep not in people:
        coach = db.session().get(Person, keep)
        if coach is not None:
            people[coach.id] = coach.display_name
    form.coach_id.choices = [SelectChoice(key, name) for key, name in people.items()]


def _placement_form(form: PlacementFields, *, title: str, for_coach: bool, **context: Any) -> Any:
    options = _school_options(form)
    form.school_id.choices = [
        SelectChoice(NO_SCHOOL, _("— choose a school —")),
        SelectChoice(NEW_SCHOOL, _("A new school (fill in below)")),
        *options,
    ]
    status = 422 if form.errors else 200  # a button that only changes the form validates nothing
    return (
        render_template(
            "placements/placement_form.html",
            form=form,
            title=title,
            for_coach=for_coach,
            school_count=len(options),
            max_mentors=MAX_MENTORS,
            **context,
        ),
        status,
    )


def _data(placement: Placement) -> dict[str, Any]:
    data = {name: getattr(placement, name) for name in service.FIELDS}
    data["track"] = placement.track.value
    data["mentors"] = [
        {"name": link.mentor.name, "email": link.mentor.email, "subject": link.subject}
        for link in placement.mentor_links
    ] or [{}]
    return data


# -- schools ------------------------------------------------------------------------------------


def _college() -> int:
    """The signed-in person's college: its schools directory is the only one they see."""
    college_id = current_college_id()
    if college_id is None:
        abort(403)
    return college_id


@bp.route("/schools")
@requires(Permission.MANAGE_PLACEMENTS)
def schools() -> Any:
    query = request.args.get("q", "")[:100].strip()
    s = db.session()
    found = service.search_schools(s, _college(), query, limit=SCHOOL_LIST_LIMIT + 1)
    return render_template(
        "placements/schools.html",
        schools=found[:SCHOOL_LIST_LIMIT],
        more=len(found) > SCHOOL_LIST_LIMIT,
        query=query,
        total=service.count_schools(s, _college()),
    )


@bp.route("/schools/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def new_school() -> Any:
    form = SchoolForm()
    if form.validate_on_submit():
        with _saving(form) as saved:
            school = service.create_school(db.session(), _college(), form.details())
        if saved.ok:
            flash(_("%(name)s is in the schools directory.", name=school.name), "ok")
            return redirect(url_for(".schools", q=school.name), code=303)
    return _school_form(form, None)


@bp.route("/schools/<int:school_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def edit_school(school_id: int) -> Any:
    school = service.get_school(db.session(), school_id, _college())
    if school is None:
        abort(404)
    form = (
        SchoolForm(school_id=school.id)
        if request.method == "POST"
        else SchoolForm(obj=school, school_id=school.id)
    )
    if form.validate_on_submit():
        with _saving(form) as saved:
            service.update_school(db.session(), school, form.details())
            refresh_for_school(db.session(), school.id, _me().get_id(), _me().display_name)
        if saved.ok:
            flash(_("%(name)s saved.", name=school.name), "ok")
            return redirect(url_for(".schools", q=school.name), code=303)
    return _school_form(form, school)


def _school_form(form: SchoolForm, school: Any) -> Any:
    status = 422 if request.method == "POST" else 200
    return render_template("placements/school_form.html", form=form, school=school), status


# -- CSV import -----------------------------------------------------------------------------------


@bp.route("/placements/import", methods=["GET", "POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def import_placements() -> Any:
    course_id = _course_id()
    form = ImportForm()
    checked: csv_import.CheckedFile | None = None
    file_error: str | None = None
    if form.validate_on_submit():
        s = db.session()
        try:
            checked = csv_import.check(s, course_id, form.file.data.read())
        except csv_import.CsvFileError as exc:
            file_error = str(exc)
        if checked is not None and checked.clean:
            with _saving(form) as saved:
                placements = csv_import.import_checked(s, course_id, checked, _me())
            if saved.ok:
                message = ngettext(
                    "Imported %(num)d placement.", "Imported %(num)d placements.", len(placements)
                )
                if checked.ignored_columns:
                    message += " " + _(
                        "Columns not used: %(columns)s.",
                        columns=", ".join(checked.ignored_columns),
                    )
                flash(message, "ok")
                return redirect(url_for(".coach_home"), code=303)
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "placements/import.html",
            form=form,
            checked=checked,
            file_error=file_error,
            columns=csv_import.COLUMNS,
        ),
        status,
    )


@bp.route("/placements/import/example.csv")
@requires(Permission.MANAGE_PLACEMENTS)
def import_example() -> Any:
    return Response(
        csv_import.example_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=driehoek-placements-example.csv"},
    )
