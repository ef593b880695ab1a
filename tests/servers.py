"""Real servers for tests and the benchmark: gunicorn subprocesses, the ``flask`` CLI, ports,
and a Redis database of the test run's own.

``running_gunicorn`` runs ``gunicorn -c config/gunicorn.conf.py 'lti_app:create_app()'`` exactly
as the Procfile does, on a free port, with only the settings given (none leak in from the
environment of the test run), and yields once ``/healthz`` answers. The server's output goes
to a log file, so a full pipe can never stall it and a failing test can show what it said.
``stop`` shuts it down and waits for it, so nothing is left running or unclosed.

Other test runs may share this machine (a second checkout, CI beside a developer): a port free
a moment ago may be taken before a server binds it, so servers start again on another port
(``running_gunicorn``, ``on_a_free_port``); ``closed_port`` holds a port where nothing listens
for as long as a test needs it; and each run leases a Redis database number (``tests.redis_lease``).
"""

from __future__ import annotations

import errno
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

import requests

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = ROOT / "config" / "gunicorn.conf.py"
APP = "lti_app:create_app()"

# Settings of the app and of config/gunicorn.conf.py: a server gets only those passed to it.
_OWN_SETTINGS = (
    "DRIEHOEK_ENV",
    "SECRET_KEY",
    "DATABASE_URL",
    "BASE_URL",
    "MAIL_URL",
    "MAIL_FROM",
    "REDIS_URL",
    "TRUST_PROXY",
    "SANDBOX_URL",
    "KEY_GRACE_DAYS",
    "LAUNCH_LEEWAY_SECONDS",
    "LAUNCH_STATE_TTL_SECONDS",
    "SESSION_HOURS",
    "DYNAMIC_REGISTRATION",
    "HTTP_TIMEOUT_SECONDS",
    "OUTBOUND_PRIVATE_HOSTS",
    "LOG_LEVEL",
    "PORT",
    "WEB_CONCURRENCY",
    "FORWARDED_ALLOW_IPS",
    "TEST_DATABASE_URL",
)


if TYPE_CHECKING:
    from tests.lms import TestLMS

T = TypeVar("T")

# How many ports a server tries when others keep taking the free one it was given.
PORT_ATTEMPTS = 5


def free_port() -> int:
    """A TCP port nobody listens on right now; another process could still take it, so start
    a server on it through ``on_a_free_port`` or ``running_gunicorn``, which try another."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def on_a_free_port(start: Callable[[int], T], attempts: int = PORT_ATTEMPTS) -> T:
    """``start(port)`` on a free port; on another one when a process took it first (the bind
    fails with EADDRINUSE), ``attempts`` times at most."""
    for attempt in range(1, attempts + 1):
        try:
            return start(free_port())
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or attempt == attempts:
                raise
    raise AssertionError("unreachable")


@contextmanager
def closed_port() -> Iterator[int]:
    """A port of 127.0.0.1 where nothing listens, for as long as the block runs.

    The socket is bound but not listening: a connection to it is refused, and no other process
    can bind the port meanwhile (a port merely free a moment ago might be listening by then).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield int(held.getsockname()[1])


def wait_for(check: Callable[[], T], timeout: float, failure: Callable[[], str]) -> T:
    """Poll ``check`` until it returns something true and return that; after ``timeout``
    seconds fail with ``failure()``, which says what was awaited and what was seen."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(failure())
        time.sleep(0.05)


def missing_service(message: str) -> NoReturn:
    """Skip a test whose service (Redis, PostgreSQL) is missing; fail it under ``CI=true``,
    where a test that vanishes from the run would go unnoticed."""
    import pytest

    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI=true: a test that needs it fails, not skips", pytrace=False)
    pytest.skip(message)


def child_env(settings: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without any Driehoek or gunicorn setting, plus ``settings``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _OWN_SETTINGS and not k.startswith("GUNICORN_")
    }
    env.update({k: str(v) for k, v in settings.items()})
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def flask_cli(
    args: Sequence[str], settings: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``flask --app lti_app ARGS`` in a subprocess, as an operator would."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "lti_app", *args],
        cwd=ROOT,
        env=child_env(settings),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class ServerError(RuntimeError):
    """The server did not come up; the message holds its log."""


class PortTaken(ServerError):
    """Another process listens on the server's port; the server was killed."""


# What gunicorn's master logs on binding: "Connection in use: ('0.0.0.0', 8000)" (then it retries
# for five seconds and exits), or "Listening at: http://0.0.0.0:8000 (4242)" with its pid.
_PORT_TAKEN = re.compile(r"Connection in use|Address already in use")
_LISTENING = re.compile(r"Listening at: \S+ \((\d+)\)")


def gunicorn_port_taken(log: str) -> bool:
    """gunicorn's log says another process listens on its port."""
    return _PORT_TAKEN.search(log) is not None


def gunicorn_listening(log: str, pid: int) -> bool:
    """gunicorn's log says the master ``pid`` listens on its port (logged at level info)."""
    return str(pid) in _LISTENING.findall(log)


def log_tail(log: str, chars: int = 4000) -> str:
    return log[-chars:] if log else "(empty log)"


@dataclass
class GunicornServer:
    port: int
    settings: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    log_start: int = field(default=0, repr=False)  # where this start's lines begin in the log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _log_of_this_start(self) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(self.log_start)
                return log.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for_log(self, *patterns: str, timeout: float = 15) -> str:
        """The log once a line matches each of the regular expressions ``patterns``.

        gunicorn writes a request's access line after sending the response, so a client that
        has the response may look at the log before the line is there: wait for it.
        """

        def complete() -> str:
            log = self.log()
            return log if all(re.search(p, log) for p in patterns) else ""

        def failure() -> str:
            log = self.log()
            missing = [p for p in patterns if not re.search(p, log)]
            return f"not in the server's log after {timeout}s: {missing}\n{log_tail(log)}"

        return wait_for(complete, timeout, failure)

    def start(self) -> GunicornServer:
        env = child_env({"PORT": str(self.port), **self.settings})
        with self.log_path.open("ab") as log:
            self.log_start = log.tell()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG), APP],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def wait_ready(self, timeout: float = 30) -> GunicornServer:
        """Wait until this server listens on its port and ``/healthz`` answers 200 (the app
        is imported and its database answers).

        :raise PortTaken: another process listens on the port; this server is killed.
        :raise ServerError: the server exited or was not ready in time; it is stopped.
        """
        assert self.process is not None, "start() first"
        deadline = time.monotonic() + timeout
        last: object = "gunicorn has not said it listens"
        with requests.Session() as http:
            while time.monotonic() < deadline:
                log = self._log_of_this_start()
                if gunicorn_port_taken(log):
                    self._kill()
                    raise PortTaken(f"port {self.port} is taken:\n{log_tail(log)}")
                if self.process.poll() is not None:
                    raise ServerError(
                        f"gunicorn exited with {self.process.returncode}:\n{log_tail(log)}"
                    )
                # Until this server says it listens, whoever answers on the port is another.
                if self._listening(log):
                    try:
                        # Until a worker has booted, the connection waits in the listen
                        # backlog: a read timeout then only means "not yet".
                        response = http.get(self.url + "/healthz", timeout=5)
                        if response.status_code == 200:
                            return self
                        last = f"HTTP {response.status_code}: {response.text[:200]}"
                    except (requests.ConnectionError, requests.Timeout) as exc:
                        last = exc
                time.sleep(0.05)
        self.stop()
        raise ServerError(f"gunicorn not ready after {timeout}s ({last}):\n{log_tail(self.log())}")

    def _listening(self, log: str) -> bool:
        assert self.process is not None
        if self.settings.get("LOG_LEVEL", "info").lower() not in ("debug", "info"):
            return True  # gunicorn does not say so at this level: /healthz has to do
        return gunicorn_listening(log, self.process.pid)

    def _kill(self) -> None:
        """End a server that never got its port: it has forked no workers yet, and would go on
        trying the port for five seconds."""
        process, self.process = self.process, None
        if process is not None:
            process.kill()
            process.wait()

    def stop(self, *, graceful: bool = False, timeout: float = 15) -> None:
        """Shut the server down and wait for it; SIGKILL if it does not end in time. Idempotent.

        Tests stop a server once their requests are answered, so gunicorn's quick shutdown
        (SIGINT, ~0.4 s) is enough; ``graceful`` (SIGTERM) lets requests in flight finish
        but takes ~2 s even when idle.
        """
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM if graceful else signal.SIGINT)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
        else:
            process.wait()


def gunicorn_settings(
    *,
    database_url: str,
    base_url: str,
    secret_key: str,
    workers: int = 1,
    **extra: str,
) -> dict[str, str]:
    """The settings a test server needs. ``DRIEHOEK_ENV=test`` allows an http BASE_URL."""
    settings = {
        "DRIEHOEK_ENV": "test",
        "DATABASE_URL": database_url,
        "BASE_URL": base_url,
        "SECRET_KEY": secret_key,
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_GRACEFUL_TIMEOUT": "5",
        "LOG_LEVEL": "info",
    }
    settings.update(extra)
    return settings


# A server's settings, or a function of its port giving them (for a BASE_URL that names it).
ServerSettings = Mapping[str, str] | Callable[[int], Mapping[str, str]]


@contextmanager
def running_gunicorn(
    settings_list: Sequence[ServerSettings],
    log_dir: Path,
    ports: Sequence[int] | None = None,
) -> Iterator[list[GunicornServer]]:
    """Start one server per settings (in parallel), yield them once all answer, stop them all.

    Each server gets a free port; when another process takes it first, the server starts again
    on another one, ``PORT_ATTEMPTS`` times at most. Given ``ports`` are used as they are.
    """
    if ports is not None and len(ports) != len(settings_list):
        raise ValueError("one port per server")
    log_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:

        def start(i: int, port: int) -> GunicornServer:
            given = settings_list[i]
            settings = dict(given(port) if callable(given) else given)
            server = GunicornServer(port, settings, log_dir / f"gunicorn-{i}-{port}.log")
            stack.callback(server.stop)
            return server.start()

        servers = [
            start(i, ports[i] if ports is not None else free_port())
            for i in range(len(settings_list))
        ]
        for i in range(len(servers)):
            for attempt in range(1, PORT_ATTEMPTS + 1):
                try:
                    servers[i].wait_ready()
                    break
                except PortTaken:
                    if ports is not None or attempt == PORT_ATTEMPTS:
                        raise
                    servers[i] = start(i, free_port())
        yield servers


def registration_args(lms: TestLMS, name: str | None = None) -> list[str]:
    """`flask platform add` arguments that register ``lms`` (DESIGN.md's flags)."""
    reg = lms.tool_registration()
    args = [
        "platform",
        "add",
        "--issuer",
        reg["issuer"],
        "--client-id",
        reg["client_id"],
        "--auth-login-url",
        reg["auth_login_url"],
        "--auth-token-url",
        reg["auth_token_url"],
        "--key-set-url",
        reg["key_set_url"],
        "--name",
        name or reg["name"],
    ]
    for deployment_id in reg["deployment_ids"]:
        args += ["--deployment-id", deployment_id]
    return args
