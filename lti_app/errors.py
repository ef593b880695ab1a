"""Typed errors and the one place that turns them (and HTTP errors) into pages.

Every failure a person can meet ends on a page that says what happened and what to do next;
JSON callers get ``{"error": …, "reason": …}``. Nothing shows a stack trace.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from lti_app import db


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
}


def render_error(status: int, title: Any, message: Any, advice: Any, reason: str) -> Any:
    if _wants_json():
        return {"error": str(title), "reason": reason}, status
    return (
        render_template(
            "errors/error.html", status=status, title=title, message=message, advice=advice
        ),
        status,
    )


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
        return render_error(exc.status, exc.title, exc.message, exc.advice, exc.reason)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        title, advice = STATUS_TEXT.get(status, STATUS_TEXT[400])
        return render_error(status, title, None, advice, exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        db.session().rollback()
        current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
        title, advice = STATUS_TEXT[500]
        return render_error(500, title, None, advice, "internal error")
