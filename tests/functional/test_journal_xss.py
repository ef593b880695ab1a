"""An XSS payload in a journal entry is shown as text, never run: in every answer and in the
title, typed (autosave or the no-script save) or already in the database (as if an older
version had stored it unsanitised), on every page that shows an entry — the editor, the read
page, a version, the journal list, the coach's pages, the HTML export — and in the PDF as text.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask import Flask

from lti_app import db
from lti_app.journals.models import JournalEntry, JournalEntryVersion
from tests.feedback import add_form
from tests.guests import csrf, person_id, text
from tests.journals import autosave, entry_id_of, start_entry, stored_entry, token_of
from tests.lms import TestLMS
from tests.signing import COACH, Parties, three_parties

PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">klik</a>',
    '"><svg onload=alert(1)>',
)
STARR = ("situation", "task", "action", "result", "reflection")


class _Elements(HTMLParser):
    """Every element of a page with its attributes, as a browser would build them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []
        self.inline_script = False
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k.lower(): v or "" for k, v in attrs}))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_script = True


def assert_inert(page: str) -> None:
    """No element the payloads could have made: no inline script, no script from elsewhere,
    no image or svg, no event-handler attribute, no javascript: address."""
    parser = _Elements()
    parser.feed(page)
    assert not parser.inline_script
    for tag, attrs in parser.found:
        assert tag not in ("img", "svg", "iframe", "object"), (tag, attrs)
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/"), attrs
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, attrs)
            assert not value.strip().lower().startswith("javascript:"), (tag, attrs)


@pytest.fixture
def parties(app: Flask, lms: TestLMS) -> Parties:
    return three_parties(app, lms)


def _submitted_with_payloads(parties: Parties) -> int:
    student = parties.student
    entry_id = start_entry(student, parties.placement, "starr")
    token = token_of(student, f"/journals/entries/{entry_id}")
    answers = {key: f"{key}: " + " ".join(PAYLOADS) for key in STARR}
    saved = autosave(student, entry_id, token, 0, answers, title=" ".join(PAYLOADS))
    assert saved.status_code == 200, text(saved)
    stored = stored_entry(parties.app, entry_id)
    for key in STARR:
        assert "<script" not in stored.answers[key]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in stored.answers[key]
    editor = text(student.get(f"/journals/entries/{entry_id}"))
    assert_inert(editor)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in editor  # shown as text in the textarea
    student.post(
        f"/journals/entries/{entry_id}/submit", data={"csrf_token": token, "revision": "1"}
    )
    return entry_id


def test_typed_payloads_show_as_text_on_every_page(parties: Parties) -> None:
    entry_id = _submitted_with_payloads(parties)
    pid = parties.placement
    pages = {
        "read": parties.student.get(f"/journals/entries/{entry_id}"),
        "version": parties.student.get(f"/journals/entries/{entry_id}/versions/1"),
        "journal": parties.student.get(f"/journals/placements/{pid}"),
        "coach read": parties.coach.get(f"/journals/entries/{entry_id}"),
        "coach journal": parties.coach.get(f"/journals/placements/{pid}"),
        "export": parties.student.get(f"/journals/placements/{pid}/export.html"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        page = text(response)
        assert_inert(page)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, name
        assert "&lt;img src=x onerror=alert(1)&gt;" in page, name

    pdf = parties.student.get(f"/journals/placements/{pid}/export.pdf")
    assert pdf.data.startswith(b"%PDF")


def test_payloads_saved_without_script_are_text_too(parties: Parties) -> None:
    student = parties.student
    entry_id = start_entry(student, parties.placement, "free")
    page = text(student.get(f"/journals/entries/{entry_id}"))
    response = student.post(
        f"/journals/entries/{entry_id}",
        data={
            "csrf_token": csrf(page),
            "revision": "0",
            "action": "save",
            "title": PAYLOADS[1],
            "a-text": "\n\n".join(PAYLOADS),
        },
        follow_redirects=True,
    )
    assert_inert(text(response))
    assert "&lt;img src=x onerror=alert(1)&gt;" in text(response)


def test_unsanitised_html_in_the_database_is_cleaned_when_shown(parties: Parties) -> None:
    """Stored HTML is rendered only through clean_html again: a row written around the writing
    service (an import, an old bug) still cannot run script."""
    entry_id = _submitted_with_payloads(parties)
    raw = (
        '<p>Goed <strong>bezig</strong></p><script>alert(1)</script><img src=x onerror="alert(1)">'
        '<a href="javascript:alert(1)">klik</a><p onclick="alert(1)">tekst</p>'
    )
    with parties.app.app_context():
        s = db.session()
        entry = s.get(JournalEntry, entry_id)
        assert entry is not None
        entry.answers = {**entry.answers, "task": raw}
        version = s.get(JournalEntryVersion, 1)
        assert version is not None
        version.answers = {**version.answers, "task": raw}
        s.commit()
    for path in (
        f"/journals/entries/{entry_id}",
        f"/journals/entries/{entry_id}/versions/1",
        f"/journals/placements/{parties.placement}/export.html",
    ):
        page = text(parties.student.get(path))
        assert_inert(page)
        assert "onclick" not in page
        assert "<p>Goed <strong>bezig</strong></p>" in page
        assert "klik" in page


def test_a_quoted_growth_point_with_a_payload_is_text(parties: Parties) -> None:
    form_id = add_form(
        parties.app,
        parties.placement,
        person_id=person_id(parties.app, COACH.sub),
        answers={"growth": PAYLOADS[0]},
    )
    page = text(parties.student.get(f"/feedback/forms/{form_id}"))
    assert_inert(page)
    response = parties.student.post(
        f"/journals/placements/{parties.placement}/entries",
        data={
            "csrf_token": csrf(page),
            "feedback_form_id": str(form_id),
            "starting_point": PAYLOADS[0],
            "prompt_set": "free",
        },
    )
    editor = text(parties.student.get(f"/journals/entries/{entry_id_of(response)}"))
    assert_inert(editor)
    assert "<blockquote>&lt;script&gt;alert(1)&lt;/script&gt;</blockquote>" in editor


@pytest.mark.parametrize(
    "typed",
    [
        "Eén zin.",
        "Eerste regel\ntweede regel\n\nNieuwe alinea",
        "- een\n- twee\n\nen dan tekst",
        "x < y & z > w, <b>vet?</b> \"quotes\" 'en' `code`",
        "  ingesprongen\n\n    code-achtig",
    ],
)
def test_what_she_typed_reads_back_exactly(typed: str) -> None:
    from lti_app.journals.sanitize import clean_html, plain_text, text_to_html

    html = text_to_html(typed)
    assert clean_html(html) == html  # stored as the allow-list keeps it
    assert plain_text(html) == typed
    assert_inert(html)
