"""Logs say what happened, and never carry tokens, states or nonces."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from tests.launching import FlaskBrowser, login
from tests.lms import Person, TestLMS


@pytest.fixture
def all_logs(app: Flask, caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    app.logger.propagate = True
    caplog.set_level(logging.DEBUG)
    return caplog


def test_a_launch_is_logged_without_its_token(
    browser: FlaskBrowser, lms: TestLMS, student: Person, all_logs: pytest.LogCaptureFixture
) -> None:
    auth = login(browser, lms, student)
    form = lms.authorize(auth, student)
    page = browser.post(form["launch_url"], {"id_token": form["id_token"], "state": form["state"]})
    assert page.status == 303
    text = "\n".join(r.getMessage() for r in all_logs.records)
    assert "launch ok" in text
    for secret in (form["id_token"], form["state"], auth["nonce"]):
        assert secret not in text


def test_a_refused_launch_logs_its_reason_without_the_token(
    browser: FlaskBrowser, lms: TestLMS, student: Person, all_logs: pytest.LogCaptureFixture
) -> None:
    auth = login(browser, lms, student)
    form = lms.authorize(auth, student)
    browser.post(form["launch_url"], {"id_token": form["id_token"], "state": form["state"]})
    all_logs.clear()
    replay = browser.post(
        form["launch_url"], {"id_token": form["id_token"], "state": form["state"]}
    )
    assert replay.status == 400
    text = "\n".join(r.getMessage() for r in all_logs.records)
    assert "replayed" in text
    assert form["id_token"] not in text and auth["nonce"] not in text
