"""No server-side request forgery: what someone sends Driehoek to fetch is checked (lti.outbound).

``Intranet`` is a real HTTP server on 127.0.0.1 standing for a machine inside the college's
network: it answers every path with a secret marker. Whatever is refused must never have reached
it, and its marker must never appear on a page. Pages are asked for in English
(``Accept-Language``), so the words they say can be checked whatever the Dutch catalog holds.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from lti_app import create_app, db
from lti_app.lti.models import Platform
from lti_app.lti.registration import add_platform
from lti_app.lti.services import LtiServiceError, ServiceFailure, service_client
from tests.conftest import TOOL_BASE, empty_tables, settings
from tests.launching import FlaskBrowser, launch
from tests.lms import Person, TestLMS
from tests.signing import new_invite

MARKER = "intranet-secret-7f3a91"
CONFIG_PATH = "/.well-known/openid-configuration"
ENGLISH = {"Accept-Language": "en"}
# A name that looks public but resolves (here, by the test's resolver) to the intranet machine.
LOOKS_PUBLIC = "lms.hogeschool-gent.example"

Answer = Callable[[BaseHTTPRequestHandler], None]


def marker_page(handler: BaseHTTPRequestHandler) -> None:
    body = f"<html><body>{MARKER}</body></html>".encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class Intranet:
    """A machine inside the network. ``answers[path]`` may replace the marker page per path."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.requests: list[str] = []
        self.release = threading.Event()  # ends whatever a slow answer is waiting for
        intranet = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                path = self.path.split("?", 1)[0]
                intranet.requests.append(path)
                # The tool may hang up mid-answer, as it should on a refused one.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    intranet.answers.get(path, marker_page)(self)

            do_GET = do_POST = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def intranet() -> Iterator[Intranet]:
    server = Intranet()
    yield server
    server.close()


@pytest.fixture
def looks_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """``LOOKS_PUBLIC`` resolves to 127.0.0.1, as a name an attacker controls could."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == LOOKS_PUBLIC else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def make_app(database_url: str, instance_dir: Path) -> Iterator[Callable[..., Flask]]:
    made: list[Flask] = []

    def _make(**extra: Any) -> Flask:
        empty_tables(database_url)
        app = create_app(settings(database_url, instance_dir, **extra))
        made.append(app)
        return app

    yield _make
    for app in made:
        app.extensions["db_engine"].dispose()


# What production needs (see test_core.py): an https BASE_URL, a secret, the machine's clock.
PRODUCTION = {
    "DRIEHOEK_ENV": "production",
    "BASE_URL": "https://tool.example",
    "CLOCK_SHIFT_SECONDS": 0,
}


@pytest.fixture
def production(make_app: Callable[..., Flask]) -> Flask:
    return make_app(**PRODUCTION)


def register(app: Flask, configuration_url: str) -> tuple[int, str]:
    response = app.test_client().get(
        f"/lti/register/{new_invite(app)}",  # the operator opened registration
        query_string={"openid_configuration": configuration_url, "registration_token": "tok-1"},
        headers=ENGLISH,
    )
    return response.status_code, response.get_data(as_text=True)


def platform_count(app: Flask) -> int:
    with app.app_context():
        return int(db.session().scalar(select(func.count(Platform.id))) or 0)


def refused_in_words(app: Flask, status: int, page: str, words: str) -> None:
    assert 400 <= status < 500, page[:800]
    assert "could not be registered" in page
    assert words in page, page[:1500]
    assert MARKER not in page
    assert "Errno" not in page and "Traceback" not in page  # no socket or exception text
    assert platform_count(app) == 0


PRIVATE = "the address points to a private network"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1:{port}" + CONFIG_PATH, "must use https"),
        ("https://127.0.0.1:{port}" + CONFIG_PATH, PRIVATE),
        ("https://10.0.0.1" + CONFIG_PATH, PRIVATE),
        ("http://[::1]:{port}" + CONFIG_PATH, "must use https"),
        ("https://[::1]:{port}" + CONFIG_PATH, PRIVATE),
        ("https://[::ffff:127.0.0.1]:{port}" + CONFIG_PATH, PRIVATE),
        ("https://169.254.169.254/latest/meta-data/", PRIVATE),
        ("https://localhost:{port}" + CONFIG_PATH, PRIVATE),
        ("https://" + LOOKS_PUBLIC + ":{port}" + CONFIG_PATH, PRIVATE),
        ("https://2130706433:{port}" + CONFIG_PATH, PRIVATE),  # 127.0.0.1 as one number
    ],
)
def test_production_refuses_configuration_urls_inside_the_network(
    production: Flask, intranet: Intranet, looks_public: None, url: str, words: str
) -> None:
    status, page = register(production, url.format(port=intranet.port))
    refused_in_words(production, status, page, words)
    assert intranet.requests == []  # refused before anything was sent


def test_a_redirect_to_a_private_address_is_refused(
    make_app: Callable[..., Flask], intranet: Intranet, looks_public: None
) -> None:
    # localhost is named as allowed (as a developer would); 127.0.0.1 and LOOKS_PUBLIC are not.
    app = make_app(OUTBOUND_PRIVATE_HOSTS="localhost")
    for target in (intranet.url("/secret"), intranet.url("/secret", host=LOOKS_PUBLIC)):

        def redirect(handler: BaseHTTPRequestHandler, target: str = target) -> None:
            handler.send_response(302)
            handler.send_header("Location", target)
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        intranet.answers[CONFIG_PATH] = redirect
        status, page = register(app, intranet.url(CONFIG_PATH, host="localhost"))
        refused_in_words(app, status, page, PRIVATE)
    assert intranet.requests == [CONFIG_PATH, CONFIG_PATH]  # never /secret


def test_the_allow_list_lets_a_named_host_through(
    make_app: Callable[..., Flask], intranet: Intranet, looks_public: None
) -> None:
    app = make_app(OUTBOUND_PRIVATE_HOSTS="localhost")
    status, page = register(app, intranet.url(CONFIG_PATH))
    refused_in_words(app, status, page, PRIVATE)  # 127.0.0.1 is not named

    # A named host is fetched (at the address it resolved to: the name exists nowhere else).
    issuer = intranet.url("", host=LOOKS_PUBLIC)
    configuration = {
        "issuer": issuer,
        "authorization_endpoint": issuer + "/auth",
        "token_endpoint": issuer + "/token",
        "jwks_uri": issuer + "/jwks.json",
        "registration_endpoint": issuer + "/register",
    }
    intranet.answers[CONFIG_PATH] = json_answer(configuration)
    intranet.answers["/register"] = json_answer({"client_id": "client-9"})
    app = make_app(OUTBOUND_PRIVATE_HOSTS=f"localhost, {LOOKS_PUBLIC.upper()}")
    status, page = register(app, intranet.url(CONFIG_PATH, host=LOOKS_PUBLIC))
    assert status == 200, page[:1500]
    assert platform_count(app) == 1
    assert intranet.requests == [CONFIG_PATH, "/register"]


def json_answer(body: Any, status: int = 200) -> Answer:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        payload = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    return answer


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
def test_an_oversized_answer_is_cut_off(
    make_app: Callable[..., Flask], intranet: Intranet, declared: bool
) -> None:
    chunk = (MARKER + " ").encode() * 4096  # ~90 KiB

    def huge(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if declared:
            handler.send_header("Content-Length", str(len(chunk) * 40))
        handler.end_headers()
        for _ in range(40):  # ~3.5 MiB, past the 1 MiB a configuration may have
            handler.wfile.write(chunk)

    intranet.answers[CONFIG_PATH] = huge
    app = make_app()
    status, page = register(app, intranet.url(CONFIG_PATH))
    refused_in_words(app, status, page, "the answer was too large")


@pytest.mark.parametrize("how", ["silent", "dripping"])
def test_a_slow_answer_times_out(
    make_app: Callable[..., Flask], intranet: Intranet, how: str
) -> None:
    def slow(handler: BaseHTTPRequestHandler) -> None:
        if how == "silent":
            intranet.release.wait(30)
            return
        # Dripping: a header line at a time, each well within a read timeout, never ending.
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        while not intranet.release.wait(0.1):
            handler.wfile.write(b"X-Marker: " + MARKER.encode() + b"\r\n")
            handler.wfile.flush()

    intranet.answers[CONFIG_PATH] = slow
    app = make_app(HTTP_TIMEOUT_SECONDS=1)
    status, page = register(app, intranet.url(CONFIG_PATH))
    intranet.release.set()
    refused_in_words(app, status, page, "the platform did not answer in time")


def test_an_answer_that_is_not_json_is_named_so(
    make_app: Callable[..., Flask], intranet: Intranet
) -> None:
    app = make_app()  # the marker page is HTML
    status, page = register(app, intranet.url(CONFIG_PATH))
    refused_in_words(app, status, page, "the answer was not valid JSON")


def test_endpoints_inside_the_network_are_not_registered(
    make_app: Callable[..., Flask], intranet: Intranet, looks_public: None
) -> None:
    """A configuration from an allowed host that names a token URL inside the network is not
    stored: that URL would be fetched later, at every roster sync."""
    issuer = intranet.url("", host=LOOKS_PUBLIC)
    configuration = {
        "issuer": issuer,
        "authorization_endpoint": issuer + "/auth",
        "token_endpoint": "http://10.1.2.3/token",
        "jwks_uri": issuer + "/jwks.json",
        "registration_endpoint": issuer + "/register",
    }
    intranet.answers[CONFIG_PATH] = json_answer(configuration)
    app = make_app(OUTBOUND_PRIVATE_HOSTS=LOOKS_PUBLIC)
    status, page = register(app, issuer + CONFIG_PATH)
    refused_in_words(app, status, page, "token_endpoint")
    assert PRIVATE in page
    assert intranet.requests == [CONFIG_PATH]  # our configuration was not sent to it


def test_key_sets_inside_the_network_are_not_fetched(
    make_app: Callable[..., Flask], student: Person
) -> None:
    # The test LMS serves its keys from 127.0.0.1, which this installation does not allow.
    app = make_app(OUTBOUND_PRIVATE_HOSTS="localhost")
    lms = TestLMS(tool_base=TOOL_BASE)
    try:
        with app.app_context():
            add_platform(db.session(), **lms.tool_registration())
            db.session().commit()
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        page = launch(FlaskBrowser(client), lms, student, follow=False)
    finally:
        lms.close()
    assert 400 <= page.status < 500, page.text[:800]
    assert "keys" in page.text and "private network" in page.text
    assert ("GET", "/jwks.json") not in lms.requests_seen


def test_roster_calls_inside_the_network_are_refused(
    make_app: Callable[..., Flask], intranet: Intranet
) -> None:
    """The token goes to an allowed host; the NRPS URL a launch carried points inside: the
    bearer token is never sent there."""
    intranet.answers["/token"] = json_answer(
        {"access_token": "bearer-1", "token_type": "Bearer", "expires_in": 300}
    )
    app = make_app(OUTBOUND_PRIVATE_HOSTS="localhost")
    with app.app_context():
        s = db.session()
        platform = add_platform(
            s,
            issuer="https://lms.example",
            client_id="c-1",
            deployment_ids=["d-1"],
            auth_login_url="https://lms.example/auth",
            auth_token_url=intranet.url("/token", host="localhost"),
            key_set_url="https://lms.example/jwks.json",
        )
        s.commit()
        with (
            service_client(s, platform) as client,
            pytest.raises(LtiServiceError) as caught,
        ):
            client.get_memberships_page(intranet.url("/nrps"))
    assert caught.value.failure is ServiceFailure.REFUSED
    assert not caught.value.retryable
    assert intranet.requests == ["/token"]


def test_production_refuses_a_token_url_inside_the_network(
    production: Flask, intranet: Intranet
) -> None:
    with production.app_context():
        s = db.session()
        platform = add_platform(
            s,
            issuer="https://lms.example",
            client_id="c-1",
            deployment_ids=["d-1"],
            auth_login_url="https://lms.example/auth",
            auth_token_url=intranet.url("/token", scheme="https"),
            key_set_url="https://lms.example/jwks.json",
        )
        s.commit()
        with (
            service_client(s, platform) as client,
            pytest.raises(LtiServiceError) as caught,
        ):
            client.get_memberships_page("https://lms.example/nrps")
    assert caught.value.failure is ServiceFailure.REFUSED
    assert intranet.requests == []
