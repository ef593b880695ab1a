"""Migrations that move data: an installation from before colleges keeps everything, in one
college named from COLLEGE_NAME. Runs on a database of its own (SQLite, and PostgreSQL when the
suite runs there), since it starts from an older schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from lti_app.cli import alembic_config

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres_only)])
def empty_database(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/old.sqlite3"
        return
    suite = os.environ.get("TEST_DATABASE_URL", "")
    if not suite.startswith("postgresql"):
        pytest.skip("the suite runs on SQLite (TEST_DATABASE_URL names no PostgreSQL)")
    server = make_url(suite.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"driehoek_migration_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _before_colleges(url: str) -> str:
    config = alembic_config(url)
    revision = ScriptDirectory.from_config(config).get_revision("0006")
    assert revision is not None
    previous = str(revision.down_revision)
    command.upgrade(config, previous)
    return previous


def _old_installation(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO platform (name, issuer, client_id, auth_login_url, auth_token_url,"
                " key_set_url, source, created_at) VALUES ('Moodle', 'https://moodle.example',"
                " 'c1', 'https://moodle.example/auth', 'https://moodle.example/token',"
                " 'https://moodle.example/jwks', 'cli', :now)"
            ),
            {"now": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO course (platform_id, context_id, title, label, created_at, updated_at)"
                " VALUES (1, 'c-1', 'Stage SO', 'SO', :now, :now)"
            ),
            {"now": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO school (name, institution_number, street, postal_code, city,"
                " contact_name, contact_phone, created_at, updated_at) VALUES"
                " ('Sint-Jozef', '030395', '', '', 'Aalst', '', '', :now, :now)"
            ),
            {"now": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO mentor (email, name, phone, subject, locale, created_at, updated_at)"
                " VALUES ('els@sint-jozef.example', 'Els', '', '', 'nl', :now, :now)"
            ),
            {"now": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO agreement_template (programme, version, language, college_name,"
                " sections, signing_order, created_by, created_at) VALUES"
                " ('Educatief graduaat', 1, 'nl', 'Hogeschool Gent', '[]', '[[\"student\"]]',"
                " 'system', :now)"
            ),
            {"now": NOW},
        )


def test_an_installation_from_before_colleges_moves_into_one_college(
    empty_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = _before_colleges(empty_database)
    engine = create_engine(empty_database.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        _old_installation(engine)
        monkeypatch.setenv("COLLEGE_NAME", "  Hogeschool   Gent ")
        command.upgrade(alembic_config(empty_database), "head")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id, name FROM college")).all() == [
                (1, "Hogeschool Gent")
            ]
            for table in ("platform", "school", "mentor"):
                found = conn.execute(text(f"SELECT college_id FROM {table}")).scalars()  # noqa: S608
                assert found.all() == [1]
            assert conn.execute(text("SELECT college_id, name FROM programme")).all() == [
                (1, "Educatief graduaat")
            ]
            assert conn.execute(text("SELECT programme_id FROM agreement_template")).scalar() == 1
            # One programme: the course is surely in it.
            assert conn.execute(text("SELECT programme_id FROM course")).scalar() == 1
            assert conn.execute(text("SELECT origins FROM platform")).scalar() in ([], "[]")

        command.downgrade(alembic_config(empty_database), previous)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT programme FROM agreement_template")).scalar() == (
                "Educatief graduaat"
            )
    finally:
        engine.dispose()


def test_a_new_installation_starts_without_a_college(empty_database: str) -> None:
    command.upgrade(alembic_config(empty_database), "head")
    engine = create_engine(empty_database.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM college")).scalar() == 0
    finally:
        engine.dispose()
