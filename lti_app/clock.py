"""The app's one clock: ``now()`` (aware UTC, what is stored) and ``today()`` (the date in
Brussels, where the college, its schools and its students live).

Services, jobs and column defaults read time only here, so a test can set it: ``freeze(moment)``
stops it at a moment, ``run_from(moment)`` lets it run on from one. ``CLOCK_SHIFT_SECONDS`` (test
and development only) starts every process of an installation — app servers, workers, the CLI —
with the same shift, so they agree on what "now" is.

Timestamps exchanged with an LMS (a launch token's ``iat`` and ``exp``, the tool's own client
assertions) are not read here: they must agree with another machine's clock, not with ours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")

_shift = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """This moment, timezone-aware in UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _shift


def today() -> date:
    """Today's date in Brussels (between midnight there and midnight UTC, UTC's tomorrow)."""
    return in_brussels(now()).date()


def in_brussels(moment: datetime) -> datetime:
    """``moment`` on Brussels' wall clock."""
    return moment.astimezone(BRUSSELS)


def shift() -> timedelta:
    """How far this process's clock runs ahead of the machine's (negative: behind)."""
    return _shift


def set_shift(by: timedelta) -> None:
    """Let the clock run ``by`` ahead of the machine's (once it runs: see ``thaw``)."""
    global _shift
    _shift = by


def run_from(moment: datetime) -> None:
    """Set the clock to ``moment`` and let it run on from there."""
    set_shift(_aware(moment) - datetime.now(UTC))
    thaw()


def thaw() -> None:
    """Let a frozen clock run again, at its shift."""
    global _frozen
    _frozen = None


def freeze(moment: datetime) -> None:
    """Stop the clock at ``moment`` until it is set again."""
    global _frozen
    _frozen = _aware(moment).astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the clock takes timezone-aware moments")
    return moment
