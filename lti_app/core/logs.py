"""No log line carries a secret: sign-in tokens and other tokens are cut out of every record.

A mentor's sign-in link carries its token in the path (``/m/<token>``) and a log line that
names the request path (a refusal, an unhandled error, the development server's access log)
would otherwise keep a working link in the log. Tokens in query strings
(``registration_token``, ``id_token``, ``state``, ``login_hint``…) and bearer tokens are cut
the same way. gunicorn's access log does the same for ``/m/`` (config/gunicorn.conf.py).
"""

from __future__ import annotations

import logging
import re

from flask import Flask
from flask.logging import default_handler

REDACTED = "…"
_PATTERNS = (
    # /m/<token> and /m/<token>/renew: the link of a mentor (a guest) is the secret.
    (re.compile(r"(/m/)[^/\s?#\"']+"), rf"\g<1>{REDACTED}"),
    # query parameters that carry a token, a state, a nonce, a hint or a code
    (
        re.compile(
            r"([?&;](?:[\w.-]*(?:token|state|nonce|hint|code|secret|password|invite)[\w.-]*)=)"
            r"[^&;\s\"'#]+",
            re.IGNORECASE,
        ),
        rf"\g<1>{REDACTED}",
    ),
    (re.compile(r"(Bearer\s+)[\w.~+/=-]+", re.IGNORECASE), rf"\g<1>{REDACTED}"),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactTokens(logging.Filter):
    """Rewrites a record's message (and its traceback text) with the tokens cut out."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed record: the handler reports it as such
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


FILTER = RedactTokens()


def redact_logs(app: Flask) -> None:
    """Put the filter on the app's logger (so records are clean before any handler, a test's
    included, sees them), on its handlers (which also see the records of ``lti_app.*`` module
    loggers), and on the development server's request log."""
    for target in (
        app.logger,
        *app.logger.handlers,
        default_handler,
        logging.getLogger("werkzeug"),
    ):
        if FILTER not in target.filters:
            target.addFilter(FILTER)
