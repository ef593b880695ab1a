"""Fixtures: the app on SQLite (default) or PostgreSQL (TEST_DATABASE_URL), a test LMS, launches.

The schema is built by the Alembic migrations, so every run also tests them. Between tests the
tables are emptied rather than rebuilt, which keeps the suite fast on PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from lti_app import create_app
from lti_app.cli import alembic_config
from lti_app.db import Base
from tests.launching import FlaskBrowser, launch
from tests.lms import INSTRUCTOR, LEARNER, Person, TestLMS

TOOL_BASE = "http://tool.test"
SECRET = "test-secret-key-that-is-long-enough-0123456789"


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {_database_url_label()}"


def _database_url_label() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url.split("@")[-1] if url else "SQLite (temporary file)"


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


REDIS_TEST_URL = "redis://127.0.0.1:6379/15"  # a database number of the tests' own, flushed here


@pytest.fixture
def redis_db() -> Iterator[str]:
    """The URL of an empty Redis database; skipped when no Redis runs."""
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        client.close()
        pytest.skip(f"no Redis at {REDIS_TEST_URL}")
    client.flushdb()
    yield REDIS_TEST_URL
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
