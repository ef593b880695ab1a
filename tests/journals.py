"""Helpers for journal tests: entries made straight in the database through the writing service
(for pages that read them), and what the student's pages and script send.

``add_entry`` is for anyone who needs a journal with something in it (reviews, the sandbox's
demo, the URL-map walk): a submitted STARR entry unless told otherwise.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lti_app import clock, db
from lti_app.journals import writing
from lti_app.journals.models import JournalEntry, JournalEntryVersion
from lti_app.placements.models import Placement
from tests.guests import csrf, text

STARR_ANSWERS = {
    "situation": "Les wiskunde in 3B: kwadratische functies, laatste lesuur.",
    "task": "De klas zelf de top van een parabool laten vinden.",
    "action": "Ik liet de leerlingen in duo's werken met een werkblad.",
    "result": "De meesten vonden de top; twee duo's haakten af.",
    "reflection": "Volgende keer eerst één voorbeeld klassikaal.",
}

DEFAULT_ANSWERS = {
    "starr": STARR_ANSWERS,
    "free": {"text": "Een korte reflectie op de les van vandaag."},
    "alact": {
        "action": "Ik gaf een instructie van tien minuten.",
        "me_feel": "Ik voelde me zeker.",
        "pupils_do": "De leerlingen luisterden maar stelden geen vragen.",
        "trial": "Volgende les stel ik na twee minuten een vraag.",
    },
}


def add_entry(
    app: Flask,
    placement_id: int,
    *,
    prompt_set: str = "starr",
    title: str = "Parabolen in 3B",
    answers: dict[str, str] | None = None,
    competencies: list[str] | None = None,
    submitted: bool = True,
    is_final: bool = False,
    days_ago: int = 1,
    starting_point: str = "",
) -> int:
    """An entry of the placement's student, written through the writing service (answers as
    she would type them); submitted ``days_ago`` (with its version 1) unless ``submitted`` is
    False. Returns its id."""
    with app.app_context():
        s = db.session()
        placement = s.get(Placement, placement_id)
        assert placement is not None
        entry = writing.start(
            s,
            placement,
            placement.student_id,
            prompt_set,
            is_final=is_final,
            starting_point=starting_point,
        )
        writing.save(
            s,
            entry,
            base_revision=0,
            title=title,
            answers=DEFAULT_ANSWERS.get(prompt_set, {}) if answers is None else answers,
            competencies=competencies or [],
        )
        if submitted:
            version = writing.submit(s, entry)
            when = clock.now() - timedelta(days=days_ago)
            version.submitted_at = when
            entry.submitted_at = when
        s.commit()
        return entry.id


def stored_entry(app: Flask, entry_id: int) -> JournalEntry:
    with app.app_context():
        found = db.session().get(JournalEntry, entry_id)
        assert found is not None
        db.session().expunge(found)
        return found


def entry_versions(app: Flask, entry_id: int) -> list[JournalEntryVersion]:
    with app.app_context():
        s = db.session()
        found = list(
            s.scalars(
                select(JournalEntryVersion)
                .where(JournalEntryVersion.entry_id == entry_id)
                .order_by(JournalEntryVersion.number)
            )
        )
        for v in found:
            s.expunge(v)
        return found


def entry_count(app: Flask) -> int:
    with app.app_context():
        return len(list(db.session().scalars(select(JournalEntry.id))))


# -- what the pages send ------------------------------------------------------------------------


def token_of(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code, text(page)[:500])
    return csrf(text(page))


def new_entry(client: FlaskClient, placement_id: int, **fields: str) -> Any:
    """Press "start writing" on the journal page (``prompt_set`` etc. as fields)."""
    token = token_of(client, f"/journals/placements/{placement_id}")
    return client.post(
        f"/journals/placements/{placement_id}/entries", data={"csrf_token": token, **fields}
    )


def entry_id_of(response: Any) -> int:
    assert response.status_code == 303, text(response)[:800]
    match = re.search(r"/journals/entries/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def start_entry(client: FlaskClient, placement_id: int, prompt_set: str = "starr") -> int:
    return entry_id_of(new_entry(client, placement_id, prompt_set=prompt_set))


def autosave(
    client: FlaskClient,
    entry_id: int,
    token: str,
    revision: Any,
    answers: Any,
    **more: Any,
) -> Any:
    """What static/journal-entry.js sends: the whole entry, with the revision it is based on."""
    return client.post(
        f"/journals/entries/{entry_id}/autosave",
        json={"revision": revision, "answers": answers, **more},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )


def revision_on(page: str) -> int:
    match = re.search(r'name="revision" value="(\d+)"', page)
    assert match, page[:1500]
    return int(match.group(1))
