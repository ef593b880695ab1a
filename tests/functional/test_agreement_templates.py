"""The coordinator's agreement templates: a programme's text and signing order, versioned;
agreements keep the version they were made from."""

from __future__ import annotations

from flask import Flask

from tests.guests import add_placement, csrf, launch_client, person_id, text
from tests.lms import ADMIN, Person, TestLMS
from tests.signing import LOTTE, Parties, documents, make_agreement, three_parties

COORDINATOR = Person("coordinator-1", "Sofie Maes", [ADMIN], "sofie@hogeschool.example", "en")


def _editor_data(html: str) -> dict[str, str]:
    """Every field of the template editor as the page holds it."""
    import re
    from html import unescape

    data = {"csrf_token": csrf(html)}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        data.setdefault(name, unescape(value))
    for name, value in re.findall(
        r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S
    ):
        data[name] = unescape(value).lstrip("\n")
    for name, value in re.findall(
        r'<select[^>]*name="([^"]+)".*?<option[^>]*value="([^"]*)"[^>]*selected', html, re.S
    ):
        data.setdefault(name, value)
    return data


def test_the_coordinator_writes_a_template_and_new_agreements_take_its_newest_version(
    app: Flask, lms: TestLMS
) -> None:
    parties: Parties = three_parties(app, lms)
    coordinator = launch_client(app, lms, COORDINATOR)
    assert "No template yet" in text(coordinator.get("/agreement-templates"))

    new = text(coordinator.get("/agreement-templates/new?language=en"))
    data = _editor_data(new)
    assert "supports the student appreciatively" in data["clauses_school"]  # the defaults
    data.update(
        programme="Educatief graduaat secundair onderwijs",
        college_name="Hogeschool Gent",
        signing_order="student+school>college",
        clauses_privacy="Only the three parties see this agreement.",
    )
    saved = coordinator.post("/agreement-templates/new", data=data)
    assert saved.status_code == 303, text(saved)[:2000]
    edit_path = saved.headers["Location"]

    first = make_agreement(parties)
    [document] = documents(app, first)
    assert "College: Hogeschool Gent" in document.text
    assert "Only the three parties see this agreement." in document.text
    assert "Signing order: student and school › college" in document.text

    # Version 2: the agreement already made keeps version 1's text.
    data = _editor_data(text(coordinator.get(edit_path)))
    data["clauses_privacy"] = "The college's privacy statement applies."
    assert coordinator.post(edit_path, data=data).status_code == 303
    assert documents(app, first)[0].text == document.text
    assert "version 2" in text(coordinator.get("/agreement-templates"))

    other = add_placement(
        app, mentors=[], course_id=parties.course, student_name="Noor Willems", school="Atheneum"
    )
    parties.placement = other
    second = make_agreement(parties)
    assert "The college's privacy statement applies." in documents(app, second)[0].text

    # A programme's name is taken once; the form keeps what was typed and says why.
    data = _editor_data(text(coordinator.get("/agreement-templates/new")))
    data["programme"] = "Educatief graduaat secundair onderwijs"
    data["title_school"] = ""
    refused = coordinator.post("/agreement-templates/new", data=data)
    assert refused.status_code == 422
    assert "Give the chapter a title." in text(refused)


def test_coaches_and_students_do_not_edit_templates(app: Flask, lms: TestLMS) -> None:
    parties = three_parties(app, lms)
    for client in (parties.coach, parties.student, parties.mentor):
        assert client.get("/agreement-templates").status_code == 403
        assert client.get("/agreement-templates/new").status_code == 403
    assert person_id(app, LOTTE.sub)
