"""A student writes her reflection journal: from her home to the journal of her placement, a new
STARR entry, saved without script, submitted (read-only, version 1), read by her coach; ALACT
shows its phases and the eight looking-back questions; a growth point of a feedback form starts
an entry that quotes it, and a tampered form or quote stores nothing; an empty entry is not
submitted but what was typed stays; the privacy reminder is next to the editor.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask

from lti_app import clock
from lti_app.journals.models import EntryState
from tests.feedback import add_form
from tests.guests import add_placement, csrf, launched_course, person_id, text
from tests.journals import (
    entry_count,
    entry_id_of,
    entry_versions,
    new_entry,
    revision_on,
    start_entry,
    stored_entry,
    token_of,
)
from tests.lms import TestLMS
from tests.signing import COACH, Parties, three_parties

PRIVACY = "do not belong in a reflection"


@pytest.fixture
def parties(app: Flask, lms: TestLMS) -> Parties:
    return three_parties(app, lms)


def test_from_her_home_to_a_submitted_entry_her_coach_reads(parties: Parties) -> None:
    student, coach, pid = parties.student, parties.coach, parties.placement
    home = text(student.get("/student"))
    assert f'href="/journals/placements/{pid}"' in home
    assert "My reflection journal" in home

    journal = unescape(text(student.get(f"/journals/placements/{pid}")))
    for choice in ("Korthagen's reflection cycle (ALACT)", "STARR", "Free reflection"):
        assert choice in journal
    entry_id = start_entry(student, pid, "starr")

    editor = student.get(f"/journals/entries/{entry_id}")
    assert editor.status_code == 200
    assert editor.headers["Cache-Control"] == "no-store"
    page = text(editor)
    for label in ("Situation", "Task", "Action", "Result", "Reflection"):
        assert f">{label}</label>" in page
    assert PRIVACY in page
    assert 'value="fg3"' in page  # the programme's competencies to tick

    saved = student.post(
        f"/journals/entries/{entry_id}",
        data={
            "csrf_token": csrf(page),
            "revision": str(revision_on(page)),
            "action": "save",
            "title": "Parabolen in 3B",
            "a-situation": "Laatste lesuur.\n\nDe klas was onrustig.",
            "a-reflection": "Eerst een voorbeeld klassikaal.",
            "competency": ["fg3", "fg1"],
        },
    )
    assert saved.status_code == 303
    stored = stored_entry(parties.app, entry_id)
    assert stored.answers["situation"] == "<p>Laatste lesuur.</p><p>De klas was onrustig.</p>"
    assert stored.competencies == ["fg1", "fg3"]  # the framework's order
    again = text(student.get(f"/journals/entries/{entry_id}"))
    assert "Laatste lesuur.\n\nDe klas was onrustig.</textarea>" in again
    assert "Saved at" in again

    submitted = student.post(
        f"/journals/entries/{entry_id}",
        data={
            "csrf_token": csrf(again),
            "revision": str(revision_on(again)),
            "action": "submit",
            "title": "Parabolen in 3B",
            "a-situation": "Laatste lesuur.\n\nDe klas was onrustig.",
            "a-reflection": "Eerst een voorbeeld klassikaal.",
            "competency": ["fg3", "fg1"],
        },
        follow_redirects=True,
    )
    read = text(submitted)
    assert "Submitted (version 1)" in read
    assert 'id="entry-form"' not in read  # read-only now
    assert "<p>Laatste lesuur.</p><p>De klas was onrustig.</p>" in read
    assert "The teacher as subject expert" in read
    assert stored_entry(parties.app, entry_id).state == EntryState.SUBMITTED
    [version] = entry_versions(parties.app, entry_id)
    assert version.number == 1 and version.title == "Parabolen in 3B"

    coach_journal = text(coach.get(f"/journals/placements/{pid}"))
    assert "Reflection journal of Lotte Janssens" in coach_journal
    assert "Parabolen in 3B" in coach_journal
    coach_read = coach.get(f"/journals/entries/{entry_id}")
    assert coach_read.status_code == 200
    assert "De klas was onrustig." in text(coach_read)
    assert 'id="entry-form"' not in text(coach_read)


def test_her_coach_never_sees_a_draft(parties: Parties) -> None:
    entry_id = start_entry(parties.student, parties.placement, "free")
    page = text(parties.student.get(f"/journals/entries/{entry_id}"))
    parties.student.post(
        f"/journals/entries/{entry_id}",
        data={"csrf_token": csrf(page), "revision": "0", "action": "save", "a-text": "Nog bezig"},
    )
    assert parties.coach.get(f"/journals/entries/{entry_id}").status_code == 404
    assert "Nog bezig" not in text(parties.coach.get(f"/journals/placements/{parties.placement}"))
    # A coach writes nothing in a student's journal.
    token = token_of(parties.coach, f"/journals/placements/{parties.placement}")
    response = parties.coach.post(
        f"/journals/placements/{parties.placement}/entries",
        data={"csrf_token": token, "prompt_set": "free"},
    )
    assert response.status_code == 403


def test_alact_asks_its_phases_and_the_eight_questions(parties: Parties) -> None:
    entry_id = start_entry(parties.student, parties.placement, "alact")
    page = text(parties.student.get(f"/journals/entries/{entry_id}"))
    assert "<legend>2. Looking back</legend>" in page
    for question in (
        "What did I want?",
        "What did I do?",
        "What did I think?",
        "What did I feel?",
        "What did the pupils want?",
        "What did the pupils do?",
        "What did the pupils think?",
        "What did the pupils feel?",
        "1. Action",
        "3. Awareness of essential aspects",
        "4. Creating alternatives and choosing one",
        "5. Trial",
    ):
        assert question in page, question
    assert "This starts your next cycle." in page


def test_an_empty_entry_is_not_submitted_and_what_was_typed_stays(parties: Parties) -> None:
    entry_id = start_entry(parties.student, parties.placement, "free")
    page = text(parties.student.get(f"/journals/entries/{entry_id}"))
    response = parties.student.post(
        f"/journals/entries/{entry_id}",
        data={
            "csrf_token": csrf(page),
            "revision": "0",
            "action": "submit",
            "title": "Nog niets",
            "a-text": "   ",
        },
    )
    assert response.status_code == 422
    assert "Write at least one answer before you submit." in text(response)
    stored = stored_entry(parties.app, entry_id)
    assert stored.state == EntryState.DRAFT and stored.title == "Nog niets"


def test_a_final_reflection_is_marked_as_one(parties: Parties) -> None:
    entry_id = entry_id_of(
        new_entry(parties.student, parties.placement, prompt_set="free", is_final="1")
    )
    assert stored_entry(parties.app, entry_id).is_final
    journal = text(parties.student.get(f"/journals/placements/{parties.placement}"))
    assert "final reflection" in journal


def test_unknown_prompt_set_is_refused_and_nothing_stored(parties: Parties) -> None:
    before = entry_count(parties.app)
    assert new_entry(parties.student, parties.placement, prompt_set="nope").status_code == 400
    assert entry_count(parties.app) == before


# -- started from feedback ----------------------------------------------------------------------

GROWTH = "Meer wachttijd na een vraag.\n- Differentiëren voor de snelle leerlingen."


def test_a_growth_point_starts_an_entry_that_quotes_it(parties: Parties) -> None:
    form_id = add_form(
        parties.app,
        parties.placement,
        person_id=person_id(parties.app, COACH.sub),
        answers={"goals": "voldoende", "strengths": "Heldere start.", "growth": GROWTH},
    )
    page = text(parties.student.get(f"/feedback/forms/{form_id}"))
    assert "Write a reflection on this" in page
    forms = re.findall(
        r'<form method="post" action="/journals/placements/\d+/entries">(.*?)</form>',
        page,
        re.S,
    )
    assert len(forms) == 3  # two growth points and the whole form
    assert 'value="Differentiëren voor de snelle leerlingen."' in forms[1]

    response = parties.student.post(
        f"/journals/placements/{parties.placement}/entries",
        data={
            "csrf_token": csrf(page),
            "feedback_form_id": str(form_id),
            "starting_point": "Differentiëren voor de snelle leerlingen.",
            "prompt_set": "alact",
        },
    )
    entry_id = entry_id_of(response)
    stored = stored_entry(parties.app, entry_id)
    assert stored.feedback_form_id == form_id
    assert stored.starting_point == "Differentiëren voor de snelle leerlingen."
    editor = text(parties.student.get(f"/journals/entries/{entry_id}"))
    assert "<blockquote>Differentiëren voor de snelle leerlingen.</blockquote>" in editor
    assert f'href="/feedback/forms/{form_id}"' in editor


def test_tampered_feedback_starts_store_nothing(parties: Parties, lms: TestLMS) -> None:
    app = parties.app
    coach = person_id(app, COACH.sub)
    mine = add_form(app, parties.placement, person_id=coach, answers={"growth": GROWTH})
    draft = add_form(
        app, parties.placement, person_id=coach, answers={"growth": GROWTH}, submitted=False
    )
    other_placement = add_placement(app, mentors=[], course_id=launched_course(app))
    theirs = add_form(app, other_placement, person_id=coach, answers={"growth": GROWTH})
    token = token_of(parties.student, f"/journals/placements/{parties.placement}")
    before = entry_count(app)
    for form_id, quote in (
        (str(theirs), ""),  # another student's form
        (str(draft), ""),  # not submitted
        ("999999", ""),  # none
        ("x1", ""),  # not an id
        (str(mine), "Iets wat de mentor nooit schreef"),  # a quote the form does not hold
    ):
        response = parties.student.post(
            f"/journals/placements/{parties.placement}/entries",
            data={
                "csrf_token": token,
                "feedback_form_id": form_id,
                "starting_point": quote,
                "prompt_set": "alact",
            },
        )
        assert response.status_code == 400, (form_id, quote)
    assert entry_count(app) == before


# -- nobody else ---------------------------------------------------------------------------------


def test_another_student_and_another_courses_coach_get_404(
    app: Flask, lms: TestLMS, parties: Parties
) -> None:
    from tests.guests import english_client, launch_client
    from tests.journals import add_entry, stored_entry
    from tests.launching import FlaskBrowser, launch
    from tests.lms import INSTRUCTOR, Person
    from tests.signing import BRAM

    pid = parties.placement
    submitted = add_entry(app, pid, title="Geheim van Lotte")
    draft = add_entry(app, pid, title="Kladje van Lotte", submitted=False)
    bram = launch_client(app, lms, BRAM)
    other_coach = english_client(app)
    launched = launch(
        FlaskBrowser(other_coach),
        lms,
        Person("coach-9", "Koen Elders", [INSTRUCTOR], "koen@hogeschool.example", "en"),
        context={"context_id": "course-2", "context_title": "Stage BaO", "context_label": "BaO"},
    )
    assert launched.status == 200
    gets = [
        f"/journals/placements/{pid}",
        f"/journals/entries/{submitted}",
        f"/journals/entries/{draft}",
        f"/journals/entries/{submitted}/versions/1",
        f"/journals/placements/{pid}/export.html",
        f"/journals/placements/{pid}/export.pdf",
    ]
    posts = [
        (f"/journals/placements/{pid}/entries", {"prompt_set": "free"}),
        (f"/journals/entries/{draft}", {"revision": "1", "action": "save", "a-text": "Bram"}),
        (f"/journals/entries/{draft}/submit", {"revision": "1"}),
        (f"/journals/entries/{submitted}/revise", {}),
    ]
    before = (entry_count(app), stored_entry(app, draft).revision)
    for client, name in ((bram, "another student"), (other_coach, "another course's coach")):
        token = csrf(text(client.get("/student" if client is bram else "/coach")))
        for path in gets:
            response = client.get(path)
            assert response.status_code == 404, (name, path, response.status_code)
            assert "Lotte" not in text(response)
        for path, data in posts:
            response = client.post(path, data={"csrf_token": token, **data})
            assert response.status_code in (403, 404), (name, path, response.status_code)
        response = client.post(
            f"/journals/entries/{draft}/autosave",
            json={"revision": 1, "answers": {"text": "Bram"}},
            headers={"X-CSRFToken": token, "Accept": "application/json"},
        )
        assert response.status_code in (403, 404), (name, response.status_code)
    assert (entry_count(app), stored_entry(app, draft).revision) == before
    assert stored_entry(app, submitted).state == EntryState.SUBMITTED


# -- ALACT's next cycle, and what the coach asks ---------------------------------------------------


def test_trying_it_out_starts_the_next_cycle(app: Flask, parties: Parties) -> None:
    from tests.journals import add_entry

    pid = parties.placement
    done = add_entry(
        app,
        pid,
        prompt_set="alact",
        answers={"action": "Instructie.", "trial": "Na twee minuten een vraag stellen."},
    )
    draft = add_entry(app, pid, prompt_set="alact", submitted=False)
    starr = add_entry(app, pid, prompt_set="starr")
    read = text(parties.student.get(f"/journals/entries/{done}"))
    assert "Start the next cycle" in read
    assert "Start the next cycle" not in text(parties.student.get(f"/journals/entries/{starr}"))
    response = parties.student.post(
        f"/journals/placements/{pid}/entries",
        data={"csrf_token": csrf(read), "prompt_set": "alact", "next_cycle_of": str(done)},
    )
    started = stored_entry(app, entry_id_of(response))
    assert started.prompt_set == "alact"
    assert started.starting_point == "Na twee minuten een vraag stellen."
    editor = text(parties.student.get(f"/journals/entries/{started.id}"))
    assert "Started from what you would try next" in editor
    before = entry_count(app)
    for bad in (str(draft), str(starr), "99999", "x"):
        refused = parties.student.post(
            f"/journals/placements/{pid}/entries",
            data={"csrf_token": csrf(read), "prompt_set": "alact", "next_cycle_of": bad},
        )
        assert refused.status_code == 400, bad
    assert entry_count(app) == before


def test_the_journal_says_what_the_coach_asks(app: Flask, parties: Parties) -> None:
    from datetime import date

    from lti_app import db
    from lti_app.journals.models import JournalAssignment

    with app.app_context():
        s = db.session()
        s.add(
            JournalAssignment(
                course_id=parties.course,
                title="Reflectiejournaal semester 1",
                entries_required=6,
                final_required=True,
                due_date=date(2027, 1, 15),
            )
        )
        s.add(
            JournalAssignment(
                course_id=parties.course,
                title="Gearchiveerd",
                archived_at=clock.now(),
            )
        )
        s.commit()
    page = text(parties.student.get(f"/journals/placements/{parties.placement}"))
    assert "Reflectiejournaal semester 1" in page
    assert "6 entries" in page and "and a final reflection" in page
    assert "15 January 2027" in page
    assert "Gearchiveerd" not in page
