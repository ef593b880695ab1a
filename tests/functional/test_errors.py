"""Errors as people meet them: a database that cannot be reached answers 503 with Driehoek's own
page (or a JSON error), never a 500; and no log record carries a sign-in or registration token.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient

from lti_app import create_app
from tests.conftest import settings
from tests.guests import add_mentor, english_client, issue_sign_in_link, path_of, sign_in_mentor
from tests.guests import text as body
from tests.launching import FlaskBrowser, login
from tests.lms import TestLMS
from tests.servers import closed_port
from tests.signing import ELS, LOTTE

UNREACHABLE_TITLE = "Driehoek cannot reach its database right now"
UNREACHABLE_ADVICE = "Try again in a few minutes."
SESSION_COOKIE = "driehoek_session"


@pytest.fixture(params=["postgresql", "sqlite"])
def unreachable_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL nothing answers at: a PostgreSQL port where nothing listens, or an SQLite
    file in a directory that does not exist."""
    if request.param == "postgresql":
        with closed_port() as port:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/driehoek"
    else:
        yield f"sqlite:///{tmp_path / 'gone' / 'driehoek.sqlite3'}"


@pytest.fixture
def down(unreachable_url: str, instance_dir: Path) -> Iterator[Flask]:
    """The same installation (same secret key, so the same cookies), its database gone."""
    application = create_app(settings(unreachable_url, instance_dir))
    yield application
    application.extensions["db_engine"].dispose()


def carry_cookies(source: FlaskClient, target: FlaskClient, *names: str) -> None:
    """What one browser holds, in another browser talking to the other app."""
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, name
        target.set_cookie(name, cookie.value)


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, (response.status_code, body(response)[:800])
    page = body(response)
    assert UNREACHABLE_TITLE in page and UNREACHABLE_ADVICE in page
    assert "<h1>" in page and "Traceback" not in page
    assert response.headers["Retry-After"].isdigit()


def test_a_signed_in_mentor_gets_the_unavailable_page(app: Flask, down: Flask) -> None:
    add_mentor(app, ELS, "Els Mertens")
    mentor = english_client(app)
    sign_in_mentor(app, mentor, ELS)
    same_browser = english_client(down)
    carry_cookies(mentor, same_browser, SESSION_COOKIE)

    for path in ("/mentor", "/home", "/hours"):
        assert_unavailable(same_browser.get(path))


def test_an_error_page_that_needs_the_database_becomes_the_unavailable_page(
    app: Flask, down: Flask
) -> None:
    """A 404 page greets who is signed in, which needs the database: the error page itself
    fails, and that failure (a 500 in production) is the database's."""
    down.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: no test-client re-raise
    add_mentor(app, ELS, "Els Mertens")
    mentor = english_client(app)
    sign_in_mentor(app, mentor, ELS)
    same_browser = english_client(down)
    carry_cookies(mentor, same_browser, SESSION_COOKIE)

    assert_unavailable(same_browser.get("/no-such-page"))


def test_a_launch_gets_the_unavailable_page(app: Flask, lms: TestLMS, down: Flask) -> None:
    browser = FlaskBrowser(english_client(app))
    auth = login(browser, lms, LOTTE)  # the login went through before the database went away
    form = lms.authorize(auth, LOTTE)
    same_browser = english_client(down)
    carry_cookies(browser.client, same_browser, "lti1p3-" + form["state"])

    launched = same_browser.post(
        "/lti/launch", data={"id_token": form["id_token"], "state": form["state"]}
    )
    assert_unavailable(launched)
    # The first step of a launch, too.
    assert_unavailable(same_browser.get("/lti/login", query_string=lms.login_params(LOTTE)))


def test_json_callers_get_a_json_error(app: Flask, down: Flask) -> None:
    add_mentor(app, ELS, "Els Mertens")
    mentor = english_client(app)
    sign_in_mentor(app, mentor, ELS)
    same_browser = english_client(down)
    carry_cookies(mentor, same_browser, SESSION_COOKIE)

    response = same_browser.get("/mentor", headers={"Accept": "application/json"})

    assert response.status_code == 503
    assert response.get_json() == {"error": UNREACHABLE_TITLE, "reason": "database unavailable"}


def test_the_health_check_keeps_its_answer(down: Flask) -> None:
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}


def test_a_public_page_that_reads_the_database_gets_the_unavailable_page(down: Flask) -> None:
    assert_unavailable(english_client(down).get("/verify/" + "ab" * 32))


# -- tokens in logs -----------------------------------------------------------------------------


@pytest.fixture
def all_logs(app: Flask, caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    app.logger.propagate = True
    caplog.set_level(logging.DEBUG)
    return caplog


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every record as a handler writes it: messages and tracebacks."""
    return caplog.text + "\n".join(r.getMessage() for r in caplog.records)


def _fail_after_the_hooks(app: Flask) -> None:
    """An unhandled error in the request, whose message names the URL (as a failing HTTP call
    or a template error would)."""

    def boom() -> None:
        raise RuntimeError(f"could not handle {request.url}")

    app.before_request(boom)


def test_an_unhandled_error_logs_no_sign_in_token(
    app: Flask, all_logs: pytest.LogCaptureFixture
) -> None:
    add_mentor(app, ELS, "Els Mertens")
    link = path_of(issue_sign_in_link(app, ELS))
    token = link.rsplit("/", 1)[-1]
    _fail_after_the_hooks(app)

    response = english_client(app).get(link)

    assert response.status_code == 500
    assert "Something went wrong on our side" in body(response)
    text = logged(all_logs)
    assert "unhandled error on GET /m/…" in text
    assert "RuntimeError: could not handle http://localhost/m/…" in text  # the traceback too
    assert token not in text


def test_an_unhandled_error_logs_no_registration_token(
    app: Flask, all_logs: pytest.LogCaptureFixture
) -> None:
    secret = "reg-token-0123456789abcdefghijklmnop"
    _fail_after_the_hooks(app)

    response = english_client(app).get(
        "/lti/register",
        query_string={
            "openid_configuration": "https://lms.example/openid",
            "registration_token": secret,
        },
    )

    assert response.status_code == 500
    text = logged(all_logs)
    assert "registration_token=…" in text
    assert secret not in text


def test_a_refusal_on_a_sign_in_link_logs_no_token(
    app: Flask, all_logs: pytest.LogCaptureFixture
) -> None:
    add_mentor(app, ELS, "Els Mertens")
    link = path_of(issue_sign_in_link(app, ELS))
    token = link.rsplit("/", 1)[-1]
    browser = english_client(app)
    page = browser.get(link)
    assert page.status_code == 200

    from tests.guests import csrf

    refused = browser.post(link + "/renew", data={"csrf_token": csrf(body(page)), "email": "\x00"})

    assert refused.status_code == 400
    text = logged(all_logs)
    assert "POST /m/…/renew refused (400)" in text
    assert token not in text


def test_the_development_servers_request_log_carries_no_token(
    app: Flask, all_logs: pytest.LogCaptureFixture
) -> None:
    token = "Abc_defGhijklmnopqrstuvwxyz0123456789-XYZ"
    logging.getLogger("werkzeug").info('127.0.0.1 - - "GET /m/%s HTTP/1.1" 200 -', token)
    assert '"GET /m/… HTTP/1.1" 200' in logged(all_logs)
    assert token not in logged(all_logs)
