"""The student downloads her journal as a web page and as a PDF: every submitted entry in the
order she submitted it, with its prompts and answers, competencies, dates and the version shown
(a revised entry as last submitted, a draft not at all); an attachment, kept in no cache. Her
coach may download it too; another student and a coach of another course get 404.
"""

from __future__ import annotations

import io
from html import unescape
from urllib.parse import unquote

import pytest
from flask import Flask
from pypdf import PdfReader

from tests.guests import english_client, launch_client, text
from tests.journals import add_entry
from tests.launching import FlaskBrowser, launch
from tests.lms import INSTRUCTOR, Person, TestLMS
from tests.signing import BRAM, Parties, three_parties

OTHER_COACH = Person("coach-9", "Koen Elders", [INSTRUCTOR], "koen@hogeschool.example", "en")


@pytest.fixture
def parties(app: Flask, lms: TestLMS) -> Parties:
    return three_parties(app, lms)


@pytest.fixture
def journal(parties: Parties) -> Parties:
    app, pid = parties.app, parties.placement
    add_entry(app, pid, title="Eerste week", days_ago=20, competencies=["fg1"])
    add_entry(
        app,
        pid,
        prompt_set="free",
        title="Klasmanagement",
        answers={"text": "Rust in de klas na de speeltijd.\n\n- een timer\n- vaste plaatsen"},
        days_ago=5,
    )
    add_entry(app, pid, prompt_set="free", title="Nog een kladversie", submitted=False)
    add_entry(
        app,
        pid,
        prompt_set="free",
        title="Eindreflectie",
        answers={"text": "Wat ik meeneem: geduld."},
        is_final=True,
        days_ago=1,
    )
    return parties


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_html_export_holds_her_submitted_entries_in_order(journal: Parties) -> None:
    response = journal.student.get(f"/journals/placements/{journal.placement}/export.html")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "no-store" in response.headers["Cache-Control"]
    disposition = unquote(response.headers["Content-Disposition"])
    assert disposition.startswith("attachment;")
    assert "Reflection journal Lotte Janssens.html" in disposition
    page = unescape(text(response))
    assert "Reflection journal of Lotte Janssens" in page
    assert page.index("Eerste week") < page.index("Klasmanagement") < page.index("Eindreflectie")
    assert "Nog een kladversie" not in page  # a draft is not part of the journal yet
    for prompt in ("Situation", "Task", "Action", "Result", "Reflection"):
        assert f'<p class="label">{prompt}</p>' in page
    assert "De klas zelf de top van een parabool laten vinden." in page
    assert "<ul><li>een timer</li><li>vaste plaatsen</li></ul>" in page
    assert "The teacher as guide of learning and development" in page
    assert "version 1" in page and "final reflection" in page
    assert "<link" not in page and "<script" not in page  # standalone


def test_the_pdf_holds_the_same(journal: Parties) -> None:
    response = journal.student.get(f"/journals/placements/{journal.placement}/export.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]
    assert unquote(response.headers["Content-Disposition"]).startswith("attachment;")
    assert response.data.startswith(b"%PDF")
    found = " ".join(pdf_text(response.data).split())
    assert "Reflection journal of Lotte Janssens" in found
    assert found.index("Eerste week") < found.index("Klasmanagement") < found.index("Eindreflectie")
    assert "De klas zelf de top van een parabool laten vinden." in found
    assert "Rust in de klas na de speeltijd." in found
    assert "The teacher as guide of learning and development" in found
    assert "version 1" in found
    assert "Nog een kladversie" not in found


def test_a_revised_entry_is_exported_as_last_submitted(app: Flask, journal: Parties) -> None:
    from lti_app import db
    from lti_app.journals import writing
    from lti_app.journals.models import JournalEntry

    entry_id = add_entry(app, journal.placement, prompt_set="free", title="Herwerkt", days_ago=2)
    with app.app_context():
        s = db.session()
        entry = s.get(JournalEntry, entry_id)
        assert entry is not None
        writing.revise(s, entry)
        writing.save(
            s,
            entry,
            base_revision=entry.revision,
            title="Herwerkt",
            answers={"text": "Half herschreven"},
            competencies=[],
        )
        s.commit()
    page = text(journal.student.get(f"/journals/placements/{journal.placement}/export.html"))
    assert "Herwerkt" in page and "Half herschreven" not in page


def test_her_coach_may_export_and_nobody_else(app: Flask, lms: TestLMS, journal: Parties) -> None:
    pid = journal.placement
    for kind in ("html", "pdf"):
        assert journal.coach.get(f"/journals/placements/{pid}/export.{kind}").status_code == 200
    bram = launch_client(app, lms, BRAM)
    other = english_client(app)
    page = launch(
        FlaskBrowser(other),
        lms,
        OTHER_COACH,
        context={"context_id": "course-2", "context_title": "Stage BaO", "context_label": "BaO"},
    )
    assert page.status == 200
    nobody = english_client(app)
    for client, status in ((bram, 404), (other, 404), (journal.mentor, 403), (nobody, 401)):
        for kind in ("html", "pdf"):
            response = client.get(f"/journals/placements/{pid}/export.{kind}")
            assert response.status_code == status, (kind, status, response.status_code)
            assert b"Eerste week" not in response.data
