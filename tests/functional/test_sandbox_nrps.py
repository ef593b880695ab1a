"""The sandbox LMS's services: its token endpoint and its roster (NRPS), as a tool meets them.

The token endpoint checks the tool's client assertion against the tool's JWKS over HTTP, so the
app runs on a real local server here (``served_app``); requests go through the Flask test client.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from lti_app import create_app, db
from lti_app.lti import keys
from lti_app.lti.services import service_client
from lti_app.roster.models import Course, Role
from lti_app.roster.service import count_members, get_members, sync_roster
from lti_app.sandbox import platform
from tests.conftest import empty_tables, settings
from tests.functional.test_deep_linking import Forms
from tests.lms import rsa_pem

TOKEN = "/sandbox/token"
MEMBERSHIPS = f"/sandbox/nrps/{platform.COURSE['id']}/memberships"
NRPS_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


@pytest.fixture
def served_app(database_url: str, instance_dir: Path) -> Iterator[Flask]:
    """The app on a local HTTP server that is its BASE_URL, as `flask sandbox run` serves it."""
    import lti_app.models  # noqa: F401

    empty_tables(database_url)
    holder: dict[str, Flask] = {}
    server = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start), True)
    base = f"http://127.0.0.1:{server.port}"
    app = create_app(settings(database_url, instance_dir, BASE_URL=base))
    holder["app"] = app
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


@pytest.fixture
def sandbox(served_app: Flask) -> FlaskClient:
    return served_app.test_client()


def assertion(app: Flask, **overrides: Any) -> str:
    """A client assertion as the tool signs it (LTI Security §4.1), with ``overrides`` applied."""
    private = overrides.pop("_key", None)
    with app.app_context():
        key = keys.signing_key(db.session())
        token_url = platform.token_url()
    now = int(time.time())
    claims = {
        "iss": platform.CLIENT_ID,
        "sub": platform.CLIENT_ID,
        "aud": token_url,
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        **overrides,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(
        claims, private or key.private_pem, algorithm="RS256", headers={"kid": key.kid}
    )


def token_form(app: Flask, scope: str = platform.NRPS_SCOPE, **claims: Any) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": platform.ASSERTION_TYPE,
        "client_assertion": assertion(app, **claims),
        "scope": scope,
    }


def bearer(client: FlaskClient, app: Flask, scope: str = platform.NRPS_SCOPE) -> dict[str, str]:
    response = client.post(TOKEN, data=token_form(app, scope))
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def all_pages(client: FlaskClient, headers: dict[str, str], url: str) -> list[list[Any]]:
    pages = []
    next_url: str | None = url
    while next_url:
        response = client.get(next_url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.content_type == NRPS_TYPE
        pages.append(response.json["members"])
        link = response.headers.get("Link")
        next_url = None
        if link:
            target = link.split(">", 1)[0].lstrip("<")
            assert link.endswith('; rel="next"')
            parts = urlsplit(target)
            next_url = f"{parts.path}?{parts.query}"
    return pages


# -- the token endpoint ---------------------------------------------------------------------------


def test_token_endpoint_grants_a_bearer_token_for_the_tool_s_signed_assertion(
    served_app: Flask, sandbox: FlaskClient
) -> None:
    response = sandbox.post(TOKEN, data=token_form(served_app))

    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.json
    assert body["token_type"].lower() == "bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == platform.NRPS_SCOPE
    assert body["access_token"]
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"_key": rsa_pem()}, "signed with a key the tool does not publish"),
        ({"aud": "https://elsewhere.example/token"}, "meant for another token endpoint"),
        ({"iss": "someone-else", "sub": "someone-else"}, "another client"),
        ({"sub": "someone-else"}, "sub is not the client"),
        ({"exp": int(time.time()) - 120, "iat": int(time.time()) - 600}, "expired"),
        ({"jti": None}, "no jti"),
    ],
)
def test_token_endpoint_refuses_a_bad_assertion_as_invalid_client(
    served_app: Flask, sandbox: FlaskClient, claims: dict[str, Any], why: str
) -> None:
    response = sandbox.post(TOKEN, data=token_form(served_app, **claims))

    assert response.status_code == 401, why
    assert response.json["error"] == "invalid_client", why
    assert "access_token" not in response.json


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"grant_type": "authorization_code"}, 400, "unsupported_grant_type"),
        ({"grant_type": ""}, 400, "invalid_request"),
        ({"client_assertion": ""}, 400, "invalid_request"),
        ({"client_assertion_type": "password"}, 400, "invalid_request"),
        ({"scope": "https://example.com/everything"}, 400, "invalid_scope"),
        ({"client_assertion": "not.a.jwt"}, 401, "invalid_client"),
    ],
)
def test_token_endpoint_refuses_malformed_requests_per_rfc_6749(
    served_app: Flask, sandbox: FlaskClient, change: dict[str, str], status: int, error: str
) -> None:
    response = sandbox.post(TOKEN, data={**token_form(served_app), **change})

    assert response.status_code == status
    assert response.json["error"] == error


# -- the roster -----------------------------------------------------------------------------------


def test_roster_needs_a_bearer_token(served_app: Flask, sandbox: FlaskClient) -> None:
    missing = sandbox.get(MEMBERSHIPS)
    forged = sandbox.get(MEMBERSHIPS, headers={"Authorization": "Bearer made-up"})
    basic = sandbox.get(MEMBERSHIPS, headers={"Authorization": "Basic dXNlcjpwYXNz"})

    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "members" not in missing.json
    assert forged.status_code == 401
    assert 'error="invalid_token"' in forged.headers["WWW-Authenticate"]
    assert basic.status_code == 401


def test_roster_needs_the_nrps_scope(served_app: Flask, sandbox: FlaskClient) -> None:
    headers = bearer(sandbox, served_app, scope=platform.AGS_SCOPES[-1])

    response = sandbox.get(MEMBERSHIPS, headers=headers)

    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_roster_lists_the_demo_course_page_by_page(served_app: Flask, sandbox: FlaskClient) -> None:
    headers = bearer(sandbox, served_app)

    pages = all_pages(sandbox, headers, MEMBERSHIPS + "?limit=15")

    members = [m for page in pages for m in page]
    assert [len(p) for p in pages] == [15, 15, 6]
    assert len({m["user_id"] for m in members}) == 36
    by_id = {m["user_id"]: m for m in members}
    assert by_id["coach-an"]["name"] == "An Peeters"  # the same people the launches sign in
    assert by_id["student-lotte"]["email"] == "lotte.janssens@student.example"
    assert sum(m["status"] == "Inactive" for m in members) == 1
    assert sum(any("Instructor" in r for r in m["roles"]) for m in members) == 2


def test_roster_filters_by_role_and_refuses_nonsense_paging(
    served_app: Flask, sandbox: FlaskClient
) -> None:
    headers = bearer(sandbox, served_app)

    instructors = sandbox.get(MEMBERSHIPS + "?role=Instructor", headers=headers)
    bad = sandbox.get(MEMBERSHIPS + "?limit=zero", headers=headers)
    other_course = sandbox.get("/sandbox/nrps/another-course/memberships", headers=headers)

    assert {m["user_id"] for m in instructors.json["members"]} == {"coach-an", "coordinator-koen"}
    assert bad.status_code == 400
    assert other_course.status_code == 404


def test_a_coach_launching_from_the_sandbox_gets_its_whole_roster_by_nrps(
    served_app: Flask, sandbox: FlaskClient
) -> None:
    """The id_token's NRPS claim, the registration's token URL and the endpoints fit together."""
    login = sandbox.get(
        "/lti/login",
        query_string={
            "iss": served_app.config["BASE_URL"] + "/sandbox",
            "login_hint": "coach-an",
            "target_link_uri": served_app.config["BASE_URL"] + "/lti/launch",
            "lti_message_hint": _hint(served_app),
            "client_id": platform.CLIENT_ID,
        },
    )
    assert login.status_code == 302, login.get_data(as_text=True)
    auth = urlsplit(login.headers["Location"])
    page = sandbox.get(f"{auth.path}?{auth.query}").get_data(as_text=True)
    form = next(f for f in Forms(page).forms if f["id"] == "autopost")
    launched = sandbox.post("/lti/launch", data=form["fields"])
    assert launched.status_code == 303, launched.get_data(as_text=True)[:500]

    with served_app.app_context():
        s = db.session()
        course = s.query(Course).one()
        with service_client(s, course.platform) as client:
            summary = sync_roster(s, course, client)
        s.commit()
        counts = count_members(s, course.id)
        names = {m.person.display_name for m in get_members(s, course.id)}

    assert summary.pages == 2  # the sandbox gives at most 25 a page, whatever the tool asks
    assert summary.added == 34  # everyone but the coach who launched and the one who stopped
    assert counts == {Role.COACH: 1, Role.COORDINATOR: 1, Role.STUDENT: 33}
    assert {"An Peeters", "Mehdi El Amrani", "Fien Bulut", "Thibault D'Hondt"} <= names
    assert "Yasmine Benali" not in names  # listed as inactive, and never known to Driehoek


def _hint(app: Flask) -> str:
    with app.app_context():
        return platform.message_hint("resource")
