"""The sandbox LMS's grade service (AGS 2.0), as a tool meets it: tokens and scopes, line items
with their filters and pages, scores checked and kept newest-by-timestamp, results, and the
failures its gradebook page injects.

The token endpoint checks the tool's client assertion against the tool's JWKS over HTTP, so
the app runs on a local server (``served_app``), with an instance folder of its own: the
sandbox keeps its gradebook there (``sandbox_lms.sqlite3``).
"""

from __future__ import annotations

import re
import threading
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
from lti_app.sandbox import platform
from tests.conftest import empty_tables, settings
from tests.functional.test_deep_linking import Forms
from tests.functional.test_sandbox_nrps import TOKEN, token_form

COURSE = platform.COURSE["id"]
LINEITEMS = f"/sandbox/ags/{COURSE}/lineitems"
LINEITEM_SCOPE, LINEITEM_READ, RESULT_READ, SCORE_SCOPE = platform.AGS_SCOPES
ALL_AGS = " ".join(platform.AGS_SCOPES)
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"


@pytest.fixture
def served_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app on a local HTTP server that is its BASE_URL, with a fresh instance folder."""
    import lti_app.models  # noqa: F401

    empty_tables(database_url)
    holder: dict[str, Flask] = {}
    server = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start), True)
    base = f"http://127.0.0.1:{server.port}"
    app = create_app(settings(database_url, tmp_path, BASE_URL=base))
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
    """A browser on the sandbox that reads English (the assertions quote the English pages)."""
    client = served_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def auth(client: FlaskClient, app: Flask, scope: str = ALL_AGS) -> dict[str, str]:
    response = client.post(TOKEN, data=token_form(app, scope))
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def new_line_item(client: FlaskClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post(
        LINEITEMS,
        json={"label": "Reflectiejournaal", "scoreMaximum": 20, **body},
        headers={**headers, "Content-Type": LINEITEM_TYPE},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Location"] == response.json["id"]
    return dict(response.json)


def score(client: FlaskClient, headers: dict[str, str], item: dict[str, Any], **body: Any) -> Any:
    sent = {
        "userId": "student-sofie",
        "scoreGiven": 15,
        "scoreMaximum": 20,
        "comment": "Mooie groei.",
        "timestamp": "2026-12-08T10:42:00.000+00:00",
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        **body,
    }
    sent = {k: v for k, v in sent.items() if v is not None}
    return client.post(
        path(item["id"]) + "/scores",
        json=sent,
        headers={**headers, "Content-Type": SCORE_TYPE},
    )


def results(client: FlaskClient, headers: dict[str, str], item: dict[str, Any]) -> list[Any]:
    response = client.get(path(item["id"]) + "/results", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(response.json)


def test_every_ags_call_needs_a_token_with_its_scope(
    sandbox: FlaskClient, served_app: Flask
) -> None:
    assert sandbox.get(LINEITEMS).status_code == 401
    bad = sandbox.get(LINEITEMS, headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["WWW-Authenticate"]

    roster_only = auth(sandbox, served_app, platform.NRPS_SCOPE)
    refused = sandbox.get(LINEITEMS, headers=roster_only)
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]

    reader = auth(sandbox, served_app, LINEITEM_READ)
    assert sandbox.get(LINEITEMS, headers=reader).status_code == 200
    assert (
        sandbox.post(LINEITEMS, json={"label": "x", "scoreMaximum": 1}, headers=reader).status_code
        == 403
    )

    writer = auth(sandbox, served_app, LINEITEM_SCOPE)
    item = new_line_item(sandbox, writer)
    assert score(sandbox, writer, item).status_code == 403  # no score scope
    assert sandbox.get(path(item["id"]) + "/results", headers=writer).status_code == 403
    scorer = auth(sandbox, served_app, SCORE_SCOPE)
    assert score(sandbox, scorer, item).status_code == 204
    # Another college's course is not this token's.
    other = f"/sandbox/ags/{platform.COLLEGES[1].course['id']}/lineitems"
    assert sandbox.get(other, headers=reader).status_code == 404


def test_line_items_are_made_found_by_filter_and_paged(
    sandbox: FlaskClient, served_app: Flask
) -> None:
    headers = auth(sandbox, served_app)
    journal = new_line_item(
        sandbox,
        headers,
        resourceId="driehoek-journal-1",
        tag="reflectiejournaal",
        resourceLinkId=platform.RESOURCE_LINK["id"],
    )
    second = new_line_item(sandbox, headers, label="Tweede", resourceId="driehoek-journal-2")
    new_line_item(sandbox, headers, label="Ander", tag="quiz")
    assert journal["scoreMaximum"] == 20 and journal["tag"] == "reflectiejournaal"

    def listed(query: str) -> list[str]:
        response = sandbox.get(LINEITEMS + query, headers=headers)
        assert response.status_code == 200
        assert response.content_type == "application/vnd.ims.lis.v2.lineitemcontainer+json"
        return [i["label"] for i in response.json]

    assert listed("") == ["Reflectiejournaal", "Tweede", "Ander"]
    assert listed("?resource_id=driehoek-journal-2") == ["Tweede"]
    assert listed("?tag=reflectiejournaal") == ["Reflectiejournaal"]
    assert listed(f"?resource_link_id={platform.RESOURCE_LINK['id']}") == ["Reflectiejournaal"]
    assert listed("?resource_id=none") == []

    seen, url = [], LINEITEMS + "?limit=2"
    while url:
        page = sandbox.get(url, headers=headers)
        seen.append([i["label"] for i in page.json])
        link = page.headers.get("Link")
        url = path(link.split(">", 1)[0].lstrip("<")) if link else ""
    assert seen == [["Reflectiejournaal", "Tweede"], ["Ander"]]

    changed = sandbox.put(
        path(second["id"]),
        json={**second, "label": "Eindreflectie", "scoreMaximum": 10},
        headers={**headers, "Content-Type": LINEITEM_TYPE},
    )
    assert changed.status_code == 200 and changed.json["label"] == "Eindreflectie"
    assert sandbox.get(path(second["id"]), headers=headers).json["scoreMaximum"] == 10
    assert sandbox.get(LINEITEMS + "/9999", headers=headers).status_code == 404

    for body, reason in (
        ({"scoreMaximum": 20}, "label"),
        ({"label": "x", "scoreMaximum": 0}, "scoreMaximum"),
        ({"label": "x", "scoreMaximum": "20"}, "scoreMaximum"),
        ({"label": "x", "scoreMaximum": 5, "resourceLinkId": "elsewhere"}, "resourceLinkId"),
    ):
        refused = sandbox.post(LINEITEMS, json=body, headers=headers)
        assert refused.status_code == 400 and reason in refused.json["error_description"]
    assert sandbox.post(LINEITEMS, data="{", headers=headers).status_code == 400
    assert listed("") == ["Reflectiejournaal", "Eindreflectie", "Ander"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"userId": None}, "userId"),
        ({"userId": "someone-else"}, "member"),
        ({"timestamp": None}, "timestamp"),
        ({"timestamp": "2026-12-08T10:42:00"}, "time zone"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"activityProgress": "Done"}, "activityProgress"),
        ({"activityProgress": None}, "activityProgress"),
        ({"gradingProgress": "Graded"}, "gradingProgress"),
        ({"scoreMaximum": None}, "scoreMaximum"),
        ({"scoreGiven": -1}, "scoreGiven"),
        ({"scoreGiven": True}, "scoreGiven"),
    ],
)
def test_a_score_is_checked_before_it_is_kept(
    sandbox: FlaskClient, served_app: Flask, change: dict[str, Any], reason: str
) -> None:
    headers = auth(sandbox, served_app)
    item = new_line_item(sandbox, headers)
    refused = score(sandbox, headers, item, **change)
    assert refused.status_code == 400
    assert reason in refused.json["error_description"]
    assert results(sandbox, headers, item) == []


def test_only_the_newest_score_per_student_counts(sandbox: FlaskClient, served_app: Flask) -> None:
    headers = auth(sandbox, served_app)
    item = new_line_item(sandbox, headers)
    wrong_type = sandbox.post(
        path(item["id"]) + "/scores",
        data="userId=x",
        headers={**headers, "Content-Type": "text/plain"},
    )
    assert wrong_type.status_code == 415

    assert (
        score(sandbox, headers, item, timestamp="2026-12-08T10:42:00.500+01:00").status_code == 204
    )
    # An older timestamp (even written in another zone) is ignored, as AGS 2.0 §3.4.7 says.
    older = score(sandbox, headers, item, scoreGiven=3, timestamp="2026-12-08T09:42:00.400Z")
    assert older.status_code == 204
    same = score(sandbox, headers, item, scoreGiven=4, timestamp="2026-12-08T09:42:00.5Z")
    assert same.status_code == 204
    (kept,) = results(sandbox, headers, item)
    assert kept["userId"] == "student-sofie" and kept["resultScore"] == 15
    assert kept["comment"] == "Mooie groei."

    regrade = score(
        sandbox, headers, item, scoreGiven=8, scoreMaximum=10, timestamp="2026-12-08T11:00:00Z"
    )
    assert regrade.status_code == 204
    score(
        sandbox, headers, item, userId="student-lotte", gradingProgress="Pending", scoreGiven=None
    )
    found = {r["userId"]: r for r in results(sandbox, headers, item)}
    assert found["student-sofie"]["resultScore"] == 16  # 8 of 10 on the column's 20
    assert found["student-sofie"]["resultMaximum"] == 20
    assert "resultScore" not in found["student-lotte"]  # not graded yet
    one = sandbox.get(path(item["id"]) + "/results?user_id=student-lotte", headers=headers)
    assert [r["userId"] for r in one.json] == ["student-lotte"]

    page = sandbox.get("/sandbox/gradebook").get_data(as_text=True)
    row = page.split('data-student="student-sofie"', 1)[1].split("</tr>", 1)[0]
    assert "8 / 10" in row
    assert "2 more requests ignored" in row


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def inject(client: FlaskClient, **form: str) -> Any:
    token = csrf(client.get("/sandbox/gradebook").get_data(as_text=True))
    return client.post("/sandbox/gradebook/faults", data={"csrf_token": token, **form})


def test_the_gradebook_injects_failures_for_the_next_requests(
    sandbox: FlaskClient, served_app: Flask
) -> None:
    headers = auth(sandbox, served_app)
    item = new_line_item(sandbox, headers)
    assert inject(sandbox, kind="500", count="2").status_code == 303
    assert inject(sandbox, kind="429", count="1", retry_after="7").status_code == 303
    assert inject(sandbox, kind="hang", count="1", hang_seconds="0.2").status_code == 303
    page = sandbox.get("/sandbox/gradebook").get_data(as_text=True)
    assert "2 more requests: 500" in page and "1 more request: 429" in page

    answers = [score(sandbox, headers, item) for _ in range(5)]
    assert [a.status_code for a in answers] == [500, 500, 429, 504, 204]
    assert answers[2].headers["Retry-After"] == "7"
    assert len(results(sandbox, headers, item)) == 1

    page = sandbox.get("/sandbox/gradebook").get_data(as_text=True)
    table = page.split('id="injected"', 1)[1].split("</table>", 1)[0]
    assert [k for k in re.findall(r"<td>(500|429|hang)</td>", table)] == [
        "hang",
        "429",
        "500",
        "500",
    ]
    assert table.count("Reflectiejournaal") == 4
    assert "faults-due" not in page

    for bad in (
        {"kind": "404", "count": "1"},
        {"kind": "500", "count": "0"},
        {"kind": "500", "count": "x"},
    ):
        refused = inject(sandbox, **bad)
        assert refused.status_code == 400 and 'role="alert"' in refused.get_data(as_text=True)
    inject(sandbox, kind="500", count="3")
    cleared = sandbox.post(
        "/sandbox/gradebook/faults",
        data={
            "csrf_token": csrf(sandbox.get("/sandbox/gradebook").get_data(as_text=True)),
            "action": "clear",
        },
    )
    assert cleared.status_code == 303
    assert score(sandbox, headers, item, timestamp="2026-12-09T10:00:00Z").status_code == 204


def test_the_gradebook_lives_in_the_instance_folder_not_in_a_process(
    sandbox: FlaskClient, served_app: Flask, database_url: str
) -> None:
    headers = auth(sandbox, served_app)
    item = new_line_item(sandbox, headers)
    assert score(sandbox, headers, item).status_code == 204
    inject(sandbox, kind="500", count="1")
    # Another process of the same installation (a second gunicorn worker) sees the same.
    other = create_app(
        settings(
            database_url,
            Path(served_app.instance_path),
            BASE_URL=served_app.config["BASE_URL"],
        )
    )
    try:
        client = other.test_client()
        assert score(client, headers, item, timestamp="2026-12-09T10:00:00Z").status_code == 500
        page = client.get("/sandbox/gradebook").get_data(as_text=True)
        assert "15 / 20" in page
    finally:
        other.extensions["db_engine"].dispose()


def launch_token(
    client: FlaskClient, app: Flask, person_id: str, hint: str, target: str | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Through the tool's login and the sandbox's auth endpoint: the id_token the sandbox signs
    (its claims, checked with the sandbox's key) and the form that posts it to the tool."""
    demo = platform.college_of(person_id)
    assert demo is not None
    base = app.config["BASE_URL"]
    login = client.get(
        "/lti/login",
        query_string={
            "iss": base + "/sandbox",
            "login_hint": person_id,
            "target_link_uri": target or base + "/lti/launch",
            "lti_message_hint": hint,
            "client_id": demo.client_id,
        },
    )
    assert login.status_code == 302, login.get_data(as_text=True)
    page = client.get(path(login.headers["Location"]))
    assert page.status_code == 200, page.get_data(as_text=True)
    form = next(f for f in Forms(page.get_data(as_text=True)).forms if f["id"] == "autopost")
    with app.app_context():
        key = jwt.PyJWK(platform.jwks()["keys"][0])
    claims = jwt.decode(
        form["fields"]["id_token"], key.key, algorithms=["RS256"], audience=demo.client_id
    )
    return claims, form["fields"]


def test_launches_carry_the_grade_service_where_the_lms_offers_it(
    sandbox: FlaskClient, served_app: Flask
) -> None:
    with served_app.test_request_context():
        hint = platform.message_hint("resource")
    claims, _ = launch_token(sandbox, served_app, "student-sofie", hint)
    ags = claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]
    assert ags["lineitems"] == served_app.config["BASE_URL"] + LINEITEMS
    assert set(ags["scope"]) == {LINEITEM_SCOPE, RESULT_READ, SCORE_SCOPE}
    assert "lineitem" not in ags  # the course's first link has no column
    assert (
        claims["https://purl.imsglobal.org/spec/lti/claim/resource_link"] == platform.RESOURCE_LINK
    )

    # Its column, once a tool made one on that link, comes with the link's launches.
    item = new_line_item(
        sandbox, auth(sandbox, served_app), resourceLinkId=platform.RESOURCE_LINK["id"]
    )
    claims, _ = launch_token(sandbox, served_app, "student-sofie", hint)
    assert (
        claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitem"] == item["id"]
    )

    # The second college's LMS offers no grade service.
    noord, _ = launch_token(sandbox, served_app, "noord-coach-ilse", hint)
    assert "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint" not in noord
