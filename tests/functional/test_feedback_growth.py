"""Growth per competency and the coach's course view: a student with a dozen forms gets a dozen
points per rated competency (not observed, drafts and replaced versions give none), every point
links to its form, outsiders see nothing, and the course view costs the same statements for 30
students as for 300."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from lti_app import clock, db
from lti_app.feedback.growth import growth, pipeline_facts
from lti_app.feedback.models import FeedbackForm, FormKind
from lti_app.placements.models import Placement
from tests.feedback import add_form
from tests.guests import (
    add_mentor,
    add_placement,
    english_client,
    launch_client,
    launched_course,
    person_id,
    sign_in_mentor,
    text,
)
from tests.lms import INSTRUCTOR, LEARNER, Person, TestLMS

LOTTE = Person("student-1", "Lotte Janssens", [LEARNER], "lotte@student.example", locale="en")
BRAM = Person("student-2", "Bram Claes", [LEARNER], "bram@student.example", locale="en")
COACH = Person("coach-1", "An Peeters", [INSTRUCTOR], "an@hogeschool.example", locale="en")
OTHER_COACH = Person("coach-9", "Koen Elders", [INSTRUCTOR], "koen@hogeschool.example", "en")
JAN = "jan.peeters@atheneum.example"
ELS = "els.mertens@sint-jozef.example"
LEVELS = ["knelpunt", "werkpunt", "voldoende", "kwaliteit"]

# Which scale item rates fg1, fg2 and fg3 in each kind of form.
ITEMS = {
    FormKind.LESSON_OBSERVATION: ("goals", "climate", "content"),
    FormKind.MIDTERM: ("mid_fg1", "mid_fg2", "mid_fg3"),
    FormKind.VISIT: ("visit_fg1", "visit_fg2", "visit_fg3"),
    FormKind.LESSON_PLAN: ("plan_fg1", None, "plan_fg3"),
}
KINDS = [FormKind.LESSON_OBSERVATION] * 6 + [FormKind.LESSON_PLAN] * 2 + [FormKind.MIDTERM] * 2
KINDS += [FormKind.VISIT] * 2


def _answers(kind: FormKind, level: str) -> dict[str, Any]:
    answers: dict[str, Any] = {"strengths": "Rustig"}
    for item in ITEMS[kind]:
        if item:
            answers[item] = level
    return answers


@pytest.fixture
def semester(app: Flask, lms: TestLMS) -> dict[str, Any]:
    """Lotte's placement: twelve current forms over a semester whose levels grow, a form that
    observed nothing, a draft and a replaced first version; Bram's placement with one form."""
    coach = launch_client(app, lms, COACH)
    lotte = launch_client(app, lms, LOTTE)
    bram = launch_client(app, lms, BRAM)
    course = launched_course(app)
    jan, els = add_mentor(app, JAN, "Jan Peeters"), add_mentor(app, ELS, "Els Mertens")
    placement = add_placement(
        app, mentors=[jan], course_id=course, student_id=person_id(app, LOTTE.sub)
    )
    brams = add_placement(app, mentors=[els], course_id=course, student_id=person_id(app, BRAM.sub))
    coach_id = person_id(app, COACH.sub)
    start = clock.today() - timedelta(days=130)
    forms = []
    for i, kind in enumerate(KINDS):
        author = {"person_id": coach_id} if kind == FormKind.VISIT else {"mentor_id": jan}
        forms.append(
            add_form(
                app,
                placement,
                kind=kind,
                answers=_answers(kind, LEVELS[min(3, i // 3)]),
                lesson_date=start + timedelta(days=10 * i),
                days_ago=130 - 10 * i,
                **author,
            )
        )
    # The first form was corrected: its replaced version gives no point, its correction does.
    replaced = forms[0]
    correction = add_form(
        app,
        placement,
        mentor_id=jan,
        answers=_answers(FormKind.LESSON_OBSERVATION, "werkpunt"),
        lesson_date=start,
        days_ago=125,
    )
    with app.app_context():
        s = db.session()
        first, second = s.get(FeedbackForm, replaced), s.get(FeedbackForm, correction)
        assert first is not None and second is not None
        second.series_id, second.version = first.id, 2
        first.superseded_at = clock.now() - timedelta(days=125)
        s.commit()
    forms[0] = correction
    nothing = add_form(
        app,
        placement,
        mentor_id=jan,
        answers={"goals": "not_observed", "climate": "", "content": "not_observed"},
        days_ago=3,
    )
    draft = add_form(app, placement, mentor_id=jan, answers={"goals": "kwaliteit"}, submitted=False)
    add_form(app, brams, mentor_id=els, answers={"goals": "knelpunt"}, days_ago=40)
    jan_client = english_client(app)
    sign_in_mentor(app, jan_client, JAN)
    return {
        "placement": placement,
        "brams": brams,
        "forms": forms,
        "replaced": replaced,
        "nothing": nothing,
        "draft": draft,
        "coach": coach,
        "lotte": lotte,
        "bram": bram,
        "jan": jan_client,
        "course": course,
    }


def test_twelve_forms_make_twelve_points_per_rated_competency(
    app: Flask, semester: dict[str, Any]
) -> None:
    with app.test_request_context():
        found = growth(db.session(), semester["placement"], "en")
    lines = {line.competency.key: line for line in found.rated}
    assert set(lines) == {"fg1", "fg2", "fg3"}
    forms = semester["forms"]
    assert [p.form_id for p in lines["fg1"].points] == forms
    assert [p.form_id for p in lines["fg3"].points] == forms
    # Lesson-plan feedback rates no fg2: ten points there.
    assert len(lines["fg2"].points) == 10
    for line in lines.values():
        ids = {p.form_id for p in line.points}
        assert not ids & {semester["replaced"], semester["nothing"], semester["draft"]}
        days = [p.day for p in line.points]
        assert days == sorted(days)
    # The levels grow: Werkpunt (the correction) first, Kwaliteit last.
    fg1 = lines["fg1"].points
    assert (fg1[0].level, fg1[0].label, fg1[0].value) == ("werkpunt", "Point to work on", 2)
    assert (fg1[-1].level, fg1[-1].value, fg1[-1].kind) == ("kwaliteit", 4, FormKind.VISIT)
    assert [lv.value for lv in found.levels] == [4, 3, 2, 1]
    assert found.form_count == 13  # the twelve and the one that observed nothing
    # Every competency of the framework has a line; those not rated have no points.
    assert len(found.lines) == 18 and not lines.keys() - {x.competency.key for x in found.lines}


def test_a_lesson_observation_rating_one_competency_twice_makes_one_point(app: Flask) -> None:
    from lti_app.feedback.blocks import Level
    from lti_app.feedback.growth import _Template, points_of

    levels = {k: Level(k, v, k) for k, v in zip(LEVELS, (1, 2, 3, 4), strict=True)}
    template = _Template(
        FormKind.LESSON_OBSERVATION,
        1,
        levels,
        (("fg1", ("goals", "instruction")), ("fg2", ("climate",))),
        [],
    )

    class Form:
        id = 7
        lesson_date = date(2027, 3, 1)
        submitted_at = None
        answers = {
            "goals": "kwaliteit",
            "instruction": "voldoende",
            "climate": "nonsense",
            "x": [1],
        }

    points = points_of(Form(), template)
    assert list(points) == ["fg1"]  # an unknown level is no point
    assert points["fg1"].level == "voldoende"  # 3.5 lies between: the lower one


def _svg_links(page: str) -> list[str]:
    return re.findall(r'<a href="(/feedback/forms/\d+)" class="point">', page)


def test_the_chart_links_every_point_to_its_form(app: Flask, semester: dict[str, Any]) -> None:
    path = f"/feedback/placements/{semester['placement']}/growth"
    for who in ("lotte", "jan", "coach"):
        page = semester[who].get(path)
        assert page.status_code == 200, (who, text(page)[:500])
    html = page.get_data(as_text=True)
    svgs = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(svgs) == 3  # fg1, fg2, fg3
    assert len(_svg_links(svgs[0])) == 12
    assert set(_svg_links(html)) == {f"/feedback/forms/{f}" for f in semester["forms"]}
    assert "<title>" in svgs[0] and "<script" not in "".join(svgs)
    assert not re.search(r'<script[^>]+src="(https?:)?//', html)  # nothing from a CDN
    # Each point's form opens for the reader.
    assert semester["lotte"].get(_svg_links(svgs[0])[-1]).status_code == 200
    # The table says the same for screen readers.
    assert text(page).count("Visit report") >= 2


def test_outsiders_get_no_growth(app: Flask, semester: dict[str, Any]) -> None:
    path = f"/feedback/placements/{semester['placement']}/growth"
    assert semester["bram"].get(path).status_code == 404
    assert english_client(app).get(path).status_code in (401, 403, 404)


def test_the_course_view_shows_each_students_latest_levels(
    app: Flask, lms: TestLMS, semester: dict[str, Any]
) -> None:
    page = semester["coach"].get("/feedback/course")
    assert page.status_code == 200, text(page)[:500]
    html = page.get_data(as_text=True)
    shown = text(page)
    assert "Lotte Janssens" in shown and "Bram Claes" in shown
    growth_link = f'href="/feedback/placements/{semester["placement"]}/growth"'
    assert growth_link in html
    latest = semester["forms"][-1]
    assert f'class="level-tag lv-4" href="/feedback/forms/{latest}"' in html
    assert "Strength" in shown  # the level in words, not colour alone
    # Bram's one form came 40 days ago: quiet for more than three weeks.
    row = re.search(r"<tr class=\"is-quiet\">(.*?)</tr>", html, re.S)
    assert row and "Bram Claes" in row.group(1)
    assert "Lotte Janssens" not in row.group(1)
    # Students and mentors have no course view; a coach of another course sees only theirs.
    assert semester["lotte"].get("/feedback/course").status_code == 403
    assert semester["jan"].get("/feedback/course").status_code == 403
    other = english_client(app)
    from tests.launching import FlaskBrowser, launch

    launch(FlaskBrowser(other), lms, OTHER_COACH, context={"context_id": "course-2"})
    elsewhere = other.get("/feedback/course")
    assert elsewhere.status_code == 200
    assert "Lotte" not in text(elsewhere) and "Bram" not in text(elsewhere)


def test_pipeline_facts_count_current_forms_in_one_statement(
    app: Flask, semester: dict[str, Any]
) -> None:
    from sqlalchemy import select

    with app.app_context():
        s = db.session()
        placements = select(Placement.id).where(Placement.course_id == semester["course"])
        with _counting(app) as seen:
            facts = pipeline_facts(s, placements)
        assert len(seen) == 1
    count, last = facts[semester["placement"]]
    assert count == 13  # not the draft, not the replaced version
    assert last.date() >= clock.today() - timedelta(days=4)
    assert facts[semester["brams"]][0] == 1


class _counting:
    def __init__(self, app: Flask) -> None:
        self.engine = app.extensions["db_engine"]
        self.seen: list[str] = []

    def _count(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.seen.append(statement)

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self.seen

    def __exit__(self, *exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


def _add_students(app: Flask, course: int, first: int, count: int, mentor: int) -> None:
    """Students with an approved placement and three forms each."""
    for i in range(first, first + count):
        placement = add_placement(app, mentors=[mentor], course_id=course, student_name=f"S {i}")
        for j, kind in enumerate((FormKind.LESSON_OBSERVATION, FormKind.MIDTERM)):
            add_form(app, placement, mentor_id=mentor, kind=kind, answers=_answers(kind, LEVELS[j]))


def _statements(app: Flask, client: FlaskClient, path: str) -> tuple[int, str]:
    with _counting(app) as seen:
        page = client.get(path)
    assert page.status_code == 200, text(page)[:500]
    return len(seen), page.get_data(as_text=True)


def test_the_course_view_costs_the_same_statements_for_30_and_300_students(
    app: Flask, lms: TestLMS
) -> None:
    coach = launch_client(app, lms, COACH)
    course = launched_course(app)
    mentor = add_mentor(app, JAN, "Jan Peeters")
    _add_students(app, course, 0, 30, mentor)
    coach.get("/feedback/course")  # warm
    for_30, page = _statements(app, coach, "/feedback/course")
    assert page.count('<th scope="row">') == 30
    _add_students(app, course, 30, 270, mentor)
    for_300, page = _statements(app, coach, "/feedback/course")
    assert page.count('<th scope="row">') == 300
    assert for_300 == for_30 <= 8
    # And a growth page does not grow with the forms.
    placement = _first_placement(app, course)
    one, _page = _statements(app, coach, f"/feedback/placements/{placement}/growth")
    for n in range(10):
        add_form(app, placement, mentor_id=mentor, answers={"goals": "voldoende"}, days_ago=n)
    eleven, _page = _statements(app, coach, f"/feedback/placements/{placement}/growth")
    assert eleven == one


def _first_placement(app: Flask, course: int) -> int:
    from sqlalchemy import select

    with app.app_context():
        return int(
            db.session()
            .scalars(
                select(Placement.id).where(Placement.course_id == course).order_by(Placement.id)
            )
            .first()
            or 0
        )
