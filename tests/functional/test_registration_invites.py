"""Only the operator opens registration: a one-time URL per college (`platform invite`), and
colleges made and named on the command line.

A stranger who finds /lti/register gets a page that says it is closed; the tool fetches nothing
for them and stores nothing. An operator's URL registers one platform for its college, once.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from lti_app import clock, db
from lti_app.colleges.models import College
from lti_app.lti.models import Platform, RegistrationInvite
from tests.conftest import TOOL_BASE
from tests.functional.test_cli import cli_settings, platform_add_args  # noqa: F401 (fixture)
from tests.functional.test_dynamic_registration import (  # noqa: F401 (stub: a fixture)
    CLIENT_ID,
    TOKEN,
    PlatformStub,
    stub,
)
from tests.servers import flask_cli
from tests.signing import new_invite


def _platforms(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session().execute(
            select(Platform.client_id, College.name).join(
                College, Platform.college_id == College.id
            )
        )
        return sorted((str(c), str(n)) for c, n in rows)


def _open(client: FlaskClient, path: str, stub: PlatformStub) -> Any:
    return client.get(
        path,
        query_string={"openid_configuration": stub.configuration_url, "registration_token": TOKEN},
        headers={"Accept-Language": "en"},  # the words checked are the English ones
    )


def test_without_the_operators_url_registration_is_closed_and_fetches_nothing(
    app: Flask, client: FlaskClient, stub: PlatformStub
) -> None:
    response = _open(client, "/lti/register", stub)
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Registration needs a registration URL from the operator" in page
    assert "Nothing was registered." in page
    assert stub.lms.requests_seen == []  # not even the configuration was fetched
    assert _platforms(app) == []


def test_a_made_up_or_spent_url_registers_nothing(
    app: Flask, client: FlaskClient, stub: PlatformStub
) -> None:
    made_up = _open(client, "/lti/register/" + "x" * 43, stub)
    assert made_up.status_code == 403
    assert "expired or was used already" in made_up.get_data(as_text=True)

    token = new_invite(app)
    assert _open(client, f"/lti/register/{token}", stub).status_code == 200
    assert _platforms(app) == [(CLIENT_ID, "Hogeschool")]
    seen = len(stub.lms.requests_seen)
    again = _open(client, f"/lti/register/{token}", stub)
    assert again.status_code == 403
    assert "expired or was used already" in again.get_data(as_text=True)
    assert len(stub.lms.requests_seen) == seen  # a spent URL fetches nothing either
    with app.app_context():
        invite = db.session().scalars(select(RegistrationInvite)).one()
        assert invite.used_at is not None and invite.platform_id is not None
        assert invite.token_sha256 != token and token not in invite.token_sha256


def test_an_expired_url_registers_nothing(
    app: Flask, client: FlaskClient, stub: PlatformStub, set_clock: Any
) -> None:
    token = new_invite(app, hours=2)
    set_clock(clock.now() + timedelta(hours=2, seconds=1))
    assert _open(client, f"/lti/register/{token}", stub).status_code == 403
    assert _platforms(app) == []


def test_the_url_registers_for_its_own_college(
    app: Flask, client: FlaskClient, stub: PlatformStub
) -> None:
    with app.app_context():
        from lti_app.colleges.service import add_college

        s = db.session()
        add_college(s, "Hogeschool Gent")
        add_college(s, "Hogeschool Noord")
        s.commit()
    token = new_invite(app, "Hogeschool Noord")
    assert _open(client, f"/lti/register/{token}", stub).status_code == 200
    assert _platforms(app) == [(CLIENT_ID, "Hogeschool Noord")]
    # Gent's URL cannot take Noord's registration over.
    response = _open(client, f"/lti/register/{new_invite(app, 'Hogeschool Gent')}", stub)
    assert response.status_code == 400
    assert "registered for another college" in response.get_data(as_text=True)
    assert _platforms(app) == [(CLIENT_ID, "Hogeschool Noord")]


def test_the_operator_makes_colleges_and_their_urls_on_the_command_line(
    app: Flask, cli_settings: dict[str, str], client: FlaskClient, stub: PlatformStub
) -> None:
    unknown = flask_cli(["platform", "invite", "--college", "Hogeschool Noord"], cli_settings)
    assert unknown.returncode != 0
    assert "No college is named 'Hogeschool Noord'" in unknown.stderr
    assert "college add" in unknown.stderr

    added = flask_cli(["college", "add", "Hogeschool Noord"], cli_settings)
    assert added.returncode == 0, added.stderr
    invited = flask_cli(
        ["platform", "invite", "--college", "hogeschool noord", "--hours", "24"], cli_settings
    )
    assert invited.returncode == 0, invited.stderr
    assert "valid 24 hours" in invited.stdout
    url = re.search(rf"{re.escape(TOOL_BASE)}(/lti/register/[A-Za-z0-9_-]{{40,}})", invited.stdout)
    assert url is not None, invited.stdout
    assert _open(client, url.group(1), stub).status_code == 200
    assert _platforms(app) == [(CLIENT_ID, "Hogeschool Noord")]

    listed = flask_cli(["college", "list"], cli_settings)
    assert "Hogeschool Noord\tplatforms=1" in listed.stdout


def test_platform_add_needs_a_college_only_once_there_are_several(
    app: Flask, cli_settings: dict[str, str]
) -> None:
    # One college (or none yet): the existing command line works unchanged.
    first = flask_cli(platform_add_args(), cli_settings)
    assert first.returncode == 0, first.stderr
    assert "College: Hogeschool" in first.stdout
    assert flask_cli(["college", "add", "Hogeschool Noord"], cli_settings).returncode == 0

    ambiguous = flask_cli(platform_add_args(**{"--client-id": "2"}), cli_settings)
    assert ambiguous.returncode != 0
    assert "several colleges" in ambiguous.stderr
    named = flask_cli(
        [
            *platform_add_args(**{"--client-id": "2"}),
            "--college",
            "Hogeschool Noord",
            "--frame-origin",
            "https://canvas.hogeschool.example",
        ],
        cli_settings,
    )
    assert named.returncode == 0, named.stderr
    assert _platforms(app) == [("10000000000042", "Hogeschool"), ("2", "Hogeschool Noord")]
    with app.app_context():
        origins = db.session().scalar(select(Platform.origins).where(Platform.client_id == "2"))
        assert origins == ["https://canvas.hogeschool.example"]
        assert db.session().scalar(select(func.count()).select_from(College)) == 2
