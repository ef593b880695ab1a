"""How long a failed job waits before its next try (lti_app/jobs/service.py ``retry_delay``).

What an operator relies on: a first retry comes quickly (about 10 s), each later one waits about
twice as long, no job ever waits more than an hour, and jobs that failed together come back
spread out rather than all at once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from lti_app.jobs.service import error_text, retry_delay

LOWEST, HIGHEST = (lambda: 0.0), (lambda: 1.0)


def test_first_retry_comes_after_five_to_ten_seconds() -> None:
    assert retry_delay(1, rand=LOWEST) == timedelta(seconds=5)
    assert retry_delay(1, rand=HIGHEST) == timedelta(seconds=10)


@pytest.mark.parametrize("attempts", range(1, 8))
def test_each_retry_waits_twice_as_long_as_the_one_before(attempts: int) -> None:
    for rand in (LOWEST, HIGHEST):
        assert retry_delay(attempts + 1, rand=rand) == 2 * retry_delay(attempts, rand=rand)


def test_the_eighth_attempt_waits_between_a_quarter_and_half_an_hour() -> None:
    assert retry_delay(8, rand=LOWEST) == timedelta(seconds=640)
    assert retry_delay(8, rand=HIGHEST) == timedelta(seconds=1280)


@pytest.mark.parametrize("attempts", [10, 11, 50, 10_000])
def test_no_job_waits_more_than_an_hour(attempts: int) -> None:
    assert retry_delay(attempts, rand=HIGHEST) == timedelta(hours=1)
    assert retry_delay(attempts, rand=LOWEST) == timedelta(minutes=30)


def test_jobs_that_failed_together_come_back_spread_out() -> None:
    delays = [retry_delay(3) for _ in range(200)]
    assert all(timedelta(seconds=20) <= d <= timedelta(seconds=40) for d in delays)
    assert len(set(delays)) > 150
    assert max(delays) - min(delays) > timedelta(seconds=15)


def test_error_text_hides_passwords_in_urls_and_settings() -> None:
    text = error_text(
        ConnectionError(
            "smtp://mailer:s3cr%40t@mail.example:587 refused; password=hunter2 token=abc"
        )
    )
    assert "s3cr" not in text
    assert "hunter2" not in text
    assert "abc" not in text
    assert text.startswith("ConnectionError: smtp://***@mail.example:587 refused")


def test_error_text_is_one_short_line() -> None:
    text = error_text(RuntimeError("first line\nsecond line " + "x" * 2000))
    assert text == "RuntimeError: first line"
    assert len(error_text(RuntimeError("y" * 2000))) == 500
