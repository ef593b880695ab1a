"""Gunicorn settings for Driehoek, read from the environment (``gunicorn -c config/gunicorn.conf.py``).

Every value has a default that suits one small server; a platform (Heroku-style ``PORT`` and
``WEB_CONCURRENCY``) or an operator overrides it through the environment:

- ``PORT`` (8000): the port to listen on, on every interface (``0.0.0.0``).
- ``WEB_CONCURRENCY`` (2): worker processes. Nothing lives in process memory (launch state,
  sessions and rate limits are in the database or Redis), so any number works.
- ``GUNICORN_THREADS`` (4): threads per worker. Keep it above 1: in development the tool may
  fetch a JWKS (the sandbox LMS's) from the same host, and a single-threaded single worker
  would wait on itself.
- ``GUNICORN_TIMEOUT`` (30): seconds before a silent worker is restarted; above the
  10 s ``HTTP_TIMEOUT_SECONDS`` of calls to an LMS, even for dynamic registration's two calls.
- ``GUNICORN_KEEPALIVE`` (5): seconds to keep an idle connection from the proxy open.
- ``GUNICORN_MAX_REQUESTS`` (0 = never): restart a worker after this many requests.
- ``FORWARDED_ALLOW_IPS`` (none): addresses of proxies whose ``X-Forwarded-Proto`` gunicorn may
  believe. Unset, gunicorn trusts no one; the app itself reads ``X-Forwarded-*`` only when
  ``TRUST_PROXY`` says how many proxies stand in front of it.
- ``GUNICORN_CONTROL_SOCKET`` (off): path of gunicorn's control socket (``gunicornc``).
- ``LOG_LEVEL`` (info): shared with the app.

The access log never shows query strings: an OIDC login request carries ``login_hint`` and
``lti_message_hint`` in its query, and dynamic registration carries a ``registration_token``.
For the same reason the Referer is left out (it can hold the LMS page's query).
"""

from __future__ import annotations

import os
import re
from typing import Any

from gunicorn.glogging import Logger


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None


bind = f"0.0.0.0:{_int('PORT', 8000)}"
workers = _int("WEB_CONCURRENCY", 2)
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10

# Each worker builds its own app (and database pool): pools must not be shared across a fork.
preload_app = False

# Only from a setting: no proxy is trusted unless the operator names it.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")

# gunicorn ≥ 25 opens a control socket at one fixed path per user by default, so a second
# server (a second app on the host, or the tests' two servers) would take over the first one's.
_control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "").strip()
if _control_socket:
    control_socket = _control_socket
else:
    control_socket_disable = True

# The heartbeat file on tmpfs, so a slow disk cannot make a healthy worker look dead.
if os.path.isdir("/dev/shm"):  # noqa: S108 - a directory, not a predictable file name
    worker_tmp_dir = "/dev/shm"  # noqa: S108

loglevel = os.environ.get("LOG_LEVEL", "info").lower()
accesslog = "-"
errorlog = "-"
# %(U)s is the path without the query string (%(r)s would include it).
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'

# A mentor's sign-in link carries its token in the path (/m/<token>): never log it.
_SIGN_IN_PATH = re.compile(r"^/m/[^/]+")


class RedactingLogger(Logger):
    """gunicorn's logger, with sign-in tokens cut out of logged paths."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        atoms["U"] = _SIGN_IN_PATH.sub("/m/…", str(atoms.get("U", "")))
        return atoms


logger_class = RedactingLogger
proc_name = "driehoek"


def post_worker_init(worker: object) -> None:
    """Freeze what the worker built at start-up out of the garbage collector's sight.

    A full collection over the ~120,000 objects of an app at rest took 50–100 ms every dozen
    requests (measured with bench/pipeline.py); frozen, they are never scanned again.
    """
    import gc

    gc.freeze()
