"""The sandbox LMS's content picker and its gradebook's submission review launches.

The coach's "add content" button sends a deep-linking request; the response the tool signs
comes back to the sandbox, which checks it and places each link (and a line item where the
item carries one). Launching a placed link sends its custom parameters and its ``lineitem``;
the gradebook's "view in Driehoek" signs an ``LtiSubmissionReviewRequest`` for the coach about
one student. Responses here are signed with the tool's own key (as the tool signs them), and
one round trip goes through the tool's deep-linking page itself.
"""

from __future__ import annotations

import html
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from flask import Flask
from flask.testing import FlaskClient

from lti_app import db
from lti_app.lti import keys
from lti_app.sandbox import platform
from tests.functional.test_deep_linking import Forms
from tests.functional.test_sandbox_ags import (  # noqa: F401
    LINEITEM_TYPE,
    LINEITEMS,
    auth,
    launch_token,
    new_line_item,
    path,
    sandbox,
    score,
    served_app,
)
from tests.lms import rsa_pem

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
COACH = "coach-an"
JOURNAL_ITEM = {
    "type": "ltiResourceLink",
    "title": "Reflectiejournaal",
    "url": "",  # the tool's launch URL, filled in
    "custom": {"driehoek_view": "journal", "driehoek_resource": "driehoek-journal-7"},
    "lineItem": {
        "label": "Reflectiejournaal",
        "scoreMaximum": 20,
        "resourceId": "driehoek-journal-7",
        "tag": "reflectiejournaal",
    },
}
OVERVIEW_ITEM = {
    "type": "ltiResourceLink",
    "title": "Stage-overzicht",
    "custom": {"driehoek_view": "overview"},
}


def form_with(page: str, marker: str) -> dict[str, str]:
    """The fields of the form whose button carries ``marker`` (its first select's first option
    stands for the chosen person)."""
    before = page.split(marker, 1)[0]
    html = before[before.rindex("<form") :] + "</form>"
    return dict(Forms(html).forms[0]["fields"])


def deep_link_request(client: FlaskClient, app: Flask) -> dict[str, Any]:
    course = client.get("/sandbox/").get_data(as_text=True)
    fields = form_with(course, 'data-deeplink="1"')
    claims, _ = launch_token(client, app, COACH, fields["lti_message_hint"])
    return claims


def response_token(
    app: Flask,
    request: dict[str, Any],
    items: list[Any],
    key_pem: str | None = None,
    **change: Any,
) -> str:
    """An LtiDeepLinkingResponse as the tool signs it (its key from its own key store)."""
    with app.app_context():
        key = keys.signing_key(db.session())
    now = int(time.time())
    message = {
        "iss": platform.CLIENT_ID,
        "aud": app.config["BASE_URL"] + "/sandbox",
        "iat": now,
        "exp": now + 600,
        "nonce": secrets.token_urlsafe(16),
        CLAIM + "deployment_id": platform.DEPLOYMENT_ID,
        CLAIM + "message_type": "LtiDeepLinkingResponse",
        CLAIM + "version": "1.3.0",
        DL + "content_items": items,
        DL + "data": request[DL + "deep_linking_settings"]["data"],
        **change,
    }
    return jwt.encode(
        message, key_pem or key.private_pem, algorithm="RS256", headers={"kid": key.kid}
    )


def returned_message(page: str) -> str:
    """The message the returned page sends the LMS page (the course) back with."""
    target = html.unescape(page.split('data-target="', 1)[1].split('"', 1)[0])
    return parse_qs(urlsplit(target).query)["message"][0]


def journal_item(app: Flask) -> dict[str, Any]:
    return {**JOURNAL_ITEM, "url": app.config["BASE_URL"] + "/lti/launch"}


def line_items(client: FlaskClient, app: Flask) -> list[dict[str, Any]]:
    response = client.get(LINEITEMS, headers=auth(client, app))
    assert response.status_code == 200
    return list(response.json)


def test_the_content_picker_places_links_and_makes_the_column_at_once(
    sandbox: FlaskClient, served_app: Flask
) -> None:
    request = deep_link_request(sandbox, served_app)
    assert request[CLAIM + "message_type"] == "LtiDeepLinkingRequest"
    assert request["sub"] == COACH
    settings = request[DL + "deep_linking_settings"]
    assert settings["accept_types"] == ["ltiResourceLink"]
    assert settings["accept_multiple"] is True
    assert (
        settings["deep_link_return_url"]
        == served_app.config["BASE_URL"] + "/sandbox/deep-link-return"
    )
    assert request[AGS]["lineitems"].endswith(LINEITEMS)

    token = response_token(served_app, request, [journal_item(served_app), OVERVIEW_ITEM])
    returned = sandbox.post("/sandbox/deep-link-return", data={"JWT": token})
    assert returned.status_code == 200, returned.get_data(as_text=True)
    assert "2 links were added" in returned_message(returned.get_data(as_text=True))

    (column,) = line_items(sandbox, served_app)
    assert column["label"] == "Reflectiejournaal" and column["scoreMaximum"] == 20
    assert column["resourceId"] == "driehoek-journal-7" and column["tag"] == "reflectiejournaal"

    course = sandbox.get("/sandbox/").get_data(as_text=True)
    assert course.index("Reflectiejournaal") < course.index("Stage-overzicht")
    journal_link = column["resourceLinkId"]
    assert f'data-link="{journal_link}"' in course

    # The same response again (or any second answer to that request) places nothing more.
    again = sandbox.post("/sandbox/deep-link-return", data={"JWT": token})
    assert again.status_code == 400
    assert len(line_items(sandbox, served_app)) == 1
    assert sandbox.get("/sandbox/").get_data(as_text=True).count("data-open-link=") == 2

    # Launching the journal link: its custom parameters and its column.
    fields = form_with(course, f'data-open-link="{journal_link}"')
    claims, _ = launch_token(sandbox, served_app, "student-sofie", fields["lti_message_hint"])
    assert claims[CLAIM + "message_type"] == "LtiResourceLinkRequest"
    assert claims[CLAIM + "resource_link"] == {"id": journal_link, "title": "Reflectiejournaal"}
    assert claims[CLAIM + "custom"]["driehoek_view"] == "journal"
    assert claims[CLAIM + "custom"]["driehoek_resource"] == "driehoek-journal-7"
    assert claims[CLAIM + "custom"]["programme"] == platform.MAIN.programme
    assert claims[AGS]["lineitem"] == column["id"]
    assert platform.AGS_SCOPES[3] in claims[AGS]["scope"]

    overview = next(
        link for link in course.split('data-open-link="')[1:] if not link.startswith(journal_link)
    ).split('"', 1)[0]
    fields = form_with(course, f'data-open-link="{overview}"')
    claims, _ = launch_token(sandbox, served_app, COACH, fields["lti_message_hint"])
    assert claims[CLAIM + "custom"]["driehoek_view"] == "overview"
    assert (
        "lineitem" not in claims[AGS] and claims[AGS]["lineitems"] == column["id"].rsplit("/", 1)[0]
    )


def test_a_response_not_signed_for_our_request_places_nothing(
    sandbox: FlaskClient, served_app: Flask
) -> None:
    request = deep_link_request(sandbox, served_app)
    item = journal_item(served_app)
    bad_line_item = {**item, "lineItem": {**JOURNAL_ITEM["lineItem"], "scoreMaximum": 0}}  # type: ignore[dict-item]
    for token, reason in (
        (response_token(served_app, request, [item], key_pem=rsa_pem()), "Signature"),
        (response_token(served_app, request, [item], **{DL + "data": "forged"}), "data"),
        (response_token(served_app, request, [item], iss="someone-else"), "iss"),
        (response_token(served_app, request, [item], aud="https://elsewhere.example"), "Audience"),
        (
            response_token(
                served_app, request, [item], **{CLAIM + "message_type": "LtiResourceLinkRequest"}
            ),
            "message_type",
        ),
        (response_token(served_app, request, [bad_line_item]), "scoreMaximum"),
        (
            response_token(
                served_app, request, [{"type": "file", "url": "https://x.example/a.pdf"}]
            ),
            "ltiResourceLink",
        ),
        (response_token(served_app, request, [{**item, "custom": {"n": 1}}]), "custom"),
        ("not-a-jwt", "rejected"),
    ):
        refused = sandbox.post("/sandbox/deep-link-return", data={"JWT": token})
        assert refused.status_code == 400, reason
        assert reason in refused.get_data(as_text=True), reason
    assert line_items(sandbox, served_app) == []
    assert "data-open-link" not in sandbox.get("/sandbox/").get_data(as_text=True)
    # The request is still unanswered: a good response is taken.
    good = response_token(served_app, request, [item])
    assert sandbox.post("/sandbox/deep-link-return", data={"JWT": good}).status_code == 200


def test_the_content_picker_through_the_tool_itself(
    sandbox: FlaskClient, served_app: Flask
) -> None:
    """The tool's own deep-linking page answers; the sandbox places what it chose."""
    course = sandbox.get("/sandbox/").get_data(as_text=True)
    fields = form_with(course, 'data-deeplink="1"')
    _, autopost = launch_token(sandbox, served_app, COACH, fields["lti_message_hint"])
    launched = sandbox.post("/lti/launch", data=autopost)
    assert launched.status_code in (302, 303), launched.get_data(as_text=True)[:500]
    picker = sandbox.get(path(launched.headers["Location"])).get_data(as_text=True)
    here = path(launched.headers["Location"])
    # The page's own form (the other one changes the language): its default choices.
    form = next(f for f in Forms(picker).forms if f["action"] in (None, "", here))
    answered = sandbox.post(form["action"] or here, data=form["fields"])
    assert answered.status_code == 200, answered.get_data(as_text=True)[:500]
    back = next(f for f in Forms(answered.get_data(as_text=True)).forms if f["id"] == "autopost")
    assert back["action"] == served_app.config["BASE_URL"] + "/sandbox/deep-link-return"
    placed = sandbox.post("/sandbox/deep-link-return", data=back["fields"])
    assert placed.status_code == 200, placed.get_data(as_text=True)
    assert sandbox.get("/sandbox/").get_data(as_text=True).count("data-open-link=") >= 1


def test_view_in_driehoek_signs_a_submission_review_for_the_coach(
    sandbox: FlaskClient, served_app: Flask
) -> None:
    request = deep_link_request(sandbox, served_app)
    token = response_token(served_app, request, [journal_item(served_app)])
    assert sandbox.post("/sandbox/deep-link-return", data={"JWT": token}).status_code == 200
    headers = auth(sandbox, served_app)
    (column,) = line_items(sandbox, served_app)
    assert (
        score(sandbox, headers, column, comment="Sterke reflectie op differentiatie.").status_code
        == 204
    )

    page = sandbox.get("/sandbox/gradebook").get_data(as_text=True)
    assert f'data-line-item="{column["id"].rsplit("/", 1)[1]}"' in page
    row = page.split('data-student="student-sofie"', 1)[1].split("</tr>", 1)[0]
    assert "15 / 20" in row and "Sterke reflectie op differentiatie." in row
    assert "View in Driehoek" in row
    other = page.split('data-student="student-lotte"', 1)[1].split("</tr>", 1)[0]
    assert "View in Driehoek" not in other  # no score, nothing to review

    fields = form_with(row, "data-review=")
    assert fields["login_hint"] == COACH
    claims, autopost = launch_token(sandbox, served_app, COACH, fields["lti_message_hint"])
    assert claims[CLAIM + "message_type"] == "LtiSubmissionReviewRequest"
    assert claims["sub"] == COACH
    assert any("Instructor" in r for r in claims[CLAIM + "roles"])
    assert claims[CLAIM + "for_user"]["user_id"] == "student-sofie"
    assert claims[CLAIM + "for_user"]["name"] == "Sofie De Smet"
    assert claims[CLAIM + "resource_link"]["id"] == column["resourceLinkId"]
    assert claims[AGS]["lineitem"] == column["id"]
    assert claims[CLAIM + "custom"]["driehoek_resource"] == "driehoek-journal-7"
    assert claims[CLAIM + "target_link_uri"] == served_app.config["BASE_URL"] + "/lti/launch"
    assert set(autopost) == {"id_token", "state"}

    # A hint for a student without a place in the course, or a column that is gone: refused.
    with served_app.test_request_context():
        stale = platform.message_hint("review", line_item=999, for_user="student-sofie")
    refused = sandbox.get(
        "/sandbox/auth",
        query_string={
            "login_hint": COACH,
            "client_id": platform.CLIENT_ID,
            "redirect_uri": served_app.config["BASE_URL"] + "/lti/launch",
            "response_type": "id_token",
            "scope": "openid",
            "nonce": "n",
            "state": "s",
            "lti_message_hint": stale,
        },
    )
    assert refused.status_code == 404
