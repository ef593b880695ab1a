"""The front door, health, error pages, settings, and the rule that every view declares a permission."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lti_app import create_app
from lti_app.config import SettingsError
from tests.conftest import settings


def test_every_view_declares_who_may_use_it(app: Flask) -> None:
    undeclared = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not hasattr(view, "permission")
    ]
    assert undeclared == []


def test_a_view_without_declaration_is_refused(app: Flask) -> None:
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    response = app.test_client().get("/forgotten")
    assert response.status_code == 403
    assert b"secret" not in response.data


def test_healthz_checks_the_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(instance_dir: Path, tmp_path: Path) -> None:
    broken = create_app(settings(f"sqlite:///{tmp_path}/missing-dir/nothing.sqlite3", instance_dir))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"


def test_unknown_page_is_a_404_page_in_dutch_by_default(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Deze pagina bestaat niet" in response.get_data(as_text=True)
    assert b"Traceback" not in response.data


def test_english_browser_gets_english_pages(client: FlaskClient) -> None:
    response = client.get("/no-such-page", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "This page does not exist" in response.get_data(as_text=True)
    assert '<html lang="en">' in response.get_data(as_text=True)


def test_json_callers_get_json_errors(client: FlaskClient) -> None:
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["reason"] == "Not Found"


def test_pages_behind_a_launch_say_to_open_from_the_course(client: FlaskClient) -> None:
    for path in ("/student", "/coach", "/admin/registrations", "/lti/deep-link"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert "Open Driehoek vanuit je cursus" in response.get_data(as_text=True)


def test_an_unexpected_error_is_a_500_page_without_details(app: Flask) -> None:
    from lti_app.security import public

    def explode() -> str:
        raise RuntimeError("database password is hunter2")

    app.add_url_rule("/explode", "explode", public(explode))
    response = app.test_client().get("/explode")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "hunter2" not in body and "Traceback" not in body
    assert "Niets van wat je invulde, is verloren" in body


def test_language_switch_needs_csrf_and_then_sticks(client: FlaskClient) -> None:
    assert client.post("/language", data={"language": "en"}).status_code == 400
    page = client.get("/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post("/language", data={"language": "en", "csrf_token": token, "next": "/"})
    assert response.status_code == 303
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_language_switch_does_not_redirect_elsewhere(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/language", data={"language": "nl", "csrf_token": token, "next": "//evil.example/"}
    )
    assert response.headers["Location"] == "/"


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors" in csp
    assert "X-Frame-Options" not in response.headers  # LMSs embed us


# A production app runs on the machine's clock; a run of the suite may shift the clock of the
# app it tests (TEST_CLOCK), and production would rightly refuse that.
A_REAL_CLOCK = {"CLOCK_SHIFT_SECONDS": 0}


def test_production_refuses_to_start_without_secret_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        create_app(
            {
                "DRIEHOEK_ENV": "production",
                **A_REAL_CLOCK,
                "BASE_URL": "https://driehoek.example",
                "SECRET_KEY": None,
                "INSTANCE_PATH": str(tmp_path),
                "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
            }
        )


def test_production_refuses_plain_http(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="https"):
        create_app(
            {
                "DRIEHOEK_ENV": "production",
                **A_REAL_CLOCK,
                "BASE_URL": "http://driehoek.example",
                "SECRET_KEY": "x" * 40,
                "INSTANCE_PATH": str(tmp_path),
                "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
            }
        )


def test_bad_setting_names_itself(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KEY_GRACE_DAYS", "a week")
    with pytest.raises(SettingsError, match="KEY_GRACE_DAYS"):
        create_app({"INSTANCE_PATH": str(tmp_path), "DRIEHOEK_ENV": "test"})


def test_development_generates_its_secret_in_instance(tmp_path: Path) -> None:
    app = create_app(
        {
            "DRIEHOEK_ENV": "development",
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": None,
            "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        }
    )
    assert (tmp_path / "secret_key").read_text().strip() == app.config["SECRET_KEY"]
    assert len(app.config["SECRET_KEY"]) >= 32


def test_sandbox_does_not_exist_in_production(tmp_path: Path) -> None:
    app = create_app(
        {
            "DRIEHOEK_ENV": "production",
            **A_REAL_CLOCK,
            "BASE_URL": "https://driehoek.example",
            "SECRET_KEY": "x" * 40,
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        }
    )
    assert "sandbox" not in app.blueprints
    assert app.test_client().get("/sandbox/").status_code == 404


def test_cookies_are_partitioned_and_cross_site_over_https(
    database_url: str, instance_dir: Path
) -> None:
    app = create_app(settings(database_url, instance_dir, BASE_URL="https://tool.example"))
    assert app.config["SESSION_COOKIE_SAMESITE"] == "None"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_PARTITIONED"] is True
