"""Two parties who sign at the same moment both count, exactly once; one party who signs from
two tabs at once counts once. Run against PostgreSQL, where requests truly run in parallel."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from lti_app import db
from lti_app.agreements import template_service
from lti_app.placements.models import ChangeRecord
from tests.guests import csrf, text
from tests.lms import TestLMS
from tests.signing import (
    Parties,
    agreement_state,
    course_programme,
    documents,
    make_agreement,
    page_of,
    send_for_signing,
    sign_forms,
    signatures,
    three_parties,
)


@pytest.fixture
def postgres(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    return database_url


def _at_once(requests: list[tuple[FlaskClient, str, dict[str, str]]]) -> list[int]:
    """Post all requests at the same moment (a barrier releases the threads together)."""
    barrier = threading.Barrier(len(requests))
    statuses: list[Any] = [None] * len(requests)

    def send(i: int, client: FlaskClient, path: str, data: dict[str, str]) -> None:
        barrier.wait(timeout=10)
        statuses[i] = client.post(path, data=data).status_code

    threads = [
        threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


def _ready(client: FlaskClient, agreement: int) -> tuple[str, dict[str, str]]:
    html = page_of(client, agreement)
    [(document_id, digest)] = sign_forms(html)
    return (
        f"/agreements/documents/{document_id}/sign",
        {"csrf_token": csrf(html), "sha256": digest, "agree": "y"},
    )


@pytest.mark.postgres_only
def test_three_parties_signing_at_the_same_moment_each_count_once(
    postgres: str, app: Flask, lms: TestLMS
) -> None:
    parties: Parties = three_parties(app, lms)
    with app.test_request_context():
        s = db.session()
        template_service.save_template(
            s,
            programme=course_programme(s, parties.course),
            language="nl",
            college_name="",
            sections=[],
            signing_order="student+school+college",  # any order: all three may sign at once
            actor="system",
        )
        s.commit()
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    requests = [
        (c, *_ready(c, agreement)) for c in (parties.student, parties.mentor, parties.coach)
    ]

    assert _at_once(requests) == [303, 303, 303]  # type: ignore[arg-type]

    assert sorted(signatures(app)) == [
        ("college", "An Peeters", True),
        ("school", "Els Mertens", True),
        ("student", "Lotte Janssens", True),
    ]
    assert agreement_state(app, agreement) == "active"
    [document] = documents(app, agreement)
    assert document.state.value == "signed" and document.pdf
    with app.app_context():
        completed = db.session().scalar(
            select(func.count())
            .select_from(ChangeRecord)
            .where(ChangeRecord.entity == "agreement", ChangeRecord.action == "document_signed")
        )
    assert completed == 1


@pytest.mark.postgres_only
def test_one_party_signing_from_two_tabs_at_once_counts_once(
    postgres: str, app: Flask, lms: TestLMS
) -> None:
    parties = three_parties(app, lms)
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    path, data = _ready(parties.student, agreement)
    statuses = _at_once([(parties.student, path, data), (parties.student, path, data)])
    assert statuses == [303, 303]
    assert signatures(app) == [("student", "Lotte Janssens", True)]
    page = text(parties.student.get(f"/agreements/{agreement}"))
    assert "You signed this text" in page


@pytest.mark.postgres_only
def test_a_double_click_on_make_the_agreement_makes_one(
    postgres: str, app: Flask, lms: TestLMS
) -> None:
    from sqlalchemy import select

    from lti_app.agreements.models import Agreement

    parties = three_parties(app, lms)
    page = text(parties.coach.get(f"/placements/{parties.placement}"))
    data = {"csrf_token": csrf(page)}
    path = f"/placements/{parties.placement}/agreement"
    statuses = _at_once([(parties.coach, path, data), (parties.coach, path, data)])
    assert statuses == [303, 303]  # one made it, the other is told it exists
    with app.app_context():
        made = db.session().scalars(select(Agreement)).all()
    assert len(made) == 1


@pytest.mark.postgres_only
def test_two_addenda_at_once_make_one_and_an_edit_racing_a_signature_voids_it_or_waits(
    postgres: str, app: Flask, lms: TestLMS
) -> None:
    parties = three_parties(app, lms)
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    from tests.signing import sign

    for client in (parties.student, parties.mentor, parties.coach):
        assert sign(client, agreement).status_code == 303
    page = text(parties.coach.get(f"/agreements/{agreement}/addenda/new"))
    data = {"csrf_token": csrf(page), "title": "Verlenging", "body": "Tot 14 mei."}
    path = f"/agreements/{agreement}/addenda/new"
    statuses = _at_once([(parties.coach, path, data), (parties.coach, path, data)])
    assert sorted(statuses) == [303, 422]  # the second is told one is still being signed
    assert [d.number for d in documents(app, agreement)] == [0, 1]

    # The student signs the addendum while the coach changes it: whichever comes second sees
    # the first. Either the signature is voided by the edit, or it is refused as stale.
    sign_path, sign_data = _ready(parties.student, agreement)
    addendum = documents(app, agreement)[1]
    edit_page = text(parties.coach.get(f"/agreements/documents/{addendum.id}/edit"))
    edit = (
        parties.coach,
        f"/agreements/documents/{addendum.id}/edit",
        {"csrf_token": csrf(edit_page), "title": "Verlenging", "body": "Tot 21 mei."},
    )
    signed, edited = _at_once([(parties.student, sign_path, sign_data), edit])
    # The edit always lands; the signature lands first and is voided (303), or comes second and
    # is refused as signing a text that changed (409): on a busy machine either may come first.
    assert edited == 303 and signed in (303, 409), (signed, edited)
    addendum = documents(app, agreement)[1]
    assert "Tot 21 mei." in addendum.text
    assert [s for s in addendum.signatures if s.voided_at is None] == []
