"""The app's one clock (lti_app/clock.py): today is Brussels' date, tests can set the clock, and
every process of a run starts with the same shift."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from lti_app import clock
from lti_app.config import SettingsError, load_settings
from lti_app.db import utcnow
from tests.conftest import clock_start
from tests.servers import ROOT, child_env


@pytest.mark.parametrize(
    ("moment", "today"),
    [
        ("2027-01-14T22:59:59+00:00", date(2027, 1, 14)),  # 23:59:59 in Brussels (UTC+1)
        ("2027-01-14T23:00:00+00:00", date(2027, 1, 15)),  # midnight in Brussels
        ("2027-01-14T23:30:00+00:00", date(2027, 1, 15)),  # UTC is still on the 14th
        ("2027-07-14T21:59:59+00:00", date(2027, 7, 14)),  # summer: UTC+2
        ("2027-07-14T22:00:00+00:00", date(2027, 7, 15)),
    ],
)
def test_today_is_the_date_in_brussels(set_clock: Any, moment: str, today: date) -> None:
    set_clock(datetime.fromisoformat(moment))
    assert clock.today() == today


def test_a_frozen_clock_stands_still_and_is_what_the_database_stores(set_clock: Any) -> None:
    moment = set_clock(datetime(2027, 2, 1, 9, 0, tzinfo=UTC))
    assert clock.now() == moment == utcnow()
    assert clock.now() == moment  # still


def test_a_clock_set_running_runs_on_from_its_moment(set_clock: Any) -> None:
    start = set_clock(datetime(2027, 2, 1, 9, 0, tzinfo=UTC), running=True)
    first = clock.now()
    later = clock.now()
    assert start <= first <= later < start + timedelta(minutes=5)


def test_the_clock_takes_only_moments_with_a_zone(set_clock: Any) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        set_clock(datetime(2027, 2, 1, 9, 0))


def test_a_shifted_clock_is_refused_in_production(tmp_path: Any) -> None:
    environ = {
        "DRIEHOEK_ENV": "production",
        "SECRET_KEY": "x" * 40,
        "BASE_URL": "https://driehoek.example",
        "CLOCK_SHIFT_SECONDS": "3600",
    }
    with pytest.raises(SettingsError, match="CLOCK_SHIFT_SECONDS"):
        load_settings(environ, instance_path=tmp_path)
    environ["CLOCK_SHIFT_SECONDS"] = "0"
    assert load_settings(environ, instance_path=tmp_path).CLOCK_SHIFT_SECONDS == 0


def test_another_process_started_with_the_shift_agrees_on_now(tmp_path: Any) -> None:
    shift = int((datetime(2027, 1, 14, 23, 30, tzinfo=UTC) - datetime.now(UTC)).total_seconds())
    script = (
        "from lti_app import clock, create_app; "
        f"create_app({{'DATABASE_URL': 'sqlite:///{tmp_path}/x.db', "
        f"'INSTANCE_PATH': '{tmp_path}'}}); "
        "print(clock.now().isoformat()); print(clock.today().isoformat())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=child_env({"DRIEHOEK_ENV": "test", "CLOCK_SHIFT_SECONDS": str(shift)}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    now, today = done.stdout.split()
    their_now = datetime.fromisoformat(now)
    assert abs(their_now - datetime(2027, 1, 14, 23, 30, tzinfo=UTC)) < timedelta(minutes=2)
    assert today == "2027-01-15"


@pytest.mark.parametrize(
    ("wall", "start"),
    [
        ("2026-12-07T16:00:00+00:00", "2026-12-07T23:30:00+00:00"),
        ("2026-12-07T23:45:00+00:00", "2026-12-08T23:30:00+00:00"),
        ("2027-02-28T23:31:00+00:00", "2027-12-01T23:30:00+00:00"),
        ("2027-06-10T08:00:00+00:00", "2027-12-01T23:30:00+00:00"),
    ],
)
def test_the_winter_night_of_a_test_run_is_the_next_one_still_to_come(
    wall: str, start: str
) -> None:
    assert clock_start("winter-night", datetime.fromisoformat(wall)) == datetime.fromisoformat(
        start
    )
