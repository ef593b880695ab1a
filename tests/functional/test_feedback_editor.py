"""The coordinator's competency framework and form-template editors: a saved edit is a new
version, forms given earlier read exactly as before, bad input is refused with a message and
nothing typed is lost, and nobody but a coordinator of the programme's college gets in (another
college is walked by test_colleges.py, outsiders by test_feedback_access.py)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lti_app import db
from lti_app.feedback import blocks
from lti_app.feedback.models import CompetencyFramework, FeedbackTemplate, FormKind
from lti_app.placements.models import Placement
from tests.feedback import add_form
from tests.functional.test_colleges import CollegeA, CollegeB, college_a, college_b  # noqa: F401
from tests.guests import csrf, launch_client, text
from tests.lms import ADMIN, Person, TestLMS
from tests.signing import Parties, three_parties

COORDINATOR = Person("coordinator-1", "Sofie Maes", [ADMIN], "sofie@hogeschool.example", "en")
WORDS = "Stelde sterke vragen die de klas aan het denken zetten."


class _Fields(HTMLParser):
    """Every field of the (first) form on a page as a browser would post it, buttons aside."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "input" and name:
            if a.get("type") == "checkbox" and "checked" not in a:
                return
            self.data[name] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.data[name] = ""
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] += (
                data.lstrip("\n") if not self.data[self._textarea] else data
            )


def fields(html: str) -> dict[str, str]:
    parser = _Fields()
    parser.feed(html)
    return parser.data


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, text(response)[:1000])
    return text(response)


def _post(client: FlaskClient, path: str, data: dict[str, str], action: str) -> Any:
    return client.post(path, data={**data, "action": action})


def _link(html: str, pattern: str) -> str:
    match = re.search(pattern, html)
    assert match, html[:3000]
    return match.group(1)


def _steady(html: str) -> str:
    """The page without the per-request CSRF token (signed with the time, so it differs)."""
    return re.sub(r'name="csrf_token"( type="hidden")? value="[^"]+"', "csrf", html)


def _mentor_of(app: Flask, placement_id: int) -> int:
    with app.app_context():
        placement = db.session().get(Placement, placement_id)
        assert placement is not None
        return placement.mentor_links[0].mentor_id


def _given_form(app: Flask, parties: Parties) -> int:
    return add_form(
        app,
        parties.placement,
        mentor_id=_mentor_of(app, parties.placement),
        answers={"goals": "kwaliteit", "goals:comment": "Heldere doelen.", "strengths": WORDS},
    )


def test_the_coordinator_edits_the_framework_and_a_template_and_given_forms_read_as_before(
    app: Flask, lms: TestLMS
) -> None:
    parties = three_parties(app, lms)
    form_id = _given_form(app, parties)
    before = _steady(_page(parties.student, f"/feedback/forms/{form_id}"))
    before_mentor = _steady(_page(parties.mentor, f"/feedback/forms/{form_id}"))
    assert WORDS in before and "Lesson goals" in before
    coordinator = launch_client(app, lms, COORDINATOR)

    # The framework: rename a competency, write indicators, add one, move it up, save.
    listing = _page(coordinator, "/feedback/admin/frameworks")
    edit = _link(listing, r'href="(/feedback/admin/frameworks/\d+)"')
    data = fields(_page(coordinator, edit))
    assert data["c-0-title_en"] == "The teacher as guide of learning and development"
    assert data["c-count"] == "18"
    data.update(
        {
            "c-0-title_nl": "Begeleider van leerprocessen",
            "c-0-title_en": "Guide of learning",
            "c-0-ind-kwaliteit-nl": "Stemt de instructie af op wat de klas al kan.",
            "c-0-ind-kwaliteit-en": "Fits instruction to what the class can do.",
        }
    )
    added = _post(coordinator, edit, data, "add")
    assert added.status_code == 200
    data = fields(text(added))
    assert data["c-count"] == "19" and data["c-18-new"] == "1"
    assert data["c-0-ind-kwaliteit-nl"] == "Stemt de instructie af op wat de klas al kan."
    data.update({"c-18-title_nl": "Taalvaardigheid", "c-18-title_en": "Language skills"})
    data = fields(text(_post(coordinator, edit, data, "up:18")))
    assert data["c-17-title_nl"] == "Taalvaardigheid"
    saved = _post(coordinator, edit, data, "save")
    assert saved.status_code == 303, text(saved)[:2000]
    assert "Saved as version 2" in _page(coordinator, saved.headers["Location"])
    with app.app_context():
        framework = (
            db.session()
            .scalars(select(CompetencyFramework).order_by(CompetencyFramework.id.desc()))
            .first()
        )
        assert framework is not None and framework.version == 2
        keys = [c["key"] for c in framework.competencies]
        assert keys[0] == "fg1" and keys[17] == "c1" and keys[18] == "att_flexible"
        first = blocks.competencies(framework.competencies, "en")[0]
        assert first.title == "Guide of learning"
        assert first.indicator("kwaliteit") == "Fits instruction to what the class can do."
        assert first.indicator("werkpunt") == ""
    # Version 1 stays readable, read-only.
    old = _page(coordinator, edit)
    assert "An earlier version, read-only" in old and "The teacher as guide of learning" in old
    assert 'name="c-count"' not in old

    # A template: retitle the lesson observation, reword an item, add a checklist, preview, save.
    listing = _page(coordinator, "/feedback/admin/templates")
    edit = _link(listing, r'href="(/feedback/admin/templates/\d+)">Lesson observation<')
    data = fields(_page(coordinator, edit))
    assert data["b-1-label_en"] == "Lesson goals" and data["b-1-competency"] == "fg1"
    data.update({"title_en": "Lesson visit", "b-1-label_en": "Goals of the lesson"})
    data = fields(text(_post(coordinator, edit, data, "add:checklist")))
    last = int(data["b-count"]) - 1
    data.update(
        {
            f"b-{last}-label_nl": "Materiaal",
            f"b-{last}-o-0-label_nl": "Bordschema",
            f"b-{last}-o-0-label_en": "Board plan",
            f"b-{last}-competency": "",
        }
    )
    data = fields(text(_post(coordinator, edit, data, f"up:{last}")))
    previewed = _post(coordinator, edit, data, "preview")
    assert previewed.status_code == 200
    page = text(previewed)
    assert "Preview: Lesson visit" in page and "Goals of the lesson" in page
    assert "Fits instruction to what the class can do." in page  # the level's indicator
    assert "Not observed" in page  # offered besides the levels
    saved = _post(coordinator, edit, fields(page), "save")
    assert saved.status_code == 303, text(saved)[:3000]
    with app.app_context():
        template = (
            db.session()
            .scalars(
                select(FeedbackTemplate)
                .where(FeedbackTemplate.kind == FormKind.LESSON_OBSERVATION)
                .order_by(FeedbackTemplate.version.desc())
            )
            .first()
        )
        assert template is not None and template.version == 2
        assert template.framework.version == 2
        checklist = template.blocks[last - 1]
        assert checklist["type"] == "checklist" and checklist["key"] not in ("", None)
        assert checklist["options"] == [
            {"key": "o1", "label": {"nl": "Bordschema", "en": "Board plan"}}
        ]
        assert [b["key"] for b in template.blocks][:2] == ["h_lesson", "goals"]
    assert "An earlier version, read-only" in _page(coordinator, edit)

    # The form given before reads exactly as it did; a new one reads the new version.
    assert _steady(_page(parties.student, f"/feedback/forms/{form_id}")) == before
    assert _steady(_page(parties.mentor, f"/feedback/forms/{form_id}")) == before_mentor
    new = _page(parties.student, f"/feedback/forms/{_given_form(app, parties)}")
    assert "Lesson visit" in new and "Goals of the lesson" in new and "Guide of learning" in new


def test_bad_input_is_refused_with_a_message_and_keeps_what_was_typed(
    app: Flask, lms: TestLMS
) -> None:
    three_parties(app, lms)
    coordinator = launch_client(app, lms, COORDINATOR)
    listing = _page(coordinator, "/feedback/admin/frameworks")
    edit = _link(listing, r'href="(/feedback/admin/frameworks/\d+)"')
    data = fields(_page(coordinator, edit))
    data = fields(text(_post(coordinator, edit, data, "add")))
    data.update({"c-0-title_nl": "", "c-1-title_en": "Typed and kept", "c-18-key": "fg2"})
    refused = _post(coordinator, edit, data, "save")
    assert refused.status_code == 422
    page = text(refused)
    assert "Give the competency a title." in page
    assert "The key fg2 is taken" in page
    assert fields(page)["c-1-title_en"] == "Typed and kept"
    assert fields(page)["c-18-key"] == "fg2"

    listing = _page(coordinator, "/feedback/admin/templates")
    edit = _link(listing, r'href="(/feedback/admin/templates/\d+)">Lesson-plan feedback<')
    data = fields(_page(coordinator, edit))
    assert data["b-1-type"] == "checklist"
    for j in range(int(data["b-1-o-count"])):
        data[f"b-1-o-{j}-label_nl"] = data[f"b-1-o-{j}-label_en"] = ""
    data.update({"title_nl": "", "title_en": "Kept too", "b-2-competency": "nope"})
    refused = _post(coordinator, edit, data, "save")
    assert refused.status_code == 422
    page = text(refused)
    assert "Give the form a title." in page
    assert "A checklist needs at least one option." in page
    assert "Choose a competency of the programme&#39;s current framework." in page
    assert fields(page)["title_en"] == "Kept too"
    with app.app_context():
        assert (
            db.session().scalar(
                select(FeedbackTemplate.version).order_by(FeedbackTemplate.version.desc())
            )
            == 1
        )


def test_only_a_coordinator_gets_in(app: Flask, lms: TestLMS) -> None:
    parties = three_parties(app, lms)
    coordinator = launch_client(app, lms, COORDINATOR)
    framework = _link(
        _page(coordinator, "/feedback/admin/frameworks"), r'href="(/feedback/admin/frameworks/\d+)"'
    )
    template = _link(
        _page(coordinator, "/feedback/admin/templates"), r'href="(/feedback/admin/templates/\d+)"'
    )
    paths = [
        "/feedback/admin/frameworks",
        "/feedback/admin/templates",
        framework,
        template,
        template + "/preview",
    ]
    for who, client, home in (
        ("coach", parties.coach, "/coach"),
        ("student", parties.student, "/student"),
    ):
        token = csrf(_page(client, home))
        for path in paths:
            assert client.get(path).status_code == 403, (who, path)
        for path in (framework, template):
            posted = client.post(path, data={"csrf_token": token, "action": "save"})
            assert posted.status_code == 403, (who, path)
    for path in paths:
        assert parties.mentor.get(path).status_code == 403, path
    assert coordinator.get("/feedback/admin/frameworks/999999").status_code == 404
    assert coordinator.get("/feedback/admin/templates/999999/preview").status_code == 404


def test_another_colleges_coordinator_finds_nothing(
    app: Flask, college_a: CollegeA, college_b: CollegeB
) -> None:
    coordinator = college_b.people["coordinator"]
    token = csrf(_page(coordinator, "/coach"))
    framework, template = college_a.ids["framework_id"], college_a.ids["feedback_template_id"]
    for path in (
        f"/feedback/admin/frameworks/{framework}",
        f"/feedback/admin/templates/{template}",
        f"/feedback/admin/templates/{template}/preview",
    ):
        assert coordinator.get(path).status_code == 404, path
    for path in (
        f"/feedback/admin/frameworks/{framework}",
        f"/feedback/admin/templates/{template}",
    ):
        posted = coordinator.post(path, data={"csrf_token": token, "action": "save"})
        assert posted.status_code == 404, path
    # Their own lists show their own programme only.
    for path in ("/feedback/admin/frameworks", "/feedback/admin/templates"):
        page = _page(coordinator, path)
        assert "Bachelor Noord" in page and "Educatief graduaat" not in page, path
