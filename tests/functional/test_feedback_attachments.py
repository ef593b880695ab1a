"""Attachments on feedback: a student adds her lesson plan to her open request, a mentor a photo
to the form they are filling in; files are taken by what their bytes are (never by their name),
refused with a message that says why, and downloaded only by the placement's people.

Bram's placement has Jan as mentor; Lotte's (the same course) has Els. A coach of another course
and nobody signed in complete the outsiders; another college is walked by test_colleges.py.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lti_app import db
from lti_app.feedback import attachments
from lti_app.feedback.models import FeedbackAttachment, FeedbackRequest, RequestState
from tests.feedback import add_attachment, add_form
from tests.guests import (
    add_mentor,
    add_placement,
    csrf,
    english_client,
    launch_client,
    launched_course,
    person_id,
    sign_in_mentor,
    text,
)
from tests.launching import FlaskBrowser, launch
from tests.lms import INSTRUCTOR, LEARNER, Person, TestLMS

LOTTE = Person("student-1", "Lotte Janssens", [LEARNER], "lotte@student.example", locale="en")
BRAM = Person("student-2", "Bram Claes", [LEARNER], "bram@student.example", locale="en")
COACH = Person("coach-1", "An Peeters", [INSTRUCTOR], "an@hogeschool.example", locale="en")
OTHER_COACH = Person("coach-9", "Koen Elders", [INSTRUCTOR], "koen@hogeschool.example", "en")
ELS = "els.mertens@sint-jozef.example"
JAN = "jan.peeters@atheneum.example"
PLAN = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n% Bram's plan: breuken in 2B\n%%EOF\n"


def _zip(entries: list[tuple[str, bytes]], stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, content) in enumerate(entries):
            method = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=method)
    return buffer.getvalue()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "white").save(buffer, "PNG")
    return buffer.getvalue()


DOCX = _zip(
    [
        ("[Content_Types].xml", b"<Types/>"),
        ("_rels/.rels", b"<Relationships/>"),
        ("word/document.xml", b"<w:document/>"),
    ]
)
ODT = _zip(
    [("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"<office/>")],
    stored_first=True,
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200
PLAIN_ZIP = _zip([("notes.txt", b"a zip, but neither Word nor OpenDocument")])
XLSX_LIKE = _zip([("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook/>")])


@dataclass
class World:
    bram_placement: int
    lotte_placement: int
    bram_request: int
    lotte_request: int
    draft: int  # Jan's draft on Bram's placement
    submitted: int  # Jan's submitted form on Bram's placement
    coach_draft: int  # the coach's visit report being written, on Bram's placement
    people: dict[str, FlaskClient]


def _add_request(app: Flask, placement_id: int, mentor_id: int, student: int, **values: Any) -> int:
    with app.app_context():
        s = db.session()
        found = FeedbackRequest(
            placement_id=placement_id,
            mentor_id=mentor_id,
            class_name="2B",
            subject="Wiskunde",
            created_by_id=student,
            **values,
        )
        s.add(found)
        s.commit()
        return found.id


@pytest.fixture
def world(app: Flask, lms: TestLMS) -> World:
    coach = launch_client(app, lms, COACH)
    lotte = launch_client(app, lms, LOTTE)
    bram = launch_client(app, lms, BRAM)
    other_coach = english_client(app)
    page = launch(
        FlaskBrowser(other_coach),
        lms,
        OTHER_COACH,
        context={"context_id": "course-2", "context_title": "Stage BaO", "context_label": "BaO"},
    )
    assert page.status == 200, page.text[:500]
    course = launched_course(app)
    els, jan = add_mentor(app, ELS, "Els Mertens"), add_mentor(app, JAN, "Jan Peeters")
    lotte_id, bram_id = person_id(app, LOTTE.sub), person_id(app, BRAM.sub)
    lotte_placement = add_placement(app, mentors=[els], course_id=course, student_id=lotte_id)
    bram_placement = add_placement(app, mentors=[jan], course_id=course, student_id=bram_id)
    els_client, jan_client = english_client(app), english_client(app)
    sign_in_mentor(app, els_client, ELS)
    sign_in_mentor(app, jan_client, JAN)
    return World(
        bram_placement=bram_placement,
        lotte_placement=lotte_placement,
        bram_request=_add_request(app, bram_placement, jan, bram_id),
        lotte_request=_add_request(app, lotte_placement, els, lotte_id),
        draft=add_form(app, bram_placement, mentor_id=jan, submitted=False),
        submitted=add_form(app, bram_placement, mentor_id=jan),
        coach_draft=add_form(
            app, bram_placement, person_id=person_id(app, COACH.sub), submitted=False
        ),
        people={
            "bram": bram,
            "lotte": lotte,
            "jan": jan_client,
            "els": els_client,
            "coach": coach,
            "other coach": other_coach,
            "nobody": english_client(app),
        },
    )


def _token(client: FlaskClient) -> str:
    for own in ("/mentor", "/student", "/coach"):
        page = client.get(own)
        if page.status_code == 200:
            return csrf(text(page))
    return ""


def _upload(
    client: FlaskClient,
    placement_id: int,
    data: bytes,
    filename: str,
    *,
    next_path: str = "/somewhere",
    **target: int,
) -> Any:
    fields: dict[str, Any] = {
        "csrf_token": _token(client),
        "next": next_path,
        # What the browser claims the file is: never believed.
        "file": FileStorage(io.BytesIO(data), filename, content_type="application/pdf"),
    }
    fields.update({key: str(value) for key, value in target.items()})
    # Encoded here in memory: the test client spools a big body to a file it never closes.
    boundary, body = encode_multipart(fields)
    return client.post(
        f"/feedback/placements/{placement_id}/attachments",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _flashes(client: FlaskClient) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.pop("_flashes", []))


def _stored(app: Flask) -> list[tuple[str, str, int, int | None, int | None]]:
    with app.app_context():
        rows = db.session().scalars(select(FeedbackAttachment).order_by(FeedbackAttachment.id))
        return [(a.filename, a.mime, a.size, a.request_id, a.form_id) for a in rows]


@pytest.mark.parametrize(
    ("data", "sent_as", "stored_as", "mime"),
    [
        (PLAN, "Lesvoorbereiding Céline.pdf", "Lesvoorbereiding Céline.pdf", "application/pdf"),
        (DOCX, "lesplan.docx", "lesplan.docx", attachments.DOCX.mime),
        (ODT, "lesplan.odt", "lesplan.odt", attachments.ODT.mime),
        (_png(), "bord.png", "bord.png", "image/png"),
        # The name is cleaned and made to fit the content; the browser's claim is ignored.
        (_png(), "../../home/foto\u202egnp.exe", "foto gnp.exe.png", "image/png"),
    ],
    ids=["pdf", "docx", "odt", "png", "png-named-exe"],
)
def test_the_student_attaches_a_document_to_her_open_request(
    app: Flask, world: World, data: bytes, sent_as: str, stored_as: str, mime: str
) -> None:
    bram = world.people["bram"]
    response = _upload(
        bram,
        world.bram_placement,
        data,
        sent_as,
        next_path="/student?tab=feedback",
        request_id=world.bram_request,
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/student?tab=feedback"
    assert _flashes(bram) == [("ok", f"{stored_as} is attached.")]
    assert _stored(app) == [(stored_as, mime, len(data), world.bram_request, None)]


def test_the_mentor_attaches_a_photo_to_their_draft_and_may_not_send_the_page_elsewhere(
    app: Flask, world: World
) -> None:
    jan = world.people["jan"]
    for outside in (
        "https://evil.example/x",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:x",
    ):
        response = _upload(
            jan, world.bram_placement, _png(), "bord.png", next_path=outside, form_id=world.draft
        )
        assert response.status_code == 303
        assert response.headers["Location"] == f"/feedback/forms/{world.draft}", outside
    assert [(row[0], row[4]) for row in _stored(app)] == [("bord.png", world.draft)] * 4


@pytest.mark.parametrize(
    ("data", "sent_as", "says"),
    [
        (ELF, "lesplan.pdf", "is a program or a script, whatever its name says"),
        (MZ, "lesplan.pdf", "is a program or a script, whatever its name says"),
        (b"#!/bin/sh\nrm -rf ~\n", "lesplan.pdf", "is a program or a script"),
        (PLAIN_ZIP, "lesplan.docx", "This kind of file is not accepted"),
        (XLSX_LIKE, "lesplan.docx", "This kind of file is not accepted"),
        (b"<html><script>alert(1)</script>", "lesplan.pdf", "This kind of file is not accepted"),
        (b"", "lesplan.pdf", "The file is empty"),
    ],
    ids=["elf", "mz", "script", "zip", "xlsx", "html", "empty"],
)
def test_a_file_that_is_not_a_document_is_refused_with_why_and_nothing_stored(
    app: Flask, world: World, data: bytes, sent_as: str, says: str
) -> None:
    bram = world.people["bram"]
    response = _upload(bram, world.bram_placement, data, sent_as, request_id=world.bram_request)
    assert response.status_code == 303
    assert response.headers["Location"] == "/somewhere"
    [(category, message)] = _flashes(bram)
    assert category == "error"
    assert message.startswith(f"{sent_as} was not attached.")
    assert says in message
    assert _stored(app) == []


def test_a_file_over_the_limit_is_refused_saying_the_limit_and_a_far_bigger_one_is_cut_off(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_MB", 1)
    jan = world.people["jan"]
    just_over = PLAN + b"0" * (attachments.MB + 1 - len(PLAN))
    response = _upload(jan, world.bram_placement, just_over, "plan.pdf", form_id=world.draft)
    assert response.status_code == 303
    [(category, message)] = _flashes(jan)
    assert category == "error"
    assert "larger than 1 MB, the most an attachment may be" in message
    # Exactly at the limit is fine.
    at_limit = just_over[:-1]
    assert (
        _upload(jan, world.bram_placement, at_limit, "plan.pdf", form_id=world.draft).status_code
        == 303
    )
    assert _flashes(jan) == [("ok", "plan.pdf is attached.")]
    # Far over: refused before it is read, on a page that says the limit.
    far_over = PLAN + b"0" * (3 * attachments.MB)
    response = _upload(jan, world.bram_placement, far_over, "plan.pdf", form_id=world.draft)
    assert response.status_code == 413
    page = text(response)
    assert "This file is too large" in page and "at most 1 MB; nothing was stored" in page
    assert [row[2] for row in _stored(app)] == [attachments.MB]


def test_nobody_attaches_to_what_is_not_theirs_or_no_longer_open(app: Flask, world: World) -> None:
    people = world.people
    tries = [
        # Lotte: to Bram's request, through his placement and through her own.
        ("lotte", world.bram_placement, {"request_id": world.bram_request}, 404),
        ("lotte", world.lotte_placement, {"request_id": world.bram_request}, 404),
        # Els: to Jan's draft, through Bram's placement and through Lotte's.
        ("els", world.bram_placement, {"form_id": world.draft}, 404),
        ("els", world.lotte_placement, {"form_id": world.draft}, 404),
        # Jan: to the coach's draft (not his: he does not see it), to Bram's request (his to
        # read, Bram's to attach to); to his own submitted form below.
        ("jan", world.bram_placement, {"form_id": world.coach_draft}, 404),
        ("jan", world.bram_placement, {"request_id": world.bram_request}, 403),
        # Bram: to a form (a mentor's), to nothing, to both.
        ("bram", world.bram_placement, {"form_id": world.submitted}, 403),
        ("bram", world.bram_placement, {}, 400),
        (
            "bram",
            world.bram_placement,
            {"request_id": world.bram_request, "form_id": world.draft},
            400,
        ),
        ("other coach", world.bram_placement, {"form_id": world.draft}, 404),
        # Nobody signed in: the dead-token handler says so (401) before anything is read.
        ("nobody", world.bram_placement, {"request_id": world.bram_request}, 401),
    ]
    for who, placement, target, status in tries:
        response = _upload(people[who], placement, PLAN, "plan.pdf", **target)
        assert response.status_code == status, (who, placement, target, text(response)[:300])
        if who not in ("bram", "jan"):
            assert "Bram" not in text(response), who
    # Closed: Jan's submitted form, Bram's answered request.
    jan = people["jan"]
    response = _upload(jan, world.bram_placement, PLAN, "plan.pdf", form_id=world.submitted)
    assert response.status_code == 303
    assert "submitted and can no longer change" in _flashes(jan)[0][1]
    with app.app_context():
        found = db.session().get(FeedbackRequest, world.bram_request)
        assert found is not None
        found.state = RequestState.ANSWERED
        db.session().commit()
    bram = people["bram"]
    response = _upload(bram, world.bram_placement, PLAN, "plan.pdf", request_id=world.bram_request)
    assert response.status_code == 303
    assert "no longer open" in _flashes(bram)[0][1]
    assert _stored(app) == []


def _download(client: FlaskClient, attachment_id: int) -> Any:
    return client.get(f"/feedback/attachments/{attachment_id}")


def test_the_placements_people_download_it_with_headers_that_keep_it_a_file(
    app: Flask, world: World
) -> None:
    plan = add_attachment(
        app,
        world.bram_placement,
        request_id=world.bram_request,
        filename='Lesvoorbereiding Céline "2B".pdf',
        content=PLAN,
        uploaded_by="person:1",
    )
    for who in ("bram", "jan", "coach"):
        response = _download(world.people[who], plan)
        assert response.status_code == 200, who
        assert response.data == PLAN
        headers = response.headers
        assert headers["Content-Type"] == "application/pdf"
        assert headers["Content-Disposition"] == (
            "attachment; filename=\"Lesvoorbereiding Celine '2B'.pdf\"; "
            "filename*=UTF-8''Lesvoorbereiding%20C%C3%A9line%20%222B%22.pdf"
        )
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "private, no-store"
        assert headers["Content-Security-Policy"].startswith("default-src 'none'; sandbox")
        assert headers["Cross-Origin-Resource-Policy"] == "same-origin"


def test_someone_elses_attachment_is_404_with_nothing_of_it(app: Flask, world: World) -> None:
    secret = PLAN.replace(b"Bram's plan", b"Geheim plan")
    on_request = add_attachment(
        app, world.bram_placement, request_id=world.bram_request, content=secret
    )
    on_form = add_attachment(app, world.bram_placement, form_id=world.submitted, content=secret)
    on_draft = add_attachment(app, world.bram_placement, form_id=world.draft, content=secret)
    for who in ("lotte", "els", "other coach"):
        for attachment_id in (on_request, on_form, on_draft):
            response = _download(world.people[who], attachment_id)
            assert response.status_code == 404, (who, attachment_id)
            assert b"Geheim" not in response.data and b"lesplan" not in response.data
            assert "attachment" not in response.headers.get("Content-Disposition", "")
    assert _download(world.people["nobody"], on_form).status_code == 401
    # A draft's attachment is its author's alone, like the draft.
    assert _download(world.people["jan"], on_draft).status_code == 200
    assert _download(world.people["bram"], on_draft).status_code == 404
    assert _download(world.people["coach"], on_draft).status_code == 404
    assert _download(world.people["bram"], on_form).status_code == 200
    assert _download(world.people["bram"], 999_999).status_code == 404


def test_the_list_shows_names_sizes_and_links_and_the_upload_form_says_the_limit(
    app: Flask, world: World
) -> None:
    big = PLAN + b"0" * (1_258_291 - len(PLAN))  # 1.2 MB
    first = add_attachment(app, world.bram_placement, form_id=world.draft, content=big)
    add_attachment(
        app, world.bram_placement, form_id=world.draft, filename="bord.png", content=_png()
    )
    context = {
        "attach_kind": "form",
        "attach_id": world.draft,
        "attach_placement": world.bram_placement,
    }
    with app.test_request_context(
        f"/feedback/forms/{world.draft}", headers={"Accept-Language": "nl"}
    ):
        page = render_template("feedback/_attachments.html", attach_may_upload=True, **context)
    assert f'href="/feedback/attachments/{first}"' in page
    assert "lesplan.pdf" in page and "1,2 MB" in page
    assert "bord.png" in page and "1 kB" in page
    assert f'action="/feedback/placements/{world.bram_placement}/attachments"' in page
    assert f'name="form_id" value="{world.draft}"' in page
    assert 'name="csrf_token"' in page and 'type="file"' in page
    assert f'name="next" value="/feedback/forms/{world.draft}"' in page
    assert "10 MB" in page and "application/pdf" in page
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        page = render_template("feedback/_attachments.html", attach_may_upload=False, **context)
    assert "1.2 MB" in page and 'type="file"' not in page
