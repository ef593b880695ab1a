"""What a platform's HTTP answer says beyond its body: how long to wait, where the next page is.

``Retry-After`` (RFC 9110 §10.2.3): AGS platforms answer 429 (too many requests) or 503 with
it; the grade worker waits that long before its next try rather than its own backoff.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

# However long a platform asks for, the next try comes within the hour (and a coach sees when).
MAX_RETRY_AFTER_SECONDS = 3600.0


def retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait: delta-seconds or an HTTP-date, capped; None when absent or unreadable.

    ``now`` is the machine's wall clock by default: an HTTP-date is the platform's clock.
    """
    if not value or not (text := value.strip()):
        return None
    if text.isdigit():
        seconds = float(int(text))
    else:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, min(seconds, MAX_RETRY_AFTER_SECONDS))


def same_origin(a: str, b: str) -> bool:
    """Both URLs on one scheme, host and port: a bearer token may go from one to the other."""
    x, y = urlsplit(a), urlsplit(b)
    return (x.scheme.lower(), x.netloc.lower()) == (y.scheme.lower(), y.netloc.lower())
