"""One way to write dates and durations on pages and in mails: "8 februari 2027" and
"8 February 2027"; "3 u 50 min" and "3 h 50 min".

Flask-Babel formats with the interface language, and plain "en" is American ("February 8,
2027", "2/8/27"). People here read day before month, so formatting (not translation) uses the
Belgian and British variants of the chosen language. The signed agreement texts and PDFs keep
their own formatting (lti_app/agreements/text.py, pdf.py): they are made once and never change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from babel import dates
from flask import Flask
from flask_babel import get_locale, to_user_timezone
from flask_babel import gettext as _

# Interface language → the locale whose date conventions we write in.
FORMAT_LOCALES = {"nl": "nl_BE", "en": "en_GB"}

LONG_DATE = "d MMMM yyyy"
LONG_DATETIME = "d MMMM yyyy, HH:mm"


def format_locale() -> str:
    language = str(get_locale() or "nl").split("_")[0]
    return FORMAT_LOCALES.get(language, "nl_BE")


def format_day(value: date | datetime | None, format: str = "medium") -> str:
    """A day in the reader's language, day before month; a moment counts in Brussels time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()
    return str(dates.format_date(value, format, locale=format_locale()))


def format_moment(value: datetime | None, format: str = "medium") -> str:
    """A moment in Brussels time in the reader's language, day before month."""
    if value is None:
        return ""
    return str(dates.format_datetime(to_user_timezone(value), format, locale=format_locale()))


def duration(minutes: int | None) -> str:
    """90 → "1 h 30 min" ("1 u 30 min" in Dutch): how people say a lesson's or a day's length,
    and the one way hours are written everywhere (the pipeline, the hours log, the portal)."""
    hours, rest = divmod(int(minutes or 0), 60)
    if hours and rest:
        return _("%(hours)d h %(minutes)d min", hours=hours, minutes=rest)
    if hours:
        return _("%(hours)d h", hours=hours)
    return _("%(minutes)d min", minutes=rest)


def duration_writer() -> Callable[[int | None], str]:
    """``duration`` for a page that writes many (the pipeline: hundreds): its three patterns
    translated once, in the reader's language of this request, rather than once a value."""
    both = _("%(hours)d h %(minutes)d min")
    whole = _("%(hours)d h")
    part = _("%(minutes)d min")

    def write(minutes: int | None) -> str:
        hours, rest = divmod(int(minutes or 0), 60)
        if hours and rest:
            return both % {"hours": hours, "minutes": rest}
        if hours:
            return whole % {"hours": hours}
        return part % {"minutes": rest}

    return write


def long_date(value: date | datetime | None) -> str:
    """8 February 2027 → "8 februari 2027" (nl) or "8 February 2027" (en)."""
    return format_day(value, LONG_DATE)


def long_datetime(value: datetime | None) -> str:
    """ "8 februari 2027, 14:05": a moment written out, for history lines and sign-ins."""
    return format_moment(value, LONG_DATETIME)


def register(app: Flask) -> None:
    """Replace Flask-Babel's date filters (call after babel.init_app, which installs them)."""
    filters: dict[str, Any] = {
        "dateformat": format_day,
        "datetimeformat": format_moment,
        "long_date": long_date,
        "long_datetime": long_datetime,
        "duration": duration,
    }
    app.jinja_env.filters.update(filters)
