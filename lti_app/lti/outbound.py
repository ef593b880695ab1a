"""The one way Driehoek fetches a URL that someone typed or sent: no server-side request forgery.

Dynamic registration hands us URLs from whoever opens ``/lti/register``; registrations name key
set, token and service URLs; launches carry NRPS and AGS URLs. Fetched naively, any of them turns
the tool into a scanner of the network it runs in. ``OutboundSession`` (a ``requests.Session``)
fetches them, and for every request and every redirect hop it:

1. refuses anything but an http(s) URL with a host, and plain http in production;
2. resolves the host once (``socket.getaddrinfo``) and refuses when ANY address it resolves to
   is loopback, private, link-local, multicast, reserved or unspecified (IPv4 and IPv6, also
   IPv4 inside IPv6), unless the host is one the operator named (``OUTBOUND_PRIVATE_HOSTS``);
3. connects to exactly the addresses it checked: the connection classes below replace urllib3's
   ``_new_conn``, the one method that makes a connection's socket (a private hook of urllib3, so
   tests/unit/test_outbound.py checks that it is still the only lookup), so a DNS answer that
   changes between check and connect (DNS rebinding) cannot slip through; TLS still verifies
   the host name of the URL;
4. limits the time to connect and the total time of the request (a watchdog shuts the socket
   down at the deadline, so a server that drips its answer byte by byte is cut off too), and
   the size of the answer, read as a stream and dropped past the limit;
5. turns every failure into an ``OutboundError`` whose ``message`` says in words what went wrong
   and never carries the remote body or a socket error's text.

Not covered: the time ``getaddrinfo`` itself takes (the system resolver has its own timeouts),
and proxies: environment proxies are ignored (``trust_env`` off), because a proxy would make
the connection, and its checks, on our behalf.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from lti_app.lti.outbound_policy import (
    NOT_JSON,
    Failure,
    OutboundError,
    Policy,
    _Refused,
    forbidden_address,
    http_status_message,
    normal_host,
)

__all__ = [
    "NOT_JSON",
    "Failure",
    "OutboundError",
    "OutboundSession",
    "Policy",
    "forbidden_address",
    "http_status_message",
    "session_from_config",
]

log = logging.getLogger(__name__)

# Limits per use. Real OpenID configurations, registration answers and key sets are a few KiB;
# 1 MiB leaves them room to grow while a worker never holds more than that for one of them.
MAX_DOCUMENT_BYTES = 1024 * 1024
# An OAuth token response is a few hundred bytes.
MAX_TOKEN_BYTES = 64 * 1024
# A membership page: platforms may ignore our ``limit`` and send a whole course at once, at up
# to ~1 KiB a member (names, email, picture URL, roles); 16 MiB holds some 16,000 members.
MAX_ROSTER_PAGE_BYTES = 16 * 1024 * 1024
CONNECT_TIMEOUT_SECONDS = 5.0
MAX_REDIRECTS = 3
_CHUNK = 64 * 1024


class _Call:
    """One request (with its redirects): its deadline, and the connections it uses."""

    def __init__(self, total_seconds: float, max_bytes: int):
        self.deadline = time.monotonic() + total_seconds
        self.max_bytes = max_bytes
        self.expired = False
        self._connections: set[HTTPConnection] = set()
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def watch(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connections.add(connection)

    def expire(self) -> None:
        """The watchdog: a read blocked in one of our sockets returns at once."""
        with self._lock:
            self.expired = True
            socks = [c.sock for c in self._connections if c.sock is not None]
        for sock in socks:
            # socket.socket's own shutdown, also for an SSLSocket: the file descriptor is shut,
            # the TLS state is left to the thread that reads it.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


_current: contextvars.ContextVar[_Call | None] = contextvars.ContextVar(
    "driehoek_outbound_call", default=None
)


def _open_socket(connection: HTTPConnection, policy: Policy) -> socket.socket:
    """Resolve, check every address, and connect to one of those same addresses."""
    call = _current.get()
    addresses = policy.resolve(connection.host, connection.port)
    timeout = connection.timeout if isinstance(connection.timeout, int | float) else None
    if call is not None:
        timeout = max(0.001, min(timeout or policy.connect_seconds, call.remaining()))
    failure = Failure.UNREACHABLE
    for family, kind, proto, _name, address in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            for option in connection.socket_options or ():
                sock.setsockopt(*option)
            sock.settimeout(timeout)
            if connection.source_address:
                sock.bind(connection.source_address)
            sock.connect(address)
        except OSError as exc:
            sock.close()
            failure = Failure.TIMEOUT if isinstance(exc, TimeoutError) else Failure.UNREACHABLE
            continue
        sys.audit("http.client.connect", connection, connection.host, connection.port)
        return sock
    raise _Refused(failure, "connect")


def _watched(connection: HTTPConnection) -> None:
    call = _current.get()
    if call is not None:
        call.watch(connection)


def _connection_classes(policy: Policy) -> dict[str, type[HTTPConnectionPool]]:
    """urllib3 pools whose connections open their sockets through ``_open_socket``."""

    class GuardedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            sock = _open_socket(self, policy)
            _watched(self)
            return sock

        def request(self, *args: Any, **kwargs: Any) -> None:
            _watched(self)  # also a connection reused from the pool
            super().request(*args, **kwargs)

    class GuardedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            sock = _open_socket(self, policy)
            _watched(self)
            return sock

        def request(self, *args: Any, **kwargs: Any) -> None:
            _watched(self)
            super().request(*args, **kwargs)

    class GuardedHTTPPool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTPConnection

    class GuardedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPSConnection

    return {"http": GuardedHTTPPool, "https": GuardedHTTPSPool}


class _GuardedAdapter(HTTPAdapter):
    """Sends one hop: checks its URL, bounds its time, reads its body up to the limit."""

    def __init__(self, policy: Policy):
        self.policy = policy
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _connection_classes(self.policy)

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        call = _current.get() or _Call(self.policy.total_seconds, self.policy.max_bytes)
        host = self.policy.check_url(request.url or "")
        remaining = call.remaining()
        if remaining <= 0 or call.expired:
            raise OutboundError(Failure.TIMEOUT, host, "before sending")
        try:
            response = super().send(
                request,
                stream=True,
                timeout=(min(self.policy.connect_seconds, remaining), remaining),
                verify=verify,
                cert=cert,
                proxies={},
            )
            _read_body(response, call, host)
        except OutboundError:
            raise
        except _Refused as exc:
            raise OutboundError(exc.failure, host, exc.detail) from None
        except (requests.RequestException, OSError) as exc:
            raise OutboundError(_failure_of(exc, call), host, type(exc).__name__) from None
        return response


def _read_body(response: requests.Response, call: _Call, host: str) -> None:
    """Read the whole body into the response, or close it and refuse past the limits."""
    try:
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isdigit() and int(declared) > call.max_bytes:
            raise OutboundError(Failure.TOO_LARGE, host, f"declares {declared} bytes")
        chunks, size = [], 0
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > call.max_bytes:
                raise OutboundError(Failure.TOO_LARGE, host, f"more than {call.max_bytes} bytes")
            if call.expired or call.remaining() <= 0:
                raise OutboundError(Failure.TIMEOUT, host, "while reading")
            chunks.append(chunk)
        if call.expired:  # the watchdog cut the answer short: what came is not all of it
            raise OutboundError(Failure.TIMEOUT, host, "cut off at the deadline")
    except BaseException:
        response.close()  # drops the connection: nothing more is read from it
        raise
    response._content = b"".join(chunks)  # iter_content has marked it consumed
    response.close()  # read to the end: the connection may serve the next request


_NOT_WEB_ADDRESSES = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
)


def _failure_of(exc: BaseException, call: _Call) -> Failure:
    if call.expired:
        return Failure.TIMEOUT
    seen: BaseException | None = exc
    for _ in range(8):  # requests wraps urllib3, which wraps the socket error
        if seen is None:
            break
        if isinstance(seen, requests.Timeout | TimeoutError):
            return Failure.TIMEOUT
        if isinstance(seen, requests.exceptions.SSLError):
            return Failure.TLS
        if isinstance(seen, requests.TooManyRedirects):
            return Failure.TOO_MANY_REDIRECTS
        if isinstance(seen, _NOT_WEB_ADDRESSES):
            return Failure.BAD_URL
        inner = next((a for a in seen.args if isinstance(a, BaseException)), None)
        reason = getattr(seen, "reason", None)
        seen = reason if isinstance(reason, BaseException) else inner or seen.__cause__
    return Failure.UNREACHABLE


class OutboundSession(requests.Session):
    """A ``requests.Session`` that fetches only what ``Policy`` allows (see the module text).

    Every call may pass ``max_bytes`` for the size its answer may have. Secure by default:
    https only and no private addresses unless the caller says otherwise.
    """

    def __init__(
        self,
        timeout: float,
        *,
        require_https: bool = True,
        private_hosts: Iterable[str] = (),
        connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
        max_bytes: int = MAX_DOCUMENT_BYTES,
    ):
        super().__init__()
        self.policy = Policy(
            require_https=require_https,
            private_hosts=frozenset(normal_host(h) for h in private_hosts if h.strip()),
            total_seconds=float(timeout),
            connect_seconds=min(float(connect_timeout), float(timeout)),
            max_bytes=max_bytes,
        )
        # Environment proxies would connect for us (unchecked) and get their credentials sent
        # to the platform; .netrc would hand out passwords. A CA bundle is still honoured.
        self.trust_env = False
        self.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )
        self.max_redirects = MAX_REDIRECTS
        self.headers["User-Agent"] = "Driehoek LTI tool"
        adapter = _GuardedAdapter(self.policy)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(  # type: ignore[override]
        self, method: str, url: str, *args: Any, max_bytes: int | None = None, **kwargs: Any
    ) -> requests.Response:
        """:raise OutboundError: for every refusal and failure; nothing else."""
        call = _Call(self.policy.total_seconds, max_bytes or self.policy.max_bytes)
        token = _current.set(call)
        watchdog = threading.Timer(self.policy.total_seconds, call.expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            return super().request(method, url, *args, **kwargs)
        except OutboundError as exc:
            log.warning("outbound %s refused or failed: %s", method, exc)
            raise
        except (requests.RequestException, OSError) as exc:
            error = OutboundError(_failure_of(exc, call), _host_of(url), type(exc).__name__)
            log.warning("outbound %s refused or failed: %s", method, error)
            raise error from None
        finally:
            watchdog.cancel()
            _current.reset(token)


def _host_of(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def session_from_config(config: Mapping[str, Any], **kwargs: Any) -> OutboundSession:
    """The session for calls to platforms, with the app's settings."""
    return OutboundSession(
        config["HTTP_TIMEOUT_SECONDS"],
        require_https=bool(config["IS_PRODUCTION"]),
        private_hosts=config["OUTBOUND_PRIVATE_HOSTS"],
        **kwargs,
    )
