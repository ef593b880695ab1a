"""Driehoek under gunicorn, as the Procfile runs it, with launches over real HTTP.

The second test is the "shape at scale" promise of DESIGN.md: behind a load balancer the OIDC
login and the launch POST may reach different app processes, which share nothing but the
database (and Redis when configured). It always runs on PostgreSQL, in a database of its own.
"""

from __future__ import annotations

import os
import re
import runpy
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from flask import Flask
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from lti_app.lti.models import LaunchState
from lti_app.lti.registration import add_platform
from tests.conftest import SECRET, empty_tables
from tests.launching import HttpBrowser, launch, login
from tests.lms import Person, TestLMS
from tests.servers import (
    GUNICORN_CONFIG,
    flask_cli,
    gunicorn_settings,
    missing_service,
    registration_args,
    running_gunicorn,
)

POSTGRES_ADMIN_URL = os.environ.get(
    "DRIEHOEK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
LOAD_BALANCED_BASE = "http://driehoek.lb.test"  # the public URL; no process listens on it


@pytest.fixture
def http_browser() -> Iterator[HttpBrowser]:
    browser = HttpBrowser("http://unset.invalid")
    yield browser
    browser.session.close()


GUNICORN_ENV = (
    "PORT",
    "WEB_CONCURRENCY",
    "GUNICORN_THREADS",
    "GUNICORN_TIMEOUT",
    "GUNICORN_CONTROL_SOCKET",
    "FORWARDED_ALLOW_IPS",
    "LOG_LEVEL",
)


def load_config(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, object]:
    for name in GUNICORN_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONFIG))


def test_gunicorn_config_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(monkeypatch)
    assert config["bind"] == "0.0.0.0:8000"
    assert config["worker_class"] == "gthread"
    assert config["threads"] == 4
    assert config["workers"] == 2
    assert config["preload_app"] is False
    assert config["forwarded_allow_ips"] == ""  # nobody is trusted unless configured
    assert config["control_socket_disable"] is True
    log_format = str(config["access_log_format"])
    # Neither the request line (%(r)s), the query (%(q)s) nor the Referer (%(f)s) is logged.
    assert "%(U)s" in log_format
    assert not {"%(r)s", "%(q)s", "%(f)s"} & set(re.findall(r"%\([a-zA-Z]\)s", log_format))


def test_gunicorn_config_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(
        monkeypatch,
        PORT="5123",
        WEB_CONCURRENCY="5",
        GUNICORN_THREADS="8",
        FORWARDED_ALLOW_IPS="10.0.0.0/8",
        LOG_LEVEL="WARNING",
    )
    assert config["bind"] == "0.0.0.0:5123"
    assert (config["workers"], config["threads"]) == (5, 8)
    assert config["forwarded_allow_ips"] == "10.0.0.0/8"
    assert config["loglevel"] == "warning"
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY"):
        load_config(monkeypatch, WEB_CONCURRENCY="two")


def test_procfile_runs_the_migrations_and_this_config() -> None:
    lines = dict(
        line.split(":", 1)
        for line in (GUNICORN_CONFIG.parent.parent / "Procfile").read_text().splitlines()
        if line.strip()
    )
    assert lines["release"].strip() == "flask --app lti_app db upgrade"
    assert lines["web"].strip() == "gunicorn -c config/gunicorn.conf.py 'lti_app:create_app()'"


def test_launch_through_gunicorn(
    app: Flask,
    database_url: str,
    tmp_path: Path,
    http_browser: HttpBrowser,
    student: Person,
) -> None:
    def settings_at(port: int) -> dict[str, str]:
        base = f"http://127.0.0.1:{port}"  # BASE_URL is the server itself
        return gunicorn_settings(database_url=database_url, base_url=base, secret_key=SECRET)

    with running_gunicorn([settings_at], tmp_path) as [server]:
        # Registered once the port is known: the LMS sends its launches to BASE_URL.
        lms = TestLMS(tool_base=server.url)
        try:
            added = flask_cli(registration_args(lms), server.settings)
            assert added.returncode == 0, added.stderr
            http_browser.base = server.url
            page = launch(http_browser, lms, student)
            assert page.status == 200, (page.status, page.text[:800], server.log()[-3000:])
            assert "Lotte" in page.text
            assert page.url.startswith(server.url + "/")
            token = "mentor-sign-in-token-0123456789abcdef"
            assert http_browser.get(server.url + f"/m/{token}").status == 404  # no invitation
            # Logged, but without the query string: OIDC login hints never reach the access
            # log; and a mentor's sign-in link is logged without its token.
            log = server.wait_for_log(
                r'"GET /lti/login HTTP/1\.1" 302 ',
                r'"POST /lti/launch HTTP/1\.1" 303 ',
                r'"GET /m/… HTTP/1\.1" 404 ',
            )
        finally:
            lms.close()

    assert "login_hint" not in log
    assert student.sub not in log
    assert token not in log


# -- several processes, one database ------------------------------------------------------------


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture(scope="module")
def multiproc_database_url() -> Iterator[str]:
    """A PostgreSQL database of this test run alone, migrated with `flask db upgrade`.

    Not the suite's database (TEST_DATABASE_URL may point at it): its tables are emptied and
    rebuilt by the other tests. The name carries the pid so parallel runs never meet.
    """
    admin = _psycopg_url(POSTGRES_ADMIN_URL)
    name = f"driehoek_multiproc_{os.getpid()}"
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        missing_service(f"PostgreSQL is not reachable at {admin.split('@')[-1]} ({exc})")
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    host = admin.rsplit("/", 1)[0]
    url = f"postgresql+psycopg://{host.split('://', 1)[1]}/{name}"
    try:
        upgraded = flask_cli(
            ["db", "upgrade"],
            {"DRIEHOEK_ENV": "test", "DATABASE_URL": url, "SECRET_KEY": SECRET},
        )
        assert upgraded.returncode == 0, upgraded.stderr
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres_only
@pytest.mark.parametrize("state_in", ["database", "redis"])
def test_login_and_launch_reach_two_different_app_processes_sharing_one_database(
    request: pytest.FixtureRequest,
    multiproc_database_url: str,
    tmp_path: Path,
    http_browser: HttpBrowser,
    student: Person,
    state_in: str,
) -> None:
    url = multiproc_database_url
    empty_tables(url)
    redis_url = request.getfixturevalue("redis_db") if state_in == "redis" else None
    extra = {"REDIS_URL": redis_url} if redis_url else {}
    settings = gunicorn_settings(
        database_url=url, base_url=LOAD_BALANCED_BASE, secret_key=SECRET, **extra
    )
    lms = TestLMS(tool_base=LOAD_BALANCED_BASE, client_id=f"client-{uuid.uuid4().hex[:8]}")
    engine = create_engine(url)
    try:
        with Session(engine) as s:
            add_platform(s, **lms.tool_registration())
            s.commit()

        with running_gunicorn([settings, settings], tmp_path) as [a, b]:
            # The login lands on process A ...
            http_browser.base = a.url
            auth_query = login(http_browser, lms, student)
            state = auth_query["state"]
            _assert_state_stored(engine, state, redis_url)

            # ... the platform posts the launch to the public URL, which sends it to B.
            form = lms.authorize(auth_query, student)
            assert form["launch_url"] == LOAD_BALANCED_BASE + "/lti/launch"
            page = http_browser.post(
                b.url + "/lti/launch", {"id_token": form["id_token"], "state": form["state"]}
            )
            assert page.status == 303, (page.status, page.text[:800], b.log()[-3000:])

            # ... and the next page is served by A again: the session is not B's alone.
            while page.status in (302, 303):
                location = page.location
                path = location.split(LOAD_BALANCED_BASE, 1)[-1] if "://" in location else location
                page = http_browser.get(a.url + path)
            assert page.status == 200, (page.status, page.text[:800], a.log()[-3000:])
            assert "Lotte" in page.text
            log_a = a.wait_for_log(r'"GET /lti/login ')
            log_b = b.wait_for_log(r'"POST /lti/launch ')

            # Spent: the same state and token, replayed on A, are refused.
            replay = http_browser.post(
                a.url + "/lti/launch", {"id_token": form["id_token"], "state": form["state"]}
            )
            assert replay.status == 400, replay.text[:500]
    finally:
        engine.dispose()
        lms.close()

    assert "/lti/launch" not in log_a
    assert "/lti/login" not in log_b


def _assert_state_stored(engine: object, state: str, redis_url: str | None) -> None:
    """The launch state is where the servers were told to keep it: Redis, or the database."""
    with Session(engine) as s:  # type: ignore[call-overload]
        keys = s.scalars(select(LaunchState.key)).all()
    in_database = any(state in k for k in keys)
    if redis_url is None:
        assert in_database, keys
        return
    assert not in_database, keys
    client = redis.Redis.from_url(redis_url)
    try:
        assert list(client.scan_iter(match=f"driehoek:launch:*{state}*")), "state not in Redis"
    finally:
        client.close()
