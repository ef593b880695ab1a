"""Typed errors and the one place that turns them (and HTTP errors) into pages.

Every failure a person can meet ends on a page that says what happened and what to do next;
JSON callers get ``{"error": …, "reason": …}``. Nothing shows a stack trace.
"""

from __future__ import annotations

import contextlib
from typing import Any

import psycopg
from flask import Flask, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from lti_app import db

# The database cannot be reached (down, refusing connections, a connection lost mid-request, a
# pool with no connection to give, an SQLite file that cannot be opened): the service is
# unavailable (503), not broken (500). SQLAlchemy wraps psycopg's errors; the raw ones come
# from code that talks to a psycopg connection directly.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
RETRY_AFTER_SECONDS = 120


class DriehoekError(Exception):
    """An error with a page of its own: a status, a title, and a way forward."""

    status = 400
    title: Any = _l("Something went wrong")
    advice: Any = _l("Open Driehoek again from your course.")

    def __init__(self, reason: str, message: Any = None, advice: Any = None):
        super().__init__(reason)
        self.reason = reason  # for the log; never contains a token
        self.message = message
        if advice is not None:
            self.advice = advice


class LaunchError(DriehoekError):
    """A launch from the LMS that we refuse. Nothing about it is written to the database."""

    title = _l("Driehoek could not be opened")


class LaunchForbidden(LaunchError):
    status = 403


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


STATUS_TEXT = {
    400: (_l("This request could not be handled"), _l("Go back and try again.")),
    401: (
        _l("You are not signed in"),
        _l("Open Driehoek from your course in the learning platform, or use your invitation link."),
    ),
    403: (_l("You may not open this page"), _l("If you think you should, ask your coach.")),
    404: (
        _l("This page does not exist"),
        _l("Check the address, or start again from your course."),
    ),
    405: (_l("This request could not be handled"), _l("Go back and try again.")),
    413: (
        _l("What was sent is too large"),
        _l(
            "Open Driehoek again from your course; if it keeps happening, tell your LMS administrator."
        ),
    ),
    429: (_l("Too many attempts"), _l("Wait a minute and try again.")),
    500: (
        _l("Something went wrong on our side"),
        _l("Nothing you entered was lost. Try again in a moment."),
    ),
    503: (_l("Driehoek cannot reach its database right now"), _l("Try again in a few minutes.")),
}


def render_error(
    status: int,
    title: Any,
    message: Any,
    advice: Any,
    reason: str,
    details: list[Any] | None = None,
) -> Any:
    if _wants_json():
        return {"error": str(title), "reason": reason}, status
    page = render_template(
        "errors/error.html",
        status=status,
        title=title,
        message=message,
        advice=advice,
        details=details or [],
    )
    if details:  # what someone typed, shown back to them: kept in no cache
        return page, status, {"Cache-Control": "no-store"}
    return page, status


def database_unavailable(exc: BaseException) -> Any:
    """The 503 page (or JSON), rendered without touching the database again."""
    from lti_app.extensions import login_manager

    with contextlib.suppress(*DATABASE_UNAVAILABLE):
        db.session().rollback()
    # The page's header shows who is signed in; loading them needs the database, so this
    # response is rendered as for nobody.
    g._login_user = login_manager.anonymous_user()
    # The driver's own words (not SQLAlchemy's, which append the statement and its parameters).
    cause = str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""]
    current_app.logger.error(
        "database unavailable on %s %s: %s: %s",
        request.method,
        request.path,
        type(exc).__name__,
        cause[0][:300],
    )
    title, advice = STATUS_TEXT[503]
    body, status = render_error(503, title, None, advice, "database unavailable")
    return body, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(DriehoekError)
    def _driehoek_error(exc: DriehoekError) -> Any:
        db.session().rollback()
        current_app.logger.warning(
            "%s %s refused (%s): %s", request.method, request.path, exc.status, exc.reason
        )
        extra = getattr(exc, "extra", None)
        if extra is not None:
            g.error_extra = extra
        details = getattr(exc, "details", None)
        return render_error(exc.status, exc.title, exc.message, exc.advice, exc.reason, details)

    for unavailable in DATABASE_UNAVAILABLE:
        app.register_error_handler(unavailable, database_unavailable)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        # An error handler that itself failed on the database ends here as a 500 about it.
        if isinstance(getattr(exc, "original_exception", None), DATABASE_UNAVAILABLE):
            return database_unavailable(exc.original_exception)  # type: ignore[attr-defined]
        status = exc.code or 500
        title, advice = STATUS_TEXT.get(status, STATUS_TEXT[400])
        return render_error(status, title, None, advice, exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        db.session().rollback()
        current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
        title, advice = STATUS_TEXT[500]
        return render_error(500, title, None, advice, "internal error")
