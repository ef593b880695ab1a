"""Browser tests: Debian's Chromium, driven by Playwright, against the real app served over https.

One gunicorn server (gthread workers, a throwaway certificate) serves two sites, as in a real
installation where the LMS and the tool live on different domains:

- the tool at ``https://tool.test:PORT`` (``BASE_URL``),
- the sandbox LMS at ``https://lms.test:PORT`` (``SANDBOX_URL``).

Chromium reaches both names through ``--host-resolver-rules``; the server reaches them (for the
key sets it fetches from itself) through ``gunicorn_hosts.py``. Each browser gets a fresh
profile (``--user-data-dir``), so its cookie settings are those written into the profile's
``Preferences`` before start, exactly as a person would have set them in chrome://settings.

Chromium is never downloaded: the tests use /usr/bin/chromium, and are skipped when it is
missing, except on CI (``CI=true``), where a missing browser fails them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from playwright.sync_api import BrowserContext, Playwright, expect, sync_playwright

from tests.browser.tls import make_certificates
from tests.servers import (
    PORT_ATTEMPTS,
    free_port,
    gunicorn_listening,
    gunicorn_port_taken,
    log_tail,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
HOSTS_CONFIG = Path(__file__).with_name("gunicorn_hosts.py")
TOOL_HOST, LMS_HOST = "tool.test", "lms.test"
SECRET_KEY = "browser-test-secret-key-0123456789-abcdefghijklmnop"
# gthread serving TLS itself: a connection Chromium opens ahead of need (a preconnect) finishes
# its TLS handshake and then holds a worker thread while gunicorn waits for a request line that
# may never come. With 4 threads, 4 such idle sockets stall every other request (seen here: the
# new window's redirect sat unread in the socket's queue). A buffering proxy in front avoids it;
# here enough threads make it harmless.
THREADS = 32
TIMEOUT_MS = 15_000  # for any one step; a whole test takes a few seconds

expect.set_options(timeout=TIMEOUT_MS)

# From this machine's notes on running Chromium headless in a container; Playwright adds its
# own automation switches (and --headless / --no-sandbox again, which is harmless).
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--host-resolver-rules=MAP {TOOL_HOST} 127.0.0.1, MAP {LMS_HOST} 127.0.0.1",
    "--ignore-certificate-errors",
)

# Settings of the app that must not leak in from the environment of the test run.
_APP_SETTINGS = (
    "DRIEHOEK_ENV",
    "SECRET_KEY",
    "DATABASE_URL",
    "BASE_URL",
    "SANDBOX_URL",
    "MAIL_URL",
    "MAIL_FROM",
    "REDIS_URL",
    "TRUST_PROXY",
    "KEY_GRACE_DAYS",
    "LAUNCH_LEEWAY_SECONDS",
    "LAUNCH_STATE_TTL_SECONDS",
    "LAUNCH_RATE_LIMIT",
    "SESSION_HOURS",
    "DYNAMIC_REGISTRATION",
    "HTTP_TIMEOUT_SECONDS",
    "OUTBOUND_PRIVATE_HOSTS",
    "LOG_LEVEL",
)


@dataclass(frozen=True)
class Sites:
    """The running server, by the two names it answers to."""

    tool: str  # https://tool.test:PORT
    lms: str  # https://lms.test:PORT
    log_path: Path
    database_url: str = ""  # the server's database, for tests that prepare data in it
    instance: Path | None = None

    @property
    def course_page(self) -> str:
        return self.lms + "/sandbox/"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def app(self) -> Flask:
        """The app on the server's database, in this process: to prepare what a test needs
        through the real services and factories (dispose its engine when done)."""
        from lti_app import create_app

        return create_app(
            {
                "DRIEHOEK_ENV": "development",
                "DATABASE_URL": self.database_url,
                "BASE_URL": self.tool,
                "SANDBOX_URL": self.lms,
                "INSTANCE_PATH": str(self.instance),
                "SECRET_KEY": "unused-here-0123456789-0123456789-0123456789",
            }
        )


def _server_env(settings: Mapping[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _APP_SETTINGS and not k.startswith("GUNICORN_")
    }
    env.update(settings)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture(scope="session")
def chromium_executable() -> str | None:
    """/usr/bin/chromium; a missing one skips the test, or (CI=true) makes the test fail."""
    if os.access(CHROMIUM, os.X_OK):
        return str(CHROMIUM)
    if os.environ.get("CI") == "true":
        return None  # open_chromium fails the test itself, with the reason
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")


@pytest.fixture(scope="session")
def sites(
    tmp_path_factory: pytest.TempPathFactory, chromium_executable: str | None
) -> Iterator[Sites]:
    """The app (tool + sandbox LMS) under gunicorn over https, on a fresh SQLite database.

    Asks for ``chromium_executable`` first, so no server starts when the tests are skipped.
    """
    work = tmp_path_factory.mktemp("browser-server")
    tls = make_certificates(work / "tls", [TOOL_HOST, LMS_HOST])
    instance = work / "instance"  # the sandbox LMS keeps its signing key here
    instance.mkdir()
    database_url = f"sqlite:///{work / 'driehoek.sqlite3'}"
    app = f"lti_app:create_app({{'INSTANCE_PATH': {str(instance)!r}}})"
    bin_dir = Path(sys.executable).parent
    upgrade = subprocess.run(
        [str(bin_dir / "flask"), "--app", app, "db", "upgrade"],
        cwd=ROOT,
        env=_server_env(
            {"DRIEHOEK_ENV": "development", "DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY}
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert upgrade.returncode == 0, f"flask db upgrade failed:\n{upgrade.stdout}\n{upgrade.stderr}"

    # A port free a moment ago may be another process's by the time gunicorn binds it: then
    # start again on another one.
    for attempt in range(1, PORT_ATTEMPTS + 1):
        port = free_port()
        tool, lms = f"https://{TOOL_HOST}:{port}", f"https://{LMS_HOST}:{port}"
        env = _server_env(
            {
                "DRIEHOEK_ENV": "development",
                "BASE_URL": tool,
                "SANDBOX_URL": lms,
                "DATABASE_URL": database_url,
                "SECRET_KEY": SECRET_KEY,
                "LOG_LEVEL": "info",
                # The server's own calls to tool.test / lms.test: name resolution and trust.
                "BROWSER_TEST_HOST_MAP": f"{TOOL_HOST}=127.0.0.1,{LMS_HOST}=127.0.0.1",
                "REQUESTS_CA_BUNDLE": str(tls.ca_cert),  # requests (the tool's key-set fetch)
                "SSL_CERT_FILE": str(tls.ca_cert),  # urllib (the sandbox's PyJWKClient)
                "NO_PROXY": f"{TOOL_HOST},{LMS_HOST},127.0.0.1",
            }
        )
        log_path = work / f"gunicorn-{port}.log"
        command = [
            str(bin_dir / "gunicorn"),
            "-c",
            str(HOSTS_CONFIG),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--worker-class",
            "gthread",
            "--threads",
            str(THREADS),
            "--certfile",
            str(tls.cert),
            "--keyfile",
            str(tls.key),
            "--graceful-timeout",
            "5",
            "--log-level",
            "info",  # for "Listening at: …", which tells this server from another on the port
            "--access-logfile",
            "-",
            "--error-logfile",
            "-",
            app,
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        found = Sites(
            tool=tool, lms=lms, log_path=log_path, database_url=database_url, instance=instance
        )
        try:
            ready = _wait_ready(process, f"https://127.0.0.1:{port}/healthz", tls.ca_cert, found)
            if ready:
                yield found
                return
        finally:
            _stop(process)
        if attempt == PORT_ATTEMPTS:
            pytest.fail(f"{PORT_ATTEMPTS} ports in a row were taken:\n{log_tail(found.log())}")


def _wait_ready(process: subprocess.Popen[bytes], url: str, ca: Path, sites: Sites) -> bool:
    """True once the server answers; False when another process listens on its port."""
    deadline = time.monotonic() + 30
    last: object = "gunicorn has not said it listens"
    with requests.Session() as http:
        while time.monotonic() < deadline:
            log = sites.log()
            if gunicorn_port_taken(log):
                process.kill()  # no workers yet; it would try the port for five seconds more
                return False
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{log_tail(log)}")
            if gunicorn_listening(log, process.pid):  # before that, whoever answers is another
                try:
                    response = http.get(url, timeout=2, verify=str(ca))
                    if response.status_code == 200:
                        return True
                    last = f"HTTP {response.status_code}"
                except requests.RequestException as exc:  # still starting
                    last = exc
            time.sleep(0.1)
    pytest.fail(f"gunicorn not ready after 30 s ({last}):\n{log_tail(sites.log())}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


OpenChromium = Callable[..., BrowserContext]


@pytest.fixture
def open_chromium(
    chromium_executable: str | None,
    playwright_driver: Playwright,
    tmp_path: Path,
) -> Iterator[OpenChromium]:
    """``open_chromium(preferences)``: Chromium on a fresh profile whose Preferences are given.

    Closed (and its profile left in tmp_path) when the test ends.
    """
    contexts: list[BrowserContext] = []

    def _open(preferences: Mapping[str, Any] | None = None) -> BrowserContext:
        if chromium_executable is None:
            pytest.fail(f"{CHROMIUM} is missing and CI=true: browser tests may not be skipped")
        profile = tmp_path / f"chromium-profile-{len(contexts)}"
        (profile / "Default").mkdir(parents=True)
        (profile / "Default" / "Preferences").write_text(json.dumps(preferences or {}))
        context = playwright_driver.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium_executable,
            headless=True,
            args=list(CHROMIUM_ARGS),
            ignore_https_errors=True,
            viewport={"width": 1280, "height": 800},
            timeout=30_000,
        )
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        return context

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/ (gitignored): screenshots to look at after a run."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
