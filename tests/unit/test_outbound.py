"""lti.outbound on its own: which addresses are refused, that the address checked is the one
connected to, and the limits of size and time, against real local HTTP servers."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from lti_app.config import load_settings
from lti_app.lti.outbound import Failure, OutboundError, OutboundSession, forbidden_address

MARKER = b"intranet-secret-51c2"
NAME = "lms.voorbeeld-hogeschool.example"  # exists nowhere: only the test's resolver knows it

Answer = Callable[[BaseHTTPRequestHandler], None]


def marker(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(MARKER)))
    handler.end_headers()
    handler.wfile.write(MARKER)


class Server:
    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.paths: list[str] = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.paths.append(self.path)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    server.answers.get(self.path, marker)(self)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """``lookups[name] = [addresses]`` makes ``name`` resolve there; returns the names asked."""
    real = socket.getaddrinfo
    table: dict[str, list[str]] = {"asked": []}

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        table["asked"].append(host)
        if host in table:
            return [
                info for address in table[host] for info in real(address, port, *args, **kwargs)
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


def fetch(url: str, **policy: Any) -> OutboundError:
    session = OutboundSession(policy.pop("timeout", 5), **policy)
    try:
        with pytest.raises(OutboundError) as caught:
            session.get(url)
    finally:
        session.close()
    assert MARKER.decode() not in str(caught.value)
    return caught.value


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.9.9.9",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.10",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address judged, not bound
        "224.0.0.251",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fe80::1%lo",
        "fc00::1",
        "fd12:3456::1",
        "fec0::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "not an address",
    ],
)
def test_addresses_inside_a_network_are_forbidden(address: str) -> None:
    assert forbidden_address(address)


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "2606:4700:4700::1111", "::ffff:93.184.215.14", "64:ff9b::808:808"]
)
def test_public_addresses_are_not(address: str) -> None:
    assert not forbidden_address(address)


def test_a_name_is_refused_when_any_of_its_addresses_is_private(
    server: Server, lookups: dict[str, list[str]]
) -> None:
    lookups[NAME] = ["93.184.215.14", "127.0.0.1"]
    error = fetch(server.url(host=NAME), require_https=False)
    assert error.failure is Failure.PRIVATE_ADDRESS
    assert server.paths == []


def test_an_allowed_name_is_connected_to_at_the_address_that_was_checked(
    server: Server, lookups: dict[str, list[str]]
) -> None:
    """One resolution per connection, and the socket goes to its answer: a second lookup (which
    an attacker's DNS could answer differently: DNS rebinding) is never made."""
    lookups[NAME] = ["127.0.0.1"]
    session = OutboundSession(5, require_https=False, private_hosts=[NAME])
    try:
        response = session.get(server.url("/one", host=NAME))
    finally:
        session.close()
    assert response.content == MARKER
    assert lookups["asked"] == [NAME]
    assert server.paths == ["/one"]


def test_plain_http_is_refused_when_https_is_required(server: Server) -> None:
    error = fetch(server.url(), private_hosts=["127.0.0.1"])
    assert error.failure is Failure.NOT_HTTPS
    assert server.paths == []


def test_a_redirect_is_checked_at_every_hop(server: Server) -> None:
    def to_private(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(307)
        handler.send_header("Location", server.url("/secret"))
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    server.answers["/start"] = to_private
    error = fetch(
        server.url("/start", host="localhost"), require_https=False, private_hosts=["localhost"]
    )
    assert error.failure is Failure.PRIVATE_ADDRESS
    assert server.paths == ["/start"]


def test_environment_proxies_are_not_used(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy would connect for us, past every check; this one would also fail the request.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        proxy = f"http://user:pw@127.0.0.1:{closed.getsockname()[1]}"
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("http_proxy", proxy)
        session = OutboundSession(5, require_https=False, private_hosts=["127.0.0.1"])
        try:
            assert session.get(server.url()).content == MARKER
        finally:
            session.close()


def test_an_answer_past_the_size_limit_is_cut_off(server: Server) -> None:
    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.end_headers()  # no Content-Length: only reading tells the size
        while not server.release.is_set():
            handler.wfile.write(MARKER * 1000)

    server.answers["/"] = endless
    error = fetch(server.url(), require_https=False, private_hosts=["127.0.0.1"], max_bytes=100_000)
    assert error.failure is Failure.TOO_LARGE


def test_a_per_call_size_limit_applies(server: Server) -> None:
    session = OutboundSession(5, require_https=False, private_hosts=["127.0.0.1"])
    try:
        with pytest.raises(OutboundError) as caught:
            session.get(server.url(), max_bytes=len(MARKER) - 1)
        assert session.get(server.url(), max_bytes=len(MARKER)).content == MARKER
    finally:
        session.close()
    assert caught.value.failure is Failure.TOO_LARGE


def test_the_total_time_is_limited_even_for_an_answer_that_keeps_dripping(server: Server) -> None:
    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        while not server.release.wait(0.05):  # far within any read timeout, never done
            handler.wfile.write(b"X-Drip: 1\r\n")
            handler.wfile.flush()

    server.answers["/"] = drip
    error = fetch(server.url(), timeout=0.5, require_https=False, private_hosts=["127.0.0.1"])
    assert error.failure is Failure.TIMEOUT


def test_an_unknown_name_says_so() -> None:
    error = fetch("https://does-not-exist.invalid/config")
    assert error.failure is Failure.UNKNOWN_HOST


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://lms.example/", "https:///x", "x"])
def test_what_is_no_web_address_is_refused(url: str) -> None:
    assert fetch(url).failure is Failure.BAD_URL


def _settings(tmp_path: Path, **values: str) -> Any:
    environ = {"SECRET_KEY": "s" * 40, "CLOCK_SHIFT_SECONDS": "0", **values}
    return load_settings(environ=environ, instance_path=tmp_path)


def test_private_hosts_setting(tmp_path: Path) -> None:
    production = {"DRIEHOEK_ENV": "production", "BASE_URL": "https://driehoek.example"}
    assert _settings(tmp_path, **production).OUTBOUND_PRIVATE_HOSTS == ()
    named = _settings(tmp_path, **production, OUTBOUND_PRIVATE_HOSTS=" LMS.intern.example., [::1]")
    assert named.OUTBOUND_PRIVATE_HOSTS == ("lms.intern.example", "::1")
    development = _settings(tmp_path, SANDBOX_URL="http://sandbox.local:5000")
    assert development.OUTBOUND_PRIVATE_HOSTS == ("localhost", "127.0.0.1", "::1", "sandbox.local")
