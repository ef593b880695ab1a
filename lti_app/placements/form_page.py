"""The placement form page, shared by the student's proposal and the coach's placement: the
buttons that change the form rather than save it (find a school, add a mentor), the school and
coach choices, and the page itself (422 with what to fix when the form failed)."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from lti_app import db
from lti_app.placements import service
from lti_app.placements.forms import (
    MAX_MENTORS,
    NEW_SCHOOL,
    NO_SCHOOL,
    PlacementFields,
    PlacementForm,
)
from lti_app.placements.models import Placement
from lti_app.roster.models import Person, Role
from lti_app.schools.service import create_school, get_school, search_schools
from lti_app.security import current_college_id


def form_action(form: PlacementFields) -> str | None:
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
    schools = search_schools(db.session(), _college(), query)
    chosen = form.school_id.data
    if chosen and chosen > 0 and all(school.id != chosen for school in schools):
        school = get_school(db.session(), chosen, _college())
        schools = [school, *schools] if school else schools
    return [SelectChoice(school.id, _school_label(school)) for school in schools]


def _school_label(school: Any) -> str:
    where = " · ".join(x for x in (school.city, school.institution_number) if x)
    return f"{school.name} ({where})" if where else school.name


def school_of(form: PlacementFields) -> int:
    if form.wants_new_school:
        return create_school(db.session(), _college(), form.new_school.form.details()).id
    return int(form.school_id.data)


def coach_choices(form: PlacementForm, course_id: int, keep: int | None = None) -> None:
    staff = service.course_people(db.session(), course_id, [Role.COACH, Role.COORDINATOR])
    people = {p.id: p.display_name for p in staff}
    people.setdefault(current_user.id, current_user.display_name)
    if keep and keep not in people:
        coach = db.session().get(Person, keep)
        if coach is not None:
            people[coach.id] = coach.display_name
    form.coach_id.choices = [SelectChoice(key, name) for key, name in people.items()]


def placement_form(form: PlacementFields, *, title: str, for_coach: bool, **context: Any) -> Any:
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


def form_data(placement: Placement) -> dict[str, Any]:
    data = {name: getattr(placement, name) for name in service.FIELDS}
    data["track"] = placement.track.value
    data["mentors"] = [
        {"name": link.mentor.name, "email": link.mentor.email, "subject": link.subject}
        for link in placement.mentor_links
    ] or [{}]
    return data


def _college() -> int:
    """The signed-in person's college: its schools directory is the only one they see."""
    college_id = current_college_id()
    if college_id is None:
        abort(403)
    return college_id
