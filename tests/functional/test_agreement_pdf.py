"""The signed agreement's PDF as its parties download it (the college's name and logo on top, a
file name that says whose agreement it is) and the verification page as anyone with the hash
sees it (names and dates, no e-mail addresses)."""

from __future__ import annotations

import io
import re
import struct
import zlib
from urllib.parse import unquote

import pytest
from flask import Flask
from pypdf import PdfReader

from lti_app import db
from lti_app.agreements.models import AgreementDocument
from tests.guests import english_client, text
from tests.lms import TestLMS
from tests.signing import (
    ELS,
    Parties,
    documents,
    dutch,
    make_agreement,
    post,
    send_for_signing,
    sign,
    three_parties,
)

COLLEGE = "Hogeschool Zuiderkempen"


@pytest.fixture
def parties(app: Flask, lms: TestLMS) -> Parties:
    return three_parties(app, lms)


def tiny_png() -> bytes:
    """A 2×2 red PNG, written out by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def set_college(app: Flask, document_placement: int, *, logo: bytes | None = None) -> None:
    """Name the placement's college (and give it a logo), as its administrator would."""
    from lti_app.placements.models import Placement

    with app.app_context():
        s = db.session()
        placement = s.get(Placement, document_placement)
        assert placement is not None
        college = placement.course.platform.college
        college.name = COLLEGE
        college.logo = logo
        college.logo_mime = "image/png" if logo else None
        s.commit()


def signed_by_all(parties: Parties) -> AgreementDocument:
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    for client in (parties.student, parties.mentor, parties.coach):
        assert sign(client, agreement).status_code == 303
    [document] = documents(parties.app, agreement)
    assert document.state.value == "signed" and document.pdf is not None
    return document


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def letterhead(data: bytes) -> str:
    """The first line of the PDF: above the title, where a college's letters carry its name.
    (The signed text may name the college among the parties too; that is not the letterhead.)"""
    return pdf_text(data).lstrip().split("\n", 1)[0].strip()


def test_the_pdf_carries_the_college_name_and_its_logo(app: Flask, parties: Parties) -> None:
    set_college(app, parties.placement, logo=tiny_png())
    document = signed_by_all(parties)
    assert document.pdf is not None
    assert letterhead(document.pdf) == COLLEGE
    first_page = PdfReader(io.BytesIO(document.pdf)).pages[0]
    assert len(first_page.images) == 1


def test_without_a_logo_the_pdf_has_the_name_and_no_image(app: Flask, parties: Parties) -> None:
    set_college(app, parties.placement)
    document = signed_by_all(parties)
    assert document.pdf is not None
    assert letterhead(document.pdf) == COLLEGE
    assert not any(page.images for page in PdfReader(io.BytesIO(document.pdf)).pages)


def _file_names(header: str) -> tuple[str, str]:
    """The ASCII ``filename`` and the decoded RFC 5987 ``filename*`` of a Content-Disposition."""
    plain = re.search(r'filename="([^"]*)"', header)
    extended = re.search(r"filename\*=UTF-8''([^;\s]+)", header)
    assert header.startswith("attachment;") and plain and extended, header
    assert all(32 <= ord(c) < 127 for c in header), header
    return plain.group(1), unquote(extended.group(1))


def test_the_download_is_named_for_the_student_in_the_documents_language(
    app: Flask, parties: Parties
) -> None:
    document = signed_by_all(parties)
    response = parties.student.get(f"/agreements/documents/{document.id}.pdf")
    assert response.status_code == 200 and response.data == document.pdf
    plain, full = _file_names(response.headers["Content-Disposition"])
    # The default template is Dutch: "Stageovereenkomst Lotte Janssens.pdf".
    expected = dutch("Placement agreement %(student)s") % {"student": "Lotte Janssens"} + ".pdf"
    assert full == plain == expected

    response = post(
        parties.coach,
        f"/agreements/{document.agreement_id}/addenda/new",
        f"/agreements/{document.agreement_id}/addenda/new",
        {"title": "Verlenging", "body": "De stage loopt tot 14 mei."},
    )
    assert response.status_code == 303
    for client in (parties.student, parties.mentor, parties.coach):
        assert sign(client, document.agreement_id).status_code == 303
    _, addendum = documents(app, document.agreement_id)
    response = parties.mentor.get(f"/agreements/documents/{addendum.id}.pdf")
    assert response.status_code == 200
    _, full = _file_names(response.headers["Content-Disposition"])
    addendum_name = dutch("Addendum %(number)d to the placement agreement %(student)s")
    assert full == addendum_name % {"number": 1, "student": "Lotte Janssens"} + ".pdf"


def test_a_name_beyond_ascii_keeps_its_letters_and_has_a_plain_fallback() -> None:
    from lti_app.agreements.pdf import attachment

    plain, full = _file_names(attachment('Stageovereenkomst Céline "Ŝ" Dubois.pdf'))
    assert full == 'Stageovereenkomst Céline "Ŝ" Dubois.pdf'
    assert plain == "Stageovereenkomst Celine 'S' Dubois.pdf"


def test_verification_shows_names_and_dates_but_no_addresses(app: Flask, parties: Parties) -> None:
    document = signed_by_all(parties)
    assert ELS in document.text  # the signed text names the mentor's address …
    page = text(english_client(app).get(f"/verify/{document.text_sha256}"))
    assert "This matches a signed version" in page
    for name in ("Lotte Janssens", "Els Mertens", "An Peeters"):
        assert name in page
    assert page.count("<time datetime=") >= 3  # when each party signed
    assert "@" not in page  # … and the page names no one's


def test_a_logo_fpdf_cannot_read_still_lets_the_pdf_be_made(app: Flask, parties: Parties) -> None:
    set_college(app, parties.placement, logo=b"not an image at all")
    document = signed_by_all(parties)
    assert document.pdf is not None
    assert letterhead(document.pdf) == COLLEGE
