"""The agreement page as a document: the signed text shown as parties, chapters and clauses,
every word of it and nothing else; a failed signature said at the top and at the box; the
names of those whose signatures a save would void, before saving."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask, render_template

from lti_app import db
from lti_app.agreements import voiding
from lti_app.agreements.defaults import DEFAULT_ORDER, default_sections, parse_order
from lti_app.agreements.document import Clause, Fact, read
from lti_app.agreements.models import AgreementTemplate
from lti_app.agreements.text import addendum_text, agreement_text
from lti_app.placements.models import Placement, Track
from tests import factories
from tests.guests import add_mentor, add_placement, csrf, text
from tests.lms import TestLMS
from tests.signing import (
    Parties,
    documents,
    make_agreement,
    page_of,
    post,
    post_signature,
    send_for_signing,
    sign,
    sign_forms,
    signatures,
    three_parties,
)

ANSWERS = {
    "schedule": "Maandag 8:25–15:45\n\nDonderdag: de hele dag",
    "learning_goals": "Differentiëren\n  met niveaugroepen",
    "arrangements": "",
}


@pytest.fixture
def parties(app: Flask, lms: TestLMS) -> Parties:
    return three_parties(app, lms)


def _texts(app: Flask, language: str, track: Track) -> tuple[str, str]:
    """An agreement's and an addendum's text as ``text.py`` writes them."""
    with app.test_request_context():
        s = db.session()
        with factories.bound(s):
            placement = factories.PlacementFactory(track=track, lio_teaching_hours=320)
            programme = factories.ProgrammeFactory()
        template = AgreementTemplate(
            programme=programme,
            version=3,
            language=language,
            college_name="Hogeschool Noord",
            sections=default_sections(language),
            signing_order=parse_order(DEFAULT_ORDER),
        )
        order = parse_order(DEFAULT_ORDER)
        agreement = agreement_text(
            number=7, placement=placement, template=template, fields=ANSWERS, signing_order=order
        )
        addendum = addendum_text(
            number=1,
            agreement_number=7,
            agreement_sha256="a" * 64,
            placement=placement,
            template=template,
            title="Stage verlengd",
            body="Twee weken langer.\n\nTot 20 februari.",
            signing_order=order,
        )
        s.rollback()
        return agreement, addendum


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("track", [Track.STAGE, Track.LIO])
def test_the_text_reads_back_into_exactly_itself(app: Flask, language: str, track: Track) -> None:
    agreement, addendum = _texts(app, language, track)
    with app.test_request_context():
        document = read(agreement, language)
        assert document is not None
        assert document.source() == agreement
        kinds = [s.kind for s in document.sections]
        assert kinds[:2] == ["head", "parties"] and kinds[-1] == "plain"
        chapters = [s for s in document.sections if s.kind == "chapter"]
        assert len(chapters) == (7 if track == Track.LIO else 6)
        assert [p.key for p in document.sections[1].parties] == [
            "student",
            "school",
            "college",
            "placement",
        ]
        school = document.sections[1].parties[1].facts
        assert len(school) == 4  # name and address, instellingsnummer, contact person, mentor
        clauses = [line for c in chapters for line in c.lines() if isinstance(line, Clause)]
        assert clauses[0].number == "1.1" and len(clauses) > 20
        answers = {
            line.label: line.value
            for c in chapters
            for line in c.lines()
            if isinstance(line, Fact) and line.multiline
        }
        assert "Maandag 8:25–15:45\n\nDonderdag: de hele dag" in answers.values()
        assert "Differentiëren\nmet niveaugroepen" in answers.values()  # lines are trimmed

        appended = read(addendum, language)
        assert appended is not None and appended.source() == addendum
        assert appended.sections[1].kind == "parties"


def test_a_text_that_does_not_read_back_is_shown_as_it_is(app: Flask) -> None:
    with app.test_request_context():
        assert read("TITLE\n\n1. Chapter\nLabel:\n  answer\n  \n", "en") is None
        assert read("\nTITLE\n", "en") is None
        assert read("TITLE", "en") is None


def _words(value: str) -> list[str]:
    return re.findall(r"[^\s:]+", value)


def _article(html: str, number: int = 0) -> str:
    section = html.split(f'id="document-{number}"', 1)[1]
    match = re.search(r'<article class="agreement-doc".*?</article>', section, flags=re.S)
    assert match, section[:2000]
    return match.group(0)


def test_the_page_shows_every_word_of_the_signed_text_and_nothing_else(
    app: Flask, parties: Parties
) -> None:
    agreement = make_agreement(parties)
    post(
        parties.student,
        f"/agreements/{agreement}/fields",
        f"/agreements/{agreement}/fields",
        ANSWERS,
    )
    send_for_signing(parties, agreement)
    html = page_of(parties.student, agreement)
    [document] = documents(app, agreement)
    article = _article(html)
    shown = unescape(re.sub(r"<[^>]+>", " ", article))
    assert _words(shown) == _words(document.text)
    # Chapters are headings, clauses an ordered list, the parties definition lists.
    assert '<h3 id="doc-0-ch-3">1. ' in article
    assert article.count('<ol class="clauses"') == 6  # one per chapter
    assert re.search(r'<div class="party party-school">\s*<dl class="doc-facts">', article)
    # No box that scrolls inside the page; the hash and /verify are tucked into a details.
    assert "max-height" not in html and 'tabindex="0"' not in html
    fingerprint = html.split('<details class="fingerprint">', 1)[1].split("</details>", 2)
    assert document.text_sha256 in fingerprint[0] and 'href="/verify"' in fingerprint[0]
    # The sign form still carries the hash of the text the page reads from.
    [(_document_id, digest)] = sign_forms(html)
    assert digest == document.text_sha256


def test_a_text_the_page_cannot_read_is_shown_plain(
    app: Flask, parties: Parties, monkeypatch: pytest.MonkeyPatch
) -> None:
    agreement = make_agreement(parties)
    monkeypatch.setattr("lti_app.agreements.views.read_document", lambda text, language: None)
    html = page_of(parties.coach, agreement)
    [document] = documents(app, agreement)
    assert "agreement-doc" not in html
    plain = re.search(r'<div class="agreement-text"[^>]*>(.*?)</div>', html, flags=re.S)
    assert plain and unescape(plain.group(1)) == document.text


def test_an_unticked_box_is_said_at_the_top_and_at_the_box(app: Flask, parties: Parties) -> None:
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    response = sign(parties.student, agreement, agree=False)
    assert response.status_code == 422
    html = text(response)
    [document] = documents(app, agreement)
    summary = re.search(r'<div [^>]*id="problems".*?</div>', html, flags=re.S)
    assert summary, html[:3000]
    assert 'role="alert"' in summary.group(0) and 'tabindex="-1"' in summary.group(0)
    assert f'href="#agree-{document.id}"' in summary.group(0)
    assert "Tick the box to say you read and agree." in summary.group(0)
    assert html.index('id="problems"') < html.index('<article class="agreement-doc"')
    box = re.search(rf'<input type="checkbox" id="agree-{document.id}"[^>]*>', html)
    assert box and 'aria-invalid="true"' in box.group(0)
    assert f'aria-describedby="agree-{document.id}-error"' in box.group(0)
    assert re.search(rf'id="agree-{document.id}-error">Tick the box', html)
    assert "/static/error-focus.js" in html
    assert signatures(app) == []
    # Ticked, it signs.
    assert sign(parties.student, agreement).status_code == 303
    assert signatures(app) == [("student", "Lotte Janssens", True)]
    after = page_of(parties.student, agreement)
    assert 'id="problems"' not in after and "aria-invalid" not in after


def test_a_text_changed_while_reading_shows_the_new_text_to_sign(
    app: Flask, parties: Parties
) -> None:
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    html = page_of(parties.student, agreement)
    [(document_id, stale)] = sign_forms(html)
    post(
        parties.coach,
        f"/agreements/{agreement}/fields",
        f"/agreements/{agreement}/fields",
        {"schedule": "Dinsdag"},
    )
    response = post_signature(parties.student, csrf(html), document_id, stale)
    assert response.status_code == 409
    changed = text(response)
    summary = re.search(r'<div [^>]*id="problems".*?</div>', changed, flags=re.S)
    assert summary and 'href="#document-0"' in summary.group(0)
    assert "The text changed while you were reading it" in summary.group(0)
    [(_same, fresh)] = sign_forms(changed)
    [document] = documents(app, agreement)
    assert fresh == document.text_sha256 != stale
    assert "Dinsdag" in _article(changed)
    assert signatures(app) == []
    assert post_signature(parties.student, csrf(changed), document_id, fresh).status_code == 303
    assert signatures(app) == [("student", "Lotte Janssens", True)]


def test_whose_signatures_a_save_would_void_is_known_before_saving(
    app: Flask, lms: TestLMS, parties: Parties
) -> None:
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    with app.test_request_context():
        assert not voiding.for_placement(db.session(), parties.placement)
    assert sign(parties.student, agreement).status_code == 303
    assert sign(parties.mentor, agreement).status_code == 303

    # A second placement at the same school, signed by its student too.
    with app.app_context():
        s = db.session()
        first = s.get(Placement, parties.placement)
        assert first is not None
        school_id = first.school_id
    other_mentor = add_mentor(app, "jan.peeters@atheneum.example", "Jan Peeters")
    second = add_placement(
        app,
        mentors=[other_mentor],
        course_id=parties.course,
        student_name="Bram Claes",
    )
    with app.app_context():
        s = db.session()
        placement = s.get(Placement, second)
        assert placement is not None
        placement.school_id = school_id
        s.commit()

    with app.test_request_context(headers={"Accept-Language": "en"}):
        s = db.session()
        at_placement = voiding.for_placement(s, parties.placement)
        assert at_placement.signers == (("Lotte Janssens", "student"), ("Els Mertens", "school"))
        assert at_placement.agreements == 1
        assert at_placement.names() == "Lotte Janssens (student) and Els Mertens (school)"
        assert voiding.for_school(s, school_id).agreements == 1  # Bram has no agreement yet
        assert not voiding.for_placement(s, second)

        shown = render_template(
            "agreements/_void_warning.html", void_warning=at_placement, void_warning_of="details"
        )
        assert 'id="void-warning"' in shown
        assert (
            "Lotte Janssens (student) and Els Mertens (school) signed the agreement already."
            in " ".join(shown.split())
        )
        several = voiding.AtStake(
            (("Lotte Janssens", "student"), ("Bram Claes", "student")), agreements=2
        )
        shown = " ".join(
            render_template(
                "agreements/_void_warning.html", void_warning=several, void_warning_of="details"
            ).split()
        )
        assert "(2 agreements not yet in force)" in shown
        nobody = render_template(
            "agreements/_void_warning.html",
            void_warning=voiding.AtStake((), 0),
            void_warning_of="details",
        )
        assert not nobody.strip()
        many = voiding.AtStake(tuple((f"Person {i}", "student") for i in range(9)), 9)
        assert many.names().endswith("and 3 others")

    # The coach's fill-in form says it above the save button, which points at it.
    form = text(parties.coach.get(f"/agreements/{agreement}/fields"))
    assert "Lotte Janssens (student) and Els Mertens (school) signed already." in form
    assert 'aria-describedby="void-warning"' in form
    assert form.index('id="void-warning"') < form.index(">Save</button>")

    # The placement's and the school's edit pages say it too, before their save buttons.
    placement_form = " ".join(
        text(parties.coach.get(f"/placements/{parties.placement}/edit")).split()
    )
    assert (
        "Lotte Janssens (student) and Els Mertens (school) signed the agreement already."
        in placement_form
    )
    assert placement_form.index('id="void-warning"') < placement_form.index("Save placement")
    school_form = " ".join(text(parties.coach.get(f"/schools/{school_id}/edit")).split())
    assert "Lotte Janssens (student) and Els Mertens (school) signed" in school_form
    assert 'aria-describedby="void-warning"' in school_form
    # A placement nobody signed for: no warning.
    assert 'id="void-warning"' not in text(parties.coach.get(f"/placements/{second}/edit"))


def test_changing_an_addendum_names_whose_signatures_go(app: Flask, parties: Parties) -> None:
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    for client in (parties.student, parties.mentor, parties.coach):
        assert sign(client, agreement).status_code == 303
    added = post(
        parties.coach,
        f"/agreements/{agreement}/addenda/new",
        f"/agreements/{agreement}/addenda/new",
        {"title": "Stage verlengd", "body": "Twee weken langer."},
    )
    assert added.status_code == 303
    assert sign(parties.student, agreement).status_code == 303  # the addendum is theirs now
    addendum = documents(app, agreement)[1]
    form = text(parties.coach.get(f"/agreements/documents/{addendum.id}/edit"))
    assert "Lotte Janssens (student) signed already." in " ".join(form.split())
    page = page_of(parties.coach, agreement)
    assert "<h3" in _article(page, 1) and "Stage verlengd</h3>" in _article(page, 1)
