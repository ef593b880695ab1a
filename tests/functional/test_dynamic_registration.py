"""LTI Dynamic Registration against a platform stub on a real local HTTP server, and the Canvas JSON.

The stub is TestLMS (lti1p3platform) with two extra routes: its OpenID configuration and a
registration endpoint that records what the tool sent. After registering, the same TestLMS
launches into the tool with the client id and deployment id it handed out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from lti_app import create_app, db
from lti_app.lti.models import Platform
from lti_app.lti.registration import TOOL_CONFIGURATION
from tests.conftest import TOOL_BASE, settings
from tests.launching import FlaskBrowser, launch
from tests.lms import Person, TestLMS
from tests.servers import closed_port
from tests.signing import new_invite

CONFIG_PATH = "/.well-known/openid-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
CLIENT_ID = "dyn-client-7"
DEPLOYMENT_ID = "dyn-deployment-1"
TOKEN = "reg-token-abc123"


class PlatformStub:
    """The platform side of dynamic registration, served by TestLMS's HTTP server."""

    def __init__(self, lms: TestLMS):
        self.lms = lms
        self.issuer = lms.issuer
        self.register_status = 200
        self.register_answer: dict[str, Any] | None = None
        self.registrations: list[tuple[dict[str, str], dict[str, Any]]] = []
        lms.routes[CONFIG_PATH] = self._configuration
        lms.routes["/register"] = self._register

    @property
    def configuration_url(self) -> str:
        return self.lms.url(CONFIG_PATH)

    def configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.lms.url("/auth"),
            "token_endpoint": self.lms.url("/token"),
            "jwks_uri": self.lms.url("/jwks.json"),
            "registration_endpoint": self.lms.url("/register"),
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid"],
            "response_types_supported": ["id_token"],
            "claims_supported": ["sub", "iss", "name", "email"],
            PLATFORM_CONFIGURATION: {
                "product_family_code": "moodle",
                "version": "4.5",
                "messages_supported": [
                    {"type": "LtiResourceLinkRequest"},
                    {"type": "LtiDeepLinkingRequest"},
                ],
            },
        }

    def _configuration(
        self, method: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        return 200, {"Content-Type": "application/json"}, json.dumps(self.configuration()).encode()

    def _register(
        self, method: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        lowered = {k.lower(): v for k, v in headers.items()}
        sent = json.loads(body or b"null")
        self.registrations.append((lowered, sent))
        if self.register_status >= 400:
            answer = {"error": "invalid_client_metadata", "error_description": "token expired"}
            return (
                self.register_status,
                {"Content-Type": "application/json"},
                json.dumps(answer).encode(),
            )
        answer = self.register_answer or {
            **sent,
            "client_id": CLIENT_ID,
            TOOL_CONFIGURATION: {**sent[TOOL_CONFIGURATION], "deployment_id": DEPLOYMENT_ID},
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(answer).encode()


@pytest.fixture
def stub(app: Flask) -> Iterator[PlatformStub]:
    """An unregistered platform that will hand out CLIENT_ID and DEPLOYMENT_ID."""
    lms = TestLMS(tool_base=TOOL_BASE, client_id=CLIENT_ID, deployment_id=DEPLOYMENT_ID)
    yield PlatformStub(lms)
    lms.close()


@pytest.fixture
def register(app: Flask, client: FlaskClient) -> Callable[..., Any]:
    """Open registration as the LMS does, through a fresh one-time URL of the operator's."""

    def _register(configuration_url: str, token: str | None = TOKEN) -> Any:
        query = {"openid_configuration": configuration_url}
        if token is not None:
            query["registration_token"] = token
        # In English: the words checked below are the English ones, whatever nl translates.
        return client.get(
            f"/lti/register/{new_invite(app)}",
            query_string=query,
            headers={"Accept-Language": "en"},
        )

    return _register


def platform_count(app: Flask) -> int:
    with app.app_context():
        return int(db.session().scalar(select(func.count(Platform.id))) or 0)


def test_dynamic_registration_stores_platform_and_closes_the_window(
    app: Flask, client: FlaskClient, stub: PlatformStub, register: Callable[..., Any]
) -> None:
    response = register(stub.configuration_url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:800]
    assert CLIENT_ID in page

    # The platform got our bearer token and a correct tool configuration.
    [(headers, sent)] = stub.registrations
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["content-type"].startswith("application/json")
    assert sent["application_type"] == "web"
    assert sent["response_types"] == ["id_token"]
    assert set(sent["grant_types"]) == {"implicit", "client_credentials"}
    assert sent["initiate_login_uri"] == TOOL_BASE + "/lti/login"
    assert sent["redirect_uris"] == [TOOL_BASE + "/lti/launch"]
    assert sent["jwks_uri"] == TOOL_BASE + "/.well-known/jwks.json"
    assert sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in sent["scope"].split()
    tool = sent[TOOL_CONFIGURATION]
    assert tool["domain"] == "tool.test"
    assert tool["target_link_uri"] == TOOL_BASE + "/lti/launch"
    messages = {m["type"]: m for m in tool["messages"]}
    assert {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"} <= messages.keys()
    assert messages["LtiDeepLinkingRequest"]["target_link_uri"] == TOOL_BASE + "/lti/launch"
    # What the LMS shows teachers in its activity chooser: a description and an icon that exists.
    assert "stageovereenkomst" in tool["description"]
    assert sent["logo_uri"] == TOOL_BASE + "/static/driehoek-icon.png"
    assert messages["LtiDeepLinkingRequest"]["icon_uri"] == sent["logo_uri"]
    with client.get("/static/driehoek-icon.png") as icon:
        assert icon.status_code == 200 and icon.data.startswith(b"\x89PNG")

    # Stored with what the platform answered.
    with app.app_context():
        platform = db.session().scalars(select(Platform)).one()
        assert platform.issuer == stub.issuer
        assert platform.client_id == CLIENT_ID
        assert [d.deployment_id for d in platform.deployments] == [DEPLOYMENT_ID]
        assert platform.auth_login_url == stub.lms.url("/auth")
        assert platform.auth_token_url == stub.lms.url("/token")
        assert platform.key_set_url == stub.lms.url("/jwks.json")
        assert platform.source == "dynamic"
        assert platform.name.startswith("moodle")

    # The page tells the LMS window it may close (DR §3.6) with a script of our own (CSP).
    assert '<script src="/static/registered.js"' in page
    script = client.get("/static/registered.js")
    assert "org.imsglobal.lti.close" in script.get_data(as_text=True)
    script.close()


def test_launch_from_a_dynamically_registered_platform(
    client: FlaskClient, stub: PlatformStub, register: Callable[..., Any], student: Person
) -> None:
    assert register(stub.configuration_url).status_code == 200
    page = launch(FlaskBrowser(client), stub.lms, student)
    assert page.status == 200, page.text[:800]
    assert "Lotte" in page.text


def test_registering_again_updates_the_same_registration(
    app: Flask, stub: PlatformStub, register: Callable[..., Any]
) -> None:
    assert register(stub.configuration_url).status_code == 200
    assert register(stub.configuration_url).status_code == 200
    assert platform_count(app) == 1


def test_registration_without_token_sends_no_authorization(
    app: Flask, stub: PlatformStub, register: Callable[..., Any]
) -> None:
    assert register(stub.configuration_url, token=None).status_code == 200
    [(headers, _sent)] = stub.registrations
    assert "authorization" not in headers


@pytest.mark.parametrize("status", [400, 401])
def test_platform_refusing_the_registration_stores_nothing(
    app: Flask, stub: PlatformStub, register: Callable[..., Any], status: int
) -> None:
    stub.register_status = status
    response = register(stub.configuration_url)
    page = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500
    assert "refused" in page
    assert f"HTTP {status}" in page
    # What the platform answered is its own to show: not repeated on our page.
    assert "invalid_client_metadata" not in page and "token expired" not in page
    assert "registered.js" not in page  # the window is not closed on a failure
    assert platform_count(app) == 0


def test_answer_without_client_id_stores_nothing(
    app: Flask, stub: PlatformStub, register: Callable[..., Any]
) -> None:
    stub.register_answer = {"client_name": "Driehoek"}
    response = register(stub.configuration_url)
    assert 400 <= response.status_code < 500
    assert "no client_id" in response.get_data(as_text=True)
    assert platform_count(app) == 0


def test_issuer_that_is_not_the_configuration_url_prefix_is_refused(
    app: Flask, stub: PlatformStub, register: Callable[..., Any]
) -> None:
    stub.issuer = "https://other-lms.example"
    response = register(stub.configuration_url)
    assert 400 <= response.status_code < 500
    assert "issuer does not match" in response.get_data(as_text=True)
    assert stub.registrations == []  # our configuration was not sent to it
    assert platform_count(app) == 0


def test_issuer_that_is_only_a_string_prefix_of_another_origin_is_refused(
    app: Flask, stub: PlatformStub, register: Callable[..., Any]
) -> None:
    # Served from http://127.0.0.1:45678, claiming to be http://127.0.0.1:4567: a string prefix
    # of the configuration URL, but another origin (as https://lms.example is of
    # https://lms.example.evil.test/...).
    stub.issuer = stub.issuer[:-1]
    response = register(stub.configuration_url)
    assert 400 <= response.status_code < 500
    assert "issuer does not match" in response.get_data(as_text=True)
    assert stub.registrations == []
    assert platform_count(app) == 0


def test_issuer_with_a_path_prefix_is_accepted(
    app: Flask, stub: PlatformStub, register: Callable[..., Any]
) -> None:
    # A platform installed under a path (https://school.example/moodle) is its own issuer.
    stub.issuer = stub.lms.url("/.well-known")
    assert register(stub.configuration_url).status_code == 200
    assert platform_count(app) == 1


def test_unreachable_configuration_url_is_refused(app: Flask, register: Callable[..., Any]) -> None:
    with closed_port() as port:  # nothing listens there
        response = register(f"http://127.0.0.1:{port}{CONFIG_PATH}")
    page = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500
    assert "could not be read: the platform could not be reached" in page
    assert "Errno" not in page and "Connection refused" not in page  # no socket error text
    assert platform_count(app) == 0


@pytest.mark.parametrize("url", ["", "not-a-url", "file:///etc/passwd"])
def test_missing_or_malformed_configuration_url_is_refused(
    app: Flask, register: Callable[..., Any], url: str
) -> None:
    response = register(url)
    assert 400 <= response.status_code < 500
    assert platform_count(app) == 0


def test_canvas_configuration_uses_base_url(client: FlaskClient) -> None:
    config = client.get("/lti/config/canvas.json").get_json()
    assert config["oidc_initiation_url"] == TOOL_BASE + "/lti/login"
    assert config["target_link_uri"] == TOOL_BASE + "/lti/launch"
    assert config["public_jwk_url"] == TOOL_BASE + "/.well-known/jwks.json"
    [extension] = config["extensions"]
    assert extension["domain"] == "tool.test"
    assert extension["platform"] == "canvas.instructure.com"
    placements = extension["settings"]["placements"]
    assert {p["message_type"] for p in placements} == {
        "LtiResourceLinkRequest",
        "LtiDeepLinkingRequest",
    }
    assert all(p["target_link_uri"] == TOOL_BASE + "/lti/launch" for p in placements)


def test_canvas_configuration_follows_another_base_url(
    database_url: str, instance_dir: Path
) -> None:
    base = "https://driehoek.hogeschool.example"
    other = create_app(settings(database_url, instance_dir, BASE_URL=base))
    try:
        config = other.test_client().get("/lti/config/canvas.json").get_json()
    finally:
        other.extensions["db_engine"].dispose()
    assert config["oidc_initiation_url"] == base + "/lti/login"
    assert config["target_link_uri"] == base + "/lti/launch"
    assert config["public_jwk_url"] == base + "/.well-known/jwks.json"
    assert config["extensions"][0]["domain"] == "driehoek.hogeschool.example"
