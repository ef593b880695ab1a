"""Autosave of a journal entry loses nothing and never merges silently: each save bumps the
revision; a save based on an older revision is refused (409) with the stored text, so the
student chooses; a signed-out browser gets 401 JSON (the script keeps its copy and says "sign
in again through your course"); what is not an entry of this prompt set is 400; someone else's
entry 404; a submitted one 409 with ``submitted``. Submitting writes a version; revising makes a
draft again (unless a hand-in waits for a grade); every version stays readable.
"""

from __future__ import annotations

import pytest
from flask import Flask

from lti_app import db
from lti_app.journals.models import (
    EntryState,
    JournalAssignment,
    JournalReview,
    ReviewState,
)
from tests.guests import csrf, english_client, launch_client, person_id, text
from tests.journals import (
    autosave,
    entry_versions,
    start_entry,
    stored_entry,
    token_of,
)
from tests.lms import TestLMS
from tests.signing import BRAM, LOTTE, Parties, three_parties


@pytest.fixture
def parties(app: Flask, lms: TestLMS) -> Parties:
    return three_parties(app, lms)


def _editor_token(parties: Parties, entry_id: int) -> str:
    return token_of(parties.student, f"/journals/entries/{entry_id}")


def test_each_save_bumps_the_revision_and_an_older_one_is_refused(parties: Parties) -> None:
    entry_id = start_entry(parties.student, parties.placement, "starr")
    token = _editor_token(parties, entry_id)

    first = autosave(
        parties.student, entry_id, token, 0, {"situation": "Eerste zin."}, title="Les 1"
    )
    assert first.status_code == 200, text(first)
    assert first.json["revision"] == 1
    assert first.json["saved_at_text"]
    assert first.headers["Cache-Control"] == "no-store"
    second = autosave(
        parties.student, entry_id, token, 1, {"situation": "Eerste zin. Tweede zin."}, title="Les 1"
    )
    assert second.json["revision"] == 2

    # Another tab still at revision 1: refused, with what is stored, nothing merged.
    stale = autosave(parties.student, entry_id, token, 1, {"situation": "Iets anders."})
    assert stale.status_code == 409
    assert stale.json["revision"] == 2
    assert stale.json["answers"] == {"situation": "Eerste zin. Tweede zin."}
    assert stale.json["title"] == "Les 1"
    assert stale.json["submitted"] is False
    assert stored_entry(parties.app, entry_id).answers == {
        "situation": "<p>Eerste zin. Tweede zin.</p>"
    }


def test_signed_out_is_401_json_and_nothing_changes(app: Flask, parties: Parties) -> None:
    entry_id = start_entry(parties.student, parties.placement, "free")
    token = _editor_token(parties, entry_id)
    autosave(parties.student, entry_id, token, 0, {"text": "Bewaard."})

    nobody = english_client(app)  # the session cookie gone: expired, or another browser
    response = autosave(nobody, entry_id, token, 1, {"text": "Verloren?"})
    assert response.status_code == 401
    assert response.json["error"] == "signed out"
    assert stored_entry(app, entry_id).answers == {"text": "<p>Bewaard.</p>"}


def test_a_token_from_an_earlier_session_gets_403_json(parties: Parties) -> None:
    """Signed in, but the page's token is not this session's: the script fetches a fresh one."""
    entry_id = start_entry(parties.student, parties.placement, "free")
    old_token = _editor_token(parties, entry_id)
    response = autosave(parties.student, entry_id, "not-a-token", 0, {"text": "x"})
    assert response.status_code == 403
    assert response.json["error"] == "csrf"
    assert autosave(parties.student, entry_id, old_token, 0, {"text": "x"}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"revision": "1", "answers": {}},
        {"revision": -1, "answers": {}},
        {"revision": True, "answers": {}},
        {"revision": 0, "answers": ["tekst"]},
        {"revision": 0, "answers": {"nope": "x"}},
        {"revision": 0, "answers": {"text": 5}},
        {"revision": 0, "answers": {"text": "x" * 50_001}},
        {"revision": 0, "answers": {}, "competencies": ["not-a-competency"]},
        {"revision": 0, "answers": {}, "competencies": "fg1"},
        {"revision": 0, "answers": {}, "title": ["x"]},
        {"revision": 0, "answers": {}, "is_final": "yes"},
    ],
)
def test_what_is_not_an_entry_is_400(parties: Parties, body: dict[str, object]) -> None:
    entry_id = start_entry(parties.student, parties.placement, "free")
    token = _editor_token(parties, entry_id)
    response = parties.student.post(
        f"/journals/entries/{entry_id}/autosave",
        json=body,
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert response.status_code == 400, text(response)
    assert stored_entry(parties.app, entry_id).revision == 0


def test_someone_elses_entry_is_404_json_and_a_coach_403(
    app: Flask, lms: TestLMS, parties: Parties
) -> None:
    entry_id = start_entry(parties.student, parties.placement, "free")
    bram = launch_client(app, lms, BRAM)
    token = token_of(bram, "/student")
    response = autosave(bram, entry_id, token, 0, {"text": "Van Bram"})
    assert response.status_code == 404
    assert response.json["error"] == "no such entry"
    coach_token = token_of(parties.coach, f"/journals/placements/{parties.placement}")
    assert autosave(parties.coach, entry_id, coach_token, 0, {"text": "x"}).status_code == 403
    assert stored_entry(app, entry_id).revision == 0


def test_submit_versions_and_revise(app: Flask, parties: Parties) -> None:
    student = parties.student
    entry_id = start_entry(student, parties.placement, "free")
    token = _editor_token(parties, entry_id)
    autosave(student, entry_id, token, 0, {"text": "Versie een."}, title="Mijn les")
    submitted = student.post(
        f"/journals/entries/{entry_id}/submit", data={"csrf_token": token, "revision": "1"}
    )
    assert submitted.status_code == 303
    assert stored_entry(app, entry_id).state == EntryState.SUBMITTED

    # The script of a tab left open: the entry was submitted meanwhile.
    late = autosave(student, entry_id, token, 2, {"text": "Te laat."})
    assert late.status_code == 409 and late.json["submitted"] is True

    read = text(student.get(f"/journals/entries/{entry_id}"))
    assert "Revise this entry" in read
    revised = student.post(f"/journals/entries/{entry_id}/revise", data={"csrf_token": csrf(read)})
    assert revised.status_code == 303
    assert stored_entry(app, entry_id).state == EntryState.DRAFT
    editor = text(student.get(f"/journals/entries/{entry_id}"))
    assert "Versie een.</textarea>" in editor
    assert f'href="/journals/entries/{entry_id}/versions/1"' in editor

    revision = stored_entry(app, entry_id).revision
    autosave(student, entry_id, csrf(editor), revision, {"text": "Versie twee."}, title="Mijn les")
    student.post(
        f"/journals/entries/{entry_id}/submit",
        data={"csrf_token": csrf(editor), "revision": str(revision + 1)},
    )
    assert [v.number for v in entry_versions(app, entry_id)] == [1, 2]
    one = text(student.get(f"/journals/entries/{entry_id}/versions/1"))
    assert "Versie een." in one and "Versie twee." not in one
    two = text(parties.coach.get(f"/journals/entries/{entry_id}/versions/2"))
    assert "Versie twee." in two
    assert student.get(f"/journals/entries/{entry_id}/versions/3").status_code == 404


def test_no_revising_while_a_hand_in_waits_for_a_grade(app: Flask, parties: Parties) -> None:
    student = parties.student
    entry_id = start_entry(student, parties.placement, "free")
    token = _editor_token(parties, entry_id)
    autosave(student, entry_id, token, 0, {"text": "Ingediend."})
    student.post(
        f"/journals/entries/{entry_id}/submit", data={"csrf_token": token, "revision": "1"}
    )
    with app.app_context():
        s = db.session()
        assignment = JournalAssignment(course_id=parties.course, title="Zes reflecties")
        s.add(assignment)
        s.flush()
        s.add(
            JournalReview(
                assignment_id=assignment.id,
                student_id=person_id(app, LOTTE.sub),
                placement_id=parties.placement,
                state=ReviewState.SUBMITTED,
            )
        )
        s.commit()
    read = text(student.get(f"/journals/entries/{entry_id}"))
    assert "Revise this entry" not in read
    refused = student.post(
        f"/journals/entries/{entry_id}/revise",
        data={"csrf_token": csrf(read)},
        follow_redirects=True,
    )
    assert "your journal is with your coach for a grade" in text(refused)
    assert stored_entry(app, entry_id).state == EntryState.SUBMITTED


def test_a_save_without_script_from_an_older_page_keeps_every_word(parties: Parties) -> None:
    student = parties.student
    entry_id = start_entry(student, parties.placement, "free")
    old_page = text(student.get(f"/journals/entries/{entry_id}"))
    autosave(
        student, entry_id, csrf(old_page), 0, {"text": "Uit de andere tab."}, competencies=["fg1"]
    )
    response = student.post(
        f"/journals/entries/{entry_id}",
        data={
            "csrf_token": csrf(old_page),
            "revision": "0",
            "action": "save",
            "a-text": "Uit deze tab, zonder script.",
            "competency": "fg2",
        },
    )
    assert response.status_code == 409
    page = text(response)
    assert "Uit deze tab, zonder script.</textarea>" in page  # what she typed, kept
    assert "Uit de andere tab." in page  # and the other version, to compare
    assert 'name="revision" value="1"' in page  # saving again keeps this page's text
    assert 'value="fg2" checked' in page and 'value="fg1" checked' not in page
    assert stored_entry(parties.app, entry_id).answers == {"text": "<p>Uit de andere tab.</p>"}


def test_control_characters_in_the_json_are_refused_not_stored(parties: Parties) -> None:
    """A NUL pasted into a textarea (PostgreSQL refuses it in text): refused before anything is
    written, as every form of the app does (core/input.py); the script keeps its copy and says
    the server refused it."""
    entry_id = start_entry(parties.student, parties.placement, "free")
    token = _editor_token(parties, entry_id)
    response = autosave(
        parties.student, entry_id, token, 0, {"text": "Voor\x00na."}, title="Ti\x00tel"
    )
    assert response.status_code == 400
    assert response.is_json
    assert stored_entry(parties.app, entry_id).revision == 0


def test_a_revised_entry_stays_in_the_coachs_list_as_last_submitted(
    app: Flask, parties: Parties
) -> None:
    student = parties.student
    entry_id = start_entry(student, parties.placement, "free")
    token = _editor_token(parties, entry_id)
    autosave(student, entry_id, token, 0, {"text": "Eerste versie."}, title="Herwerkt stuk")
    student.post(
        f"/journals/entries/{entry_id}/submit", data={"csrf_token": token, "revision": "1"}
    )
    student.post(f"/journals/entries/{entry_id}/revise", data={"csrf_token": token})
    autosave(student, entry_id, token, 3, {"text": "Nog niet klaar."}, title="Herwerkt stuk")
    journal = text(parties.coach.get(f"/journals/placements/{parties.placement}"))
    assert "Herwerkt stuk" in journal and "being revised" in journal
    read = text(parties.coach.get(f"/journals/entries/{entry_id}"))
    assert "Eerste versie." in read and "Nog niet klaar." not in read
    assert "The student is revising this entry" in read
