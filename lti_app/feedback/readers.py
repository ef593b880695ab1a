"""Who looks at a placement's feedback, and what they may see of it (a view helper: it reads the
signed-in person and their course from the session).

- the placement's student: its submitted forms, her requests; she responds to forms;
- a mentor of the placement (approved placements only, in any course): every submitted form of
  the placement, their own drafts, the requests addressed to them;
- a coach or coordinator of the placement's course: every submitted form and request, their own
  drafts (visit reports).
Anyone else gets None, and every feedback view answers 404 (nothing says the thing exists).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, session
from flask_login import current_user

from lti_app import db
from lti_app.feedback.models import FeedbackForm, FormState
from lti_app.guests.access import get_mentor_placement
from lti_app.placements.models import Placement, PlacementState
from lti_app.roster.models import Person, Role
from lti_app.schools.models import Mentor


@dataclass(frozen=True)
class Reader:
    kind: str  # "student", "mentor" or "coach" (a coordinator reads as a coach)
    key: str  # person:<id> or mentor:<id>, as actors are written everywhere
    person_id: int | None = None
    mentor_id: int | None = None

    @property
    def guest(self) -> bool:
        """A school mentor: pages use the mentor portal's frame."""
        return self.kind == "mentor"

    def wrote(self, form: FeedbackForm) -> bool:
        if self.mentor_id is not None:
            return form.author_mentor_id == self.mentor_id
        return self.person_id is not None and form.author_person_id == self.person_id

    def may_read(self, form: FeedbackForm) -> bool:
        """Submitted forms to everyone of the placement; a draft only to the one writing it."""
        return form.state == FormState.SUBMITTED or self.wrote(form)


def reader_of(placement: Placement) -> Reader | None:
    user = current_user._get_current_object()
    if isinstance(user, Mentor):
        found = get_mentor_placement(db.session(), user.id, placement.id)
        if found is None:
            return None
        return Reader("mentor", str(user.get_id()), mentor_id=user.id)
    if not isinstance(user, Person) or session.get("course_id") != placement.course_id:
        return None
    role = session.get("role")
    if role == Role.STUDENT and placement.student_id == user.id:
        if placement.state != PlacementState.APPROVED:
            return None
        return Reader("student", str(user.get_id()), person_id=user.id)
    if role in (Role.COACH, Role.COORDINATOR):
        return Reader("coach", str(user.get_id()), person_id=user.id)
    return None


def placement_and_reader(placement_id: int) -> tuple[Placement, Reader]:
    """:raise 404: no such placement, or the signed-in person has no part in it."""
    placement = db.session().get(Placement, placement_id)
    reader = reader_of(placement) if placement is not None else None
    if placement is None or reader is None:
        abort(404)
    return placement, reader


def form_and_reader(form_id: int) -> tuple[FeedbackForm, Placement, Reader]:
    """:raise 404: no such form, or not one the signed-in person may read."""
    form = db.session().get(FeedbackForm, form_id)
    placement, reader = placement_and_reader(form.placement_id if form else 0)
    if form is None or not reader.may_read(form):
        abort(404)
    return form, placement, reader
