"""Real app servers for tests and the benchmark: gunicorn subprocesses and the ``flask`` CLI.

``start_gunicorn`` runs ``gunicorn -c config/gunicorn.conf.py 'lti_app:create_app()'`` exactly as
the Procfile does, on a free port, with only the settings given (none leak in from the
environment of the test run), and returns once ``/healthz`` answers. The server's output goes
to a log file, so a full pipe can never stall it and a failing test can show what it said.
``stop`` shuts it down gracefully and waits for it, so nothing is left running or unclosed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

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
    "LOG_LEVEL",
    "PORT",
    "WEB_CONCURRENCY",
    "FORWARDED_ALLOW_IPS",
    "TEST_DATABASE_URL",
)


if TYPE_CHECKING:
    from tests.lms import TestLMS


def free_port() -> int:
    """A TCP port nobody listens on right now (another process could still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


@dataclass
class GunicornServer:
    port: int
    settings: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self) -> GunicornServer:
        env = child_env({"PORT": str(self.port), **self.settings})
        with self.log_path.open("ab") as log:
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
        """Wait until ``/healthz`` answers 200 (the app is imported and its database answers)."""
        assert self.process is not None, "start() first"
        deadline = time.monotonic() + timeout
        last: object = None
        with requests.Session() as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise ServerError(
                        f"gunicorn exited with {self.process.returncode}:\n{self.log()[-4000:]}"
                    )
                try:
                    # Until a worker has booted, the connection waits in the listen backlog:
                    # a read timeout then only means "not yet", like a refused connection.
                    response = http.get(self.url + "/healthz", timeout=5)
                    if response.status_code == 200:
                        return self
                    last = f"HTTP {response.status_code}: {response.text[:200]}"
                except (requests.ConnectionError, requests.Timeout) as exc:
                    last = exc
                time.sleep(0.05)
        self.stop()
        raise ServerError(f"gunicorn not ready after {timeout}s ({last}):\n{self.log()[-4000:]}")

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


@contextmanager
def running_gunicorn(
    settings_list: Sequence[Mapping[str, str]],
    log_dir: Path,
    ports: Sequence[int] | None = None,
) -> Iterator[list[GunicornServer]]:
    """Start one server per settings mapping (in parallel), yield them, stop them all."""
    ports = list(ports) if ports is not None else [free_port() for _ in settings_list]
    log_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        servers = []
        for i, (port, settings) in enumerate(zip(ports, settings_list, strict=True)):
            server = GunicornServer(port, dict(settings), log_dir / f"gunicorn-{i}-{port}.log")
            stack.callback(server.stop)
            servers.append(server.start())
        for server in servers:
            server.wait_ready()
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
