"""The operator's CLI, run as a subprocess exactly as documented: `flask --app lti_app …`."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from lti_app import db
from lti_app.lti.models import Deployment, Platform, ToolKey
from tests.conftest import SECRET, TOOL_BASE
from tests.servers import flask_cli

ISSUER = "https://canvas.hogeschool.example"


@pytest.fixture
def cli_settings(app: Flask, database_url: str) -> dict[str, str]:
    """Settings for a CLI subprocess on the test database (the ``app`` fixture emptied it)."""
    return {
        "DRIEHOEK_ENV": "test",
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "BASE_URL": TOOL_BASE,
    }


def platform_add_args(**overrides: object) -> list[str]:
    values: dict[str, object] = {
        "--issuer": ISSUER,
        "--client-id": "10000000000042",
        "--deployment-id": ["12:abc", "13:def"],
        "--auth-login-url": ISSUER + "/api/lti/authorize_redirect",
        "--auth-token-url": ISSUER + "/login/oauth2/token",
        "--key-set-url": ISSUER + "/api/lti/security/jwks",
        "--name": "Canvas Hogeschool",
    }
    values.update(overrides)
    args: list[str] = ["platform", "add"]
    for flag, value in values.items():
        for one in value if isinstance(value, list) else [value]:
            args += [flag, str(one)]
    return args


def test_platform_add_registers_platform_with_two_deployments(
    app: Flask, cli_settings: dict[str, str]
) -> None:
    result = flask_cli(
        [*platform_add_args(), "--auth-audience", ISSUER + "/login/oauth2/token"], cli_settings
    )
    assert result.returncode == 0, result.stderr
    assert "Registered Canvas Hogeschool" in result.stdout
    assert "12:abc, 13:def" in result.stdout

    with app.app_context():
        platform = db.session().scalars(select(Platform)).one()
        assert platform.issuer == ISSUER
        assert platform.client_id == "10000000000042"
        assert platform.auth_login_url == ISSUER + "/api/lti/authorize_redirect"
        assert platform.auth_token_url == ISSUER + "/login/oauth2/token"
        assert platform.key_set_url == ISSUER + "/api/lti/security/jwks"
        assert platform.auth_audience == ISSUER + "/login/oauth2/token"
        assert platform.source == "cli"
        assert [d.deployment_id for d in platform.deployments] == ["12:abc", "13:def"]

    listed = flask_cli(["platform", "list"], cli_settings)
    assert listed.returncode == 0, listed.stderr
    lines = [line for line in listed.stdout.splitlines() if ISSUER in line]
    assert len(lines) == 1, listed.stdout
    assert "Canvas Hogeschool" in lines[0]
    assert "client=10000000000042" in lines[0]
    assert "deployments=12:abc, 13:def" in lines[0]


def test_platform_list_on_an_empty_database_says_how_to_register(
    cli_settings: dict[str, str],
) -> None:
    result = flask_cli(["platform", "list"], cli_settings)
    assert result.returncode == 0, result.stderr
    assert "No platforms registered yet" in result.stdout


@pytest.mark.parametrize(
    ("flag", "value", "label"),
    [
        ("--issuer", "canvas.hogeschool.example", "issuer"),
        ("--auth-login-url", "ftp://canvas.hogeschool.example/auth", "auth login URL"),
        ("--key-set-url", "not a url", "key set URL"),
    ],
)
def test_bad_url_is_a_usage_error(
    app: Flask, cli_settings: dict[str, str], flag: str, value: str, label: str
) -> None:
    result = flask_cli(platform_add_args(**{flag: value}), cli_settings)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Usage:" in result.stderr
    assert f"Error: The {label} must be an http(s) URL" in result.stderr
    assert "Traceback" not in result.stderr
    with app.app_context():
        assert db.session().scalar(select(func.count(Platform.id))) == 0


def test_missing_required_option_is_a_usage_error(cli_settings: dict[str, str]) -> None:
    args = platform_add_args()
    i = args.index("--client-id")
    del args[i : i + 2]
    result = flask_cli(args, cli_settings)
    assert result.returncode == 2
    assert "Missing option '--client-id'" in result.stderr


def test_running_add_again_updates_instead_of_duplicating(
    app: Flask, cli_settings: dict[str, str]
) -> None:
    first = flask_cli(platform_add_args(), cli_settings)
    assert first.returncode == 0, first.stderr
    again = flask_cli(
        platform_add_args(
            **{
                "--name": "Canvas (nieuw)",
                "--key-set-url": ISSUER + "/api/lti/security/jwks?rotated=1",
                "--deployment-id": ["13:def", "14:ghi"],
            }
        ),
        cli_settings,
    )
    assert again.returncode == 0, again.stderr

    with app.app_context():
        s = db.session()
        assert s.scalar(select(func.count(Platform.id))) == 1
        platform = s.scalars(select(Platform)).one()
        assert platform.name == "Canvas (nieuw)"
        assert platform.key_set_url.endswith("?rotated=1")
        # Deployments accumulate: the ones already known stay, the new one is added once.
        assert [d.deployment_id for d in platform.deployments] == ["12:abc", "13:def", "14:ghi"]
        assert s.scalar(select(func.count(Deployment.id))) == 3

    listed = flask_cli(["platform", "list"], cli_settings)
    assert listed.stdout.count(ISSUER) == 1, listed.stdout


def test_same_issuer_with_another_client_id_is_a_second_registration(
    app: Flask, cli_settings: dict[str, str]
) -> None:
    assert flask_cli(platform_add_args(), cli_settings).returncode == 0
    assert flask_cli(platform_add_args(**{"--client-id": "99"}), cli_settings).returncode == 0
    with app.app_context():
        assert db.session().scalar(select(func.count(Platform.id))) == 2


def test_keys_rotate_prints_the_new_kid(app: Flask, cli_settings: dict[str, str]) -> None:
    client = app.test_client()
    before = {k["kid"] for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
    assert len(before) == 1

    result = flask_cli(["keys", "rotate"], cli_settings)
    assert result.returncode == 0, result.stderr
    match = re.search(r"New signing key ([0-9a-f]{32})\b", result.stdout)
    assert match, result.stdout
    kid = match.group(1)
    assert kid not in before

    with app.app_context():
        active = db.session().scalars(select(ToolKey).where(ToolKey.retired_at.is_(None))).all()
        assert [k.kid for k in active] == [kid]
    published = {k["kid"] for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
    assert published == before | {kid}


def test_db_upgrade_is_idempotent(cli_settings: dict[str, str]) -> None:
    # The Procfile's release phase runs it on every deploy, on a database already at head.
    result = flask_cli(["db", "upgrade"], cli_settings)
    assert result.returncode == 0, result.stderr
    assert "Database at head." in result.stdout
