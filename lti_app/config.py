"""Settings: one declarative list read from the environment, checked once at start-up.

A bad value stops the app with a message that names the setting, so nothing half-configured
ever serves a request.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENVIRONMENTS = ("development", "test", "production")


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true/false, got {value!r}")


def _int(value: str) -> int:
    return int(value.strip())


def _hour(value: str) -> int:
    hour = int(value.strip())
    if not 0 <= hour <= 23:
        raise ValueError(f"expected an hour from 0 to 23, got {value!r}")
    return hour


def _url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"expected an http(s) URL, got {value!r}")
    return value.strip().rstrip("/")


def _str(value: str) -> str:
    return value


def _hosts(value: str) -> tuple[str, ...]:
    """A comma-separated list of host names or addresses, compared lowercase, without brackets."""
    return tuple(h.strip().strip("[]").rstrip(".").lower() for h in value.split(",") if h.strip())


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[str], Any]
    default: Any = None
    help: str = ""


SETTINGS: tuple[Setting, ...] = (
    Setting("DRIEHOEK_ENV", _str, "development", "development, test or production"),
    Setting("SECRET_KEY", _str, None, "signs sessions; required in production"),
    Setting("DATABASE_URL", _str, None, "SQLAlchemy URL; default SQLite in instance/"),
    Setting("BASE_URL", _url, "http://localhost:5000", "public URL of the tool"),
    Setting("MAIL_URL", _str, None, "smtp://user:pass@host:port; default: .eml files"),
    Setting("MAIL_FROM", _str, "Driehoek <driehoek@localhost>", "sender address"),
    Setting("REDIS_URL", _str, None, "shared cache, rate limits and launch state"),
    Setting("TRUST_PROXY", _int, 0, "number of proxies whose X-Forwarded-* to trust"),
    Setting("SANDBOX_URL", _url, None, "public URL of the sandbox LMS (default: BASE_URL)"),
    Setting("KEY_GRACE_DAYS", _int, 7, "days a rotated key stays published"),
    Setting("LAUNCH_LEEWAY_SECONDS", _int, 60, "clock skew allowed on exp and iat"),
    Setting("LAUNCH_STATE_TTL_SECONDS", _int, 600, "how long a login may wait for its launch"),
    Setting("SESSION_HOURS", _int, 8, "how long a launched session lasts"),
    Setting("DYNAMIC_REGISTRATION", _bool, True, "allow LTI Dynamic Registration"),
    Setting(
        "REGISTRATION_INVITE_HOURS", _int, 72, "hours an operator's registration URL stays valid"
    ),
    Setting("HTTP_TIMEOUT_SECONDS", _int, 10, "timeout for calls to the LMS"),
    Setting(
        "OUTBOUND_PRIVATE_HOSTS",
        _hosts,
        None,
        "hosts Driehoek may fetch from although they resolve to private addresses",
    ),
    # A lecture hall behind one NAT address may open Driehoek at once: keep this generous.
    Setting("LAUNCH_RATE_LIMIT", _str, "600/minute", "launches and logins per client address"),
    Setting("INVITATION_VALID_DAYS", _int, 14, "days a mentor's sign-in link stays valid"),
    Setting("MENTOR_SESSION_DAYS", _int, 30, "days a mentor stays signed in on a device"),
    Setting("ROSTER_SYNC_MINUTES", _int, 60, "least time between automatic roster syncs"),
    Setting("COLLEGE_NAME", _str, "", "the college's name, for the default agreement template"),
    Setting(
        "AGREEMENT_DIGEST_HOUR",
        _hour,
        8,
        "hour (Europe/Brussels) of the daily digest of what still waits for each person",
    ),
    Setting(
        "NOTICE_BUNDLE_MINUTES",
        _int,
        5,
        "minutes a notice waits for others to the same person before one mail tells them all",
    ),
    Setting(
        "AGREEMENT_STALE_DAYS",
        _int,
        7,
        "days an agreement may wait for a signature before the coach's pipeline lists it first",
    ),
    Setting(
        "FEEDBACK_QUIET_WEEKS",
        _int,
        3,
        "weeks without mentor feedback before the coach's pipeline flags a student",
    ),
    Setting(
        "ATTACHMENT_MAX_MB", _int, 10, "largest attachment (a lesson plan, a photo) in megabytes"
    ),
    Setting("LOG_LEVEL", _str, "INFO", "logging level"),
    # Tests and demonstrations only: every process of one run starts with the same shift.
    Setting(
        "CLOCK_SHIFT_SECONDS", _int, 0, "run the app's clock this far ahead (not in production)"
    ),
)


@dataclass(frozen=True)
class Settings:
    values: Mapping[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def is_production(self) -> bool:
        return bool(self.values["DRIEHOEK_ENV"] == "production")

    @property
    def https(self) -> bool:
        return str(self.values["BASE_URL"]).startswith("https://")


def load_settings(
    environ: Mapping[str, str] | None = None,
    instance_path: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Read every setting, fail on the first bad one, and fill development defaults.

    :raise SettingsError: a value does not parse, or production lacks ``SECRET_KEY``.
    """
    environ = os.environ if environ is None else environ
    overrides = overrides or {}
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.name in overrides:
            values[setting.name] = overrides[setting.name]
            continue
        raw = environ.get(setting.name)
        if raw is None or raw == "":
            values[setting.name] = setting.default
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            raise SettingsError(f"{setting.name}: {exc} ({setting.help})") from exc

    if values["DRIEHOEK_ENV"] not in ENVIRONMENTS:
        raise SettingsError(f"DRIEHOEK_ENV must be one of {', '.join(ENVIRONMENTS)}")
    instance = instance_path or Path("instance").resolve()
    if values["SECRET_KEY"] is None:
        if values["DRIEHOEK_ENV"] == "production":
            raise SettingsError(
                "SECRET_KEY is required in production: set it to a long random string "
                "shared by every app server (python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        values["SECRET_KEY"] = _development_secret(instance)
    elif len(values["SECRET_KEY"]) < 32 and values["DRIEHOEK_ENV"] == "production":
        raise SettingsError("SECRET_KEY must be at least 32 characters in production.")
    if values["DATABASE_URL"] is None:
        instance.mkdir(parents=True, exist_ok=True)
        values["DATABASE_URL"] = f"sqlite:///{instance / 'driehoek.sqlite3'}"
    values["DATABASE_URL"] = _normalise_database_url(values["DATABASE_URL"])
    if values["SANDBOX_URL"] is None:
        values["SANDBOX_URL"] = values["BASE_URL"]
    values["OUTBOUND_PRIVATE_HOSTS"] = _private_hosts(values)
    if values["DRIEHOEK_ENV"] == "production" and values["CLOCK_SHIFT_SECONDS"]:
        raise SettingsError("CLOCK_SHIFT_SECONDS is for tests and demonstrations, not production.")
    if values["DRIEHOEK_ENV"] == "production" and not str(values["BASE_URL"]).startswith("https"):
        raise SettingsError(
            "BASE_URL must be https in production: LMS iframes need secure cookies."
        )
    return Settings(values)


def _private_hosts(values: Mapping[str, Any]) -> tuple[str, ...]:
    """Named hosts win; by default none in production, and elsewhere this machine and the
    sandbox LMS (which exists only outside production), so development works out of the box."""
    given = values["OUTBOUND_PRIVATE_HOSTS"]
    if isinstance(given, str):
        return _hosts(given)
    if given is not None:
        return tuple(given)
    if values["DRIEHOEK_ENV"] == "production":
        return ()
    sandbox = urlsplit(str(values["SANDBOX_URL"])).hostname
    return ("localhost", "127.0.0.1", "::1", *([sandbox] if sandbox else []))


def _normalise_database_url(url: str) -> str:
    # psycopg 3 is the driver we ship; plain postgres URLs from hosting panels should just work.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _development_secret(instance: Path) -> str:
    """A per-checkout secret kept in instance/, so development sessions survive restarts."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
