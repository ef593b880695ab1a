"""The coordinator edits the reflection prompts of her course's programme: the defaults are
version 1, a save is a new version, an entry already begun keeps the questions it was written
with, a new entry gets the new ones; an empty prompt or a save based on an older version is
refused with every typed word still on the page; students and coaches get 403.
"""

from __future__ import annotations

from html import unescape

import pytest
from flask import Flask
from sqlalchemy import select

from lti_app import db
from lti_app.journals.models import JournalPrompts
from tests.functional.test_feedback_editor import COORDINATOR, fields
from tests.guests import launch_client, text
from tests.journals import start_entry
from tests.lms import TestLMS
from tests.signing import Parties, three_parties

PATH = "/journals/prompts"


@pytest.fixture
def parties(app: Flask, lms: TestLMS) -> Parties:
    return three_parties(app, lms)


def _versions(app: Flask) -> list[int]:
    with app.app_context():
        return list(db.session().scalars(select(JournalPrompts.version).order_by("version")))


def _field_named(data: dict[str, str], value: str) -> str:
    [name] = [k for k, v in data.items() if v == value]
    return name


def test_a_saved_edit_is_a_new_version_and_begun_entries_keep_theirs(
    app: Flask, lms: TestLMS, parties: Parties
) -> None:
    begun = start_entry(parties.student, parties.placement, "starr")
    coordinator = launch_client(app, lms, COORDINATOR)
    page = text(coordinator.get(PATH))
    assert "Editing version 1." in page
    assert "Reflectiecyclus van Korthagen (ALACT)" in unescape(page)
    data = fields(page)
    data[_field_named(data, "Situation")] = "Situation: the lesson you choose"

    added = coordinator.post(PATH, data={**data, "action": "add:2"})  # a prompt for "free"
    assert added.status_code == 200
    data = fields(text(added))
    assert data["s-2-p-count"] == "2"
    assert data["s-2-p-1-label_nl"] == ""
    assert data[_field_named(data, "Situation: the lesson you choose")]  # kept while adding

    refused = coordinator.post(PATH, data={**data, "action": "save"})
    assert refused.status_code == 422
    assert "Write the prompt." in text(refused)
    assert _versions(app) == [1]
    data = fields(text(refused))
    assert "Situation: the lesson you choose" in data.values()  # nothing typed is lost
    data["s-2-p-1-label_nl"] = "Wat neem je mee?"
    data["s-2-p-1-label_en"] = "What do you take with you?"

    saved = coordinator.post(PATH, data={**data, "action": "save"}, follow_redirects=True)
    assert "Saved as version 2." in text(saved)
    assert _versions(app) == [1, 2]

    old = text(parties.student.get(f"/journals/entries/{begun}"))
    assert ">Situation</label>" in old
    fresh = text(
        parties.student.get(
            f"/journals/entries/{start_entry(parties.student, parties.placement, 'starr')}"
        )
    )
    assert ">Situation: the lesson you choose</label>" in fresh
    free = text(
        parties.student.get(
            f"/journals/entries/{start_entry(parties.student, parties.placement, 'free')}"
        )
    )
    assert "What do you take with you?" in free


def test_a_save_based_on_an_older_version_is_refused(
    app: Flask, lms: TestLMS, parties: Parties
) -> None:
    coordinator = launch_client(app, lms, COORDINATOR)
    first = fields(text(coordinator.get(PATH)))
    second = dict(first)
    first[_field_named(first, "Task")] = "Task, as colleague one wrote it"
    second[_field_named(second, "Task")] = "Task, as colleague two wrote it"
    assert coordinator.post(PATH, data={**first, "action": "save"}).status_code == 303
    late = coordinator.post(PATH, data={**second, "action": "save"})
    assert late.status_code == 422
    assert "Someone saved version 2 while you were editing." in text(late)
    assert "Task, as colleague two wrote it" in fields(text(late)).values()
    assert _versions(app) == [1, 2]


def test_removing_a_prompt_and_tampered_keys(app: Flask, lms: TestLMS, parties: Parties) -> None:
    coordinator = launch_client(app, lms, COORDINATOR)
    data = fields(text(coordinator.get(PATH)))
    removed = fields(text(coordinator.post(PATH, data={**data, "action": "remove:1:0"})))
    assert removed["s-1-p-count"] == "4"
    assert "Situation" not in removed.values()
    tampered = dict(removed)
    tampered["s-1-p-0-key"] = "invented"
    assert coordinator.post(PATH, data={**tampered, "action": "save"}).status_code == 422
    assert coordinator.post(PATH, data={**removed, "action": "remove:9:0"}).status_code == 400
    assert coordinator.post(PATH, data={**removed, "action": "save"}).status_code == 303
    assert _versions(app) == [1, 2]


def test_students_and_coaches_may_not_edit_prompts(parties: Parties) -> None:
    assert parties.student.get(PATH).status_code == 403
    assert parties.coach.get(PATH).status_code == 403
    assert parties.mentor.get(PATH).status_code == 403


def test_two_first_uses_at_once_make_one_version_one(
    app: Flask, parties: Parties, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second request read "none yet" just before the first saved version 1: its insert
    fails on the unique version, and it takes the first one's row instead of failing."""
    from lti_app.journals import prompts
    from tests.signing import course_programme

    with app.app_context():
        s = db.session()
        programme = course_programme(s, parties.course)
        first = prompts.current_prompts(s, programme.id)
        s.commit()
        real_latest = prompts.latest
        calls: list[int] = []

        def stale_then_real(session: object, programme_id: int) -> JournalPrompts | None:
            calls.append(programme_id)
            return None if len(calls) == 1 else real_latest(s, programme_id)

        monkeypatch.setattr(prompts, "latest", stale_then_real)
        second = prompts.current_prompts(s, programme.id)
        assert second.id == first.id and second.version == 1
        assert len(calls) == 2
        s.commit()
    assert _versions(app) == [1]
