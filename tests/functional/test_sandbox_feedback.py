"""The sandbox's semester of feedback: Sofie has a dozen submitted forms of mixed kinds over a
semester, with levels that grow, so a newcomer opening Driehoek as her (or as the coach) sees
the growth chart and the course view filled."""

from __future__ import annotations

from collections import Counter

from flask import Flask
from sqlalchemy import select

from lti_app import clock, db
from lti_app.feedback.growth import growth
from lti_app.feedback.models import FeedbackForm, FormState
from lti_app.placements.models import Placement
from lti_app.roster.models import Person
from lti_app.sandbox import demo_guide, demo_states
from tests.functional.test_sandbox_demo import get, launch_as, seed, served_app  # noqa: F401


def _sofies_placement(app: Flask) -> int:
    with app.app_context():
        s = db.session()
        return s.scalars(
            select(Placement.id)
            .join(Person, Placement.student_id == Person.id)
            .where(Person.email == "sofie.desmet@student.example")
        ).one()


def test_sofie_has_a_semester_of_growing_feedback(served_app: Flask) -> None:
    seed(served_app)
    placement_id = _sofies_placement(served_app)
    with served_app.test_request_context():
        s = db.session()
        placement = s.get(Placement, placement_id)
        assert placement is not None and placement.start_date is not None
        forms = list(s.scalars(select(FeedbackForm).order_by(FeedbackForm.lesson_date)))
        today = clock.today()
        assert len(forms) == 12
        assert all(f.state == FormState.SUBMITTED and f.placement_id == placement_id for f in forms)
        days = [f.lesson_date for f in forms if f.lesson_date]
        assert len(days) == 12 and all(d.weekday() < 5 for d in days)
        assert placement.start_date <= days[0] and days[-1] < today
        assert (days[-1] - days[0]).days >= 100  # a semester, not a week
        kinds = Counter(f.template.kind for f in forms)
        assert len(kinds) == 4 and sum(kinds.values()) == 12
        found = growth(s, placement_id, "nl")
        fg1 = next(line for line in found.rated if line.competency.key == "fg1")
        assert len(fg1.points) == 12
        assert fg1.points[0].value < fg1.points[-1].value == 4
    assert "twelve forms" in str(demo_guide.line(demo_states.SOFIE))


def test_a_newcomer_as_sofie_and_as_the_coach_sees_it_filled(served_app: Flask) -> None:
    seed(served_app)
    placement_id = _sofies_placement(served_app)
    sofie = served_app.test_client()
    launch_as(sofie, served_app, demo_states.SOFIE)
    page = get(sofie, f"/feedback/placements/{placement_id}/growth")
    assert page.count('class="point"') >= 12 * 3
    coach = served_app.test_client()
    launch_as(coach, served_app, demo_states.COACH)
    course = get(coach, "/feedback/course")
    assert "Sofie De Smet" in course
    assert f"/feedback/placements/{placement_id}/growth" in course
