"""The sandbox's demo course: every state a newcomer should see, set up once through the tool's
own services, and each person the course page offers lands on a page that shows theirs.

Launches go through the sandbox LMS itself (its auth endpoint signs, the tool fetches its keys
over HTTP), so the app runs on a local server here, as `flask sandbox run` serves it.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.serving import make_server

from lti_app import clock, create_app, db
from lti_app.agreements.models import Agreement, AgreementDocument, AgreementState, Signature
from lti_app.agreements.signing import signed_with_hash
from lti_app.db import Base
from lti_app.hours.models import HourEntry, HourState
from lti_app.placements.models import Placement, PlacementState
from lti_app.sandbox import demo_states, platform
from lti_app.sandbox.demo import MAIN
from tests.conftest import empty_tables, settings
from tests.functional.test_deep_linking import Forms

# A Monday morning in Brussels: the demo's past two school weeks lie before it.
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def served_app(
    database_url: str, tmp_path: Path, set_clock: Callable[..., datetime]
) -> Iterator[Flask]:
    """The app on a local HTTP server that is its BASE_URL, the sandbox registered."""
    import lti_app.models  # noqa: F401

    empty_tables(database_url)
    holder: dict[str, Flask] = {}
    server = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start), True)
    app = create_app(settings(database_url, tmp_path, BASE_URL=f"http://127.0.0.1:{server.port}"))
    holder["app"] = app
    set_clock(MONDAY, running=True)  # after create_app, which sets the clock's shift
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    with app.app_context():
        platform.ensure_registered(db.session())
        db.session().commit()
    yield app
    server.shutdown()
    server.server_close()
    thread.join()
    app.extensions["db_engine"].dispose()


def seed(app: Flask) -> bool:
    with app.test_request_context():
        s = db.session()
        made = demo_states.ensure_demo_states(s)
        s.commit()
        return made


def row_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        s = db.session()
        return {
            t.name: int(s.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
        }


def states(app: Flask, column: Any) -> Counter[str]:
    with app.app_context():
        return Counter(str(v) for v in db.session().scalars(select(column)))


def test_the_demo_course_holds_every_state_once(served_app: Flask) -> None:
    assert seed(served_app) is True
    before = row_counts(served_app)

    assert seed(served_app) is False  # a second start of the sandbox changes nothing
    assert row_counts(served_app) == before

    assert states(served_app, Placement.state) == {
        PlacementState.PROPOSED: 1,
        PlacementState.RETURNED: 1,
        PlacementState.APPROVED: 5,
    }
    assert states(served_app, Agreement.state) == {
        AgreementState.DRAFT: 1,
        AgreementState.AWAITING_SIGNATURES: 3,
        AgreementState.ACTIVE: 1,
    }
    assert states(served_app, HourEntry.state) == {
        HourState.APPROVED: 3,
        HourState.PENDING: 2,
        HourState.REJECTED: 1,
    }
    with served_app.app_context():
        s = db.session()
        returned = s.scalars(select(Placement).where(Placement.state == "returned")).one()
        assert returned.return_reason == demo_states.RETURN_REASON
        rejected = s.scalars(select(HourEntry).where(HourEntry.state == "rejected")).one()
        assert rejected.reject_reason == demo_states.HOURS_RETURN_REASON
        voided = s.scalars(select(Signature).where(Signature.voided_at.is_not(None))).one()
        assert voided.party == "student" and voided.signer_name == "Lotte Janssens"
        # Per open agreement, the signatures that stand: Emma's draft none, Lotte's none (voided),
        # Noah's his own, Louise's hers and her mentor's.
        valid = Counter(
            s.scalars(
                select(Agreement.state)
                .join(AgreementDocument)
                .join(Signature)
                .where(Signature.voided_at.is_(None))
            )
        )
        assert valid == {AgreementState.AWAITING_SIGNATURES: 3, AgreementState.ACTIVE: 3}


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 8, 22, 30, tzinfo=UTC),  # Sunday 23:30 in Brussels
        datetime(2026, 9, 1, 5, 0, tzinfo=UTC),  # a Tuesday, the first day of a school year
    ],
)
def test_the_demo_fits_any_day(
    served_app: Flask, set_clock: Callable[..., datetime], moment: datetime
) -> None:
    set_clock(moment, running=True)
    assert seed(served_app) is True
    assert sum(states(served_app, HourEntry.state).values()) == 6
    with served_app.app_context():
        s = db.session()
        today = clock.today()
        days = list(s.scalars(select(HourEntry.day)))
        assert all(day < today and day.weekday() < 5 for day in days)
        assert all(p.start_date <= min(days) for p in s.scalars(select(Placement)))


def test_the_active_agreement_has_its_signed_pdf_whose_hash_verifies(served_app: Flask) -> None:
    seed(served_app)
    with served_app.app_context():
        s = db.session()
        active = s.scalars(select(Agreement).where(Agreement.state == "active")).one()
        document = active.documents[0]
        assert document.pdf is not None and document.pdf.startswith(b"%PDF")
        assert hashlib.sha256(document.pdf).hexdigest() == document.pdf_sha256
        assert signed_with_hash(s, document.pdf_sha256 or "") is document
        assert {sig.party for sig in document.signatures} == {"student", "school", "college"}
        digest = document.pdf_sha256
    page = served_app.test_client().get(f"/verify/{digest}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Sofie De Smet" in page.get_data(as_text=True)


def launch_as(client: FlaskClient, app: Flask, person_id: str) -> str:
    """Open Driehoek as ``person_id`` from the course page; the page the launch lands on."""
    demo = platform.college_of(person_id)
    assert demo is not None
    with app.app_context():
        hint = platform.message_hint("resource")
    login = client.get(
        "/lti/login",
        query_string={
            "iss": app.config["BASE_URL"] + "/sandbox",
            "login_hint": person_id,
            "target_link_uri": app.config["BASE_URL"] + "/lti/launch",
            "lti_message_hint": hint,
            "client_id": demo.client_id,
        },
    )
    assert login.status_code == 302, login.get_data(as_text=True)
    auth = urlsplit(login.headers["Location"])
    page = client.get(f"{auth.path}?{auth.query}").get_data(as_text=True)
    form = next(f for f in Forms(page).forms if f["id"] == "autopost")
    launched = client.post("/lti/launch", data=form["fields"])
    assert launched.status_code == 303, launched.get_data(as_text=True)[:500]
    return get(client, launched.headers["Location"])


def get(client: FlaskClient, url: str) -> str:
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def link(page: str, pattern: str) -> str:
    found = re.search(pattern, page)
    assert found, page[:3000]
    return found.group(0)


AGREEMENT = r"/agreements/\d+"


def test_each_person_the_course_page_offers_sees_their_state(served_app: Flask) -> None:
    seed(served_app)
    client = served_app.test_client()
    course = client.get("/sandbox/").get_data(as_text=True)
    offered = re.findall(r'data-person="([^"]+)"', course)
    assert offered[: len(MAIN.people)] == [p.id for p in MAIN.people]
    assert re.findall(r'data-mentor="([^"]+)"', course) == ["els", "pieter"]
    welcome = client.get("/sandbox/welcome").get_data(as_text=True)
    assert re.findall(r'<li data-(?:person|mentor)="([^"]+)"', welcome) == [
        *(p.id for c in platform.COLLEGES for p in c.people),
        "els",
        "pieter",
    ]

    coach = launch_as(client, served_app, "coach-an")
    for name in ("Mehdi El Amrani", "Jonas Willems", "Louise Wouters", "Sofie De Smet"):
        assert name in coach

    mehdi = launch_as(client, served_app, "student-mehdi")
    assert 'class="tag state-proposed"' in mehdi and "agreement-" not in mehdi

    jonas = launch_as(client, served_app, "student-jonas")
    assert 'class="tag state-returned"' in jonas
    assert demo_states.RETURN_REASON in jonas

    # Each student with an agreement sees it in its state, and whether it is theirs to sign.
    sign_form = r'action="/agreements/documents/\d+/sign"'
    for who, state, to_sign in (
        ("student-lotte", "awaiting_signatures", True),
        ("student-roster-01", "draft", False),  # Emma
        ("student-roster-02", "awaiting_signatures", False),  # Noah: his mentor's turn
        ("student-roster-03", "awaiting_signatures", False),  # Louise: the college's turn
        ("student-sofie", "active", False),
    ):
        home = launch_as(client, served_app, who)
        assert f"agreement-{state}" in home, who
        agreement = get(client, link(home, AGREEMENT))
        assert bool(re.search(sign_form, agreement)) is to_sign, who
        assert ('<details class="voided">' in agreement) is (who == "student-lotte"), who
        if who == "student-sofie":
            pdf = client.get(urlsplit(link(agreement, r"/agreements/documents/\d+\.pdf")).path)
            assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
            hours = get(client, link(home, r"/hours/placements/\d+"))
            assert demo_states.HOURS_RETURN_REASON in hours

    # The coach signs for the college where it is the college's turn: Louise's agreement.
    launch_as(client, served_app, "coach-an")
    with served_app.app_context():
        louise = (
            db.session()
            .scalars(
                select(Agreement).join(Placement).where(Placement.subjects == "Aardrijkskunde")
            )
            .one()
        )
        louise_id = louise.id
    assert re.search(sign_form, get(client, f"/agreements/{louise_id}"))

    for mentor, students in (
        ("els", ("Sofie De Smet", "Noah Goossens")),
        ("pieter", ("Louise Wouters", "Lotte Janssens")),
    ):
        portal = mentor_signs_in(client, mentor)
        for name in students:
            assert name in portal, mentor


def mentor_signs_in(client: FlaskClient, key: str) -> str:
    """The course page's mentor button (after launches, which started new sessions)."""
    page = get(client, f"/sandbox/mentor/{key}")
    form = next(f for f in Forms(page).forms if f["action"] == f"/sandbox/mentor/{key}")
    issued = client.post(f"/sandbox/mentor/{key}", data=form["fields"])
    assert issued.status_code == 303
    path = urlsplit(issued.headers["Location"]).path
    assert path.startswith("/m/")
    page = client.get(path).get_data(as_text=True)
    form = next(f for f in Forms(page).forms if f["action"] and "/m/" in f["action"])
    signed_in = client.post(path, data=form["fields"])
    assert signed_in.status_code == 303, signed_in.get_data(as_text=True)[:500]
    return get(client, signed_in.headers["Location"])


def test_the_course_page_sets_the_demo_up_in_development_only(served_app: Flask) -> None:
    client = served_app.test_client()
    client.get("/sandbox/")
    assert row_counts(served_app)["placement"] == 0  # the test suite builds its own data
    assert 'data-mentor="' not in client.get("/sandbox/").get_data(as_text=True)

    served_app.config["DRIEHOEK_ENV"] = "development"
    assert 'data-mentor="els"' in client.get("/sandbox/").get_data(as_text=True)
    assert row_counts(served_app)["placement"] == 7
    client.get("/sandbox/")
    assert row_counts(served_app)["placement"] == 7
