"""Fixtures: the app on SQLite (default) or PostgreSQL (TEST_DATABASE_URL), a test LMS, launches.

The schema is built by the Alembic migrations, so every run also tests them. Between tests the
tables are emptied rather than rebuilt, which keeps the suite fast on PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import factory.random
import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from lti_app import clock, create_app
from lti_app.cli import alembic_config
from lti_app.db import Base
from tests.launching import FlaskBrowser, launch
from tests.lms import INSTRUCTOR, LEARNER, Person, TestLMS

TOOL_BASE = "http://tool.test"
SECRET = "test-secret-key-that-is-long-enough-0123456789"


def pytest_configure(config: pytest.Config) -> None:
    """``TEST_CLOCK=winter-night`` (or an ISO moment) starts the app's clock there for the
    whole run: in this process and, through ``CLOCK_SHIFT_SECONDS``, in every server, worker
    and CLI the tests start, so all of them agree on "now" and "today"."""
    start = os.environ.get("TEST_CLOCK", "").strip()
    if start and "CLOCK_SHIFT_SECONDS" not in os.environ:
        moment = clock_start(start, datetime.now(UTC))
        os.environ["CLOCK_SHIFT_SECONDS"] = str(int((moment - datetime.now(UTC)).total_seconds()))
    clock.set_shift(timedelta(seconds=int(os.environ.get("CLOCK_SHIFT_SECONDS") or 0)))


def clock_start(value: str, wall: datetime) -> datetime:
    """The moment ``TEST_CLOCK`` names. ``winter-night``: 23:30 UTC on the first day from
    ``wall`` on in December, January or February and not yet past (Brussels is then already
    at tomorrow's 00:30); anything else is an ISO moment with its offset."""
    if value != "winter-night":
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise pytest.UsageError(f"TEST_CLOCK={value!r} needs an offset, e.g. +00:00")
        return moment
    day = wall.date()
    while True:
        moment = datetime.combine(day, time(23, 30), tzinfo=UTC)
        if day.month in (12, 1, 2) and moment > wall:
            return moment
        day += timedelta(days=1)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Under ``CI=true`` a skipped test fails: CI runs every test it selects (the SQLite pass
    deselects the PostgreSQL-only ones instead), so a skip would only hide a missing service."""
    report = yield
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"CI=true runs every selected test, but this one skipped: {reason}"
    return report


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"database: {_database_url_label()}"]
    if clock.shift():
        lines.append(f"app clock: {clock.now().isoformat(timespec='seconds')} at start")
    return lines


def _database_url_label() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url.split("@")[-1] if url else "SQLite (temporary file)"


@pytest.fixture(autouse=True)
def _clock_as_configured() -> Iterator[None]:
    """Whatever a test does to the app's clock ends with the test."""
    clock.set_shift(timedelta(seconds=int(os.environ.get("CLOCK_SHIFT_SECONDS") or 0)))
    clock.thaw()
    yield
    clock.set_shift(timedelta(seconds=int(os.environ.get("CLOCK_SHIFT_SECONDS") or 0)))
    clock.thaw()


@pytest.fixture(autouse=True)
def _names_as_before(request: pytest.FixtureRequest) -> None:
    """The factories' Faker names and fuzzy values depend on the test alone (not on which tests
    ran before it), so a failure reproduces; and a name the tests use for people who must not
    show up on a page (Lotte, Bram, Noor…) cannot turn up by chance in one test run and not
    in the next."""
    factory.random.reseed_random(request.node.nodeid)


@pytest.fixture
def set_clock() -> Callable[..., datetime]:
    """``set_clock(moment)`` stops the app's clock there; ``set_clock(moment, running=True)``
    lets it run on from there. In this process only: for tests that call the app in-process."""

    def _set(moment: datetime, *, running: bool = False) -> datetime:
        if running:
            clock.run_from(moment)
        else:
            clock.freeze(moment)
        return moment

    return _set


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    command.upgrade(alembic_config(url), "head")
    return url


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("instance")


def settings(database_url: str, instance_dir: Path, **extra: Any) -> dict[str, Any]:
    return {
        "DRIEHOEK_ENV": "test",
        "DATABASE_URL": database_url,
        "BASE_URL": TOOL_BASE,
        "SECRET_KEY": SECRET,
        "INSTANCE_PATH": str(instance_dir),
        **extra,
    }


def empty_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(Base.metadata.sorted_tables):
                    conn.execute(table.delete())
    finally:
        engine.dispose()


@pytest.fixture
def app(database_url: str, instance_dir: Path) -> Iterator[Flask]:
    import lti_app.models  # noqa: F401

    empty_tables(database_url)
    application = create_app(settings(database_url, instance_dir))
    yield application
    application.extensions["db_engine"].dispose()


# The Redis server of the tests; the database number in it is ignored: each run leases its own.
REDIS_SERVER_URL = os.environ.get("DRIEHOEK_TEST_REDIS_URL", "redis://127.0.0.1:6379")


@pytest.fixture(scope="session")
def redis_lease() -> Iterator[Any]:
    """A Redis database this run alone uses, leased for the session (``tests.redis_lease``).

    Without Redis the tests that need it are skipped, or fail under ``CI=true``.
    """
    import redis

    from tests.redis_lease import RedisLease
    from tests.servers import missing_service

    try:
        lease = RedisLease.claim(REDIS_SERVER_URL)
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        missing_service(f"Redis is not reachable at {REDIS_SERVER_URL} ({exc})")
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield lease
    lease.release()


@pytest.fixture
def redis_db(redis_lease: Any) -> Iterator[str]:
    """The URL of this run's Redis database, emptied before and after the test."""
    import redis

    if redis_lease.lost:
        pytest.fail(f"another test run took over Redis database {redis_lease.number}")
    client = redis.Redis.from_url(redis_lease.url)
    client.flushdb()
    yield redis_lease.url
    client.flushdb()
    client.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def lms(app: Flask) -> Iterator[TestLMS]:
    """A registered test LMS (lti1p3platform) serving its keys over real HTTP."""
    from lti_app import db
    from lti_app.lti.registration import add_platform

    platform = TestLMS(tool_base=TOOL_BASE)
    with app.app_context():
        add_platform(db.session(), **platform.tool_registration())
        db.session().commit()
    yield platform
    platform.close()


@pytest.fixture
def student() -> Person:
    return Person("student-1", "Lotte Janssens", [LEARNER], "lotte@student.example")


@pytest.fixture
def coach() -> Person:
    return Person("coach-1", "An Peeters", [INSTRUCTOR], "an@hogeschool.example")


@pytest.fixture
def browser(client: FlaskClient) -> FlaskBrowser:
    return FlaskBrowser(client)


@pytest.fixture
def launched(browser: FlaskBrowser, lms: TestLMS) -> Any:
    """Launch someone into the tool: ``launched(person)`` returns the final response."""

    def _launch(person: Person, **kwargs: Any) -> Any:
        return launch(browser, lms, person, **kwargs)

    return _launch
