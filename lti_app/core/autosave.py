"""What an autosave endpoint answers, shared by the feedback form and the journal entry.

The page's script must say honestly what happened to the typing it sent, so an autosave
endpoint answers JSON whatever went wrong: 401 signed out (the session ran out), 403 a page whose
CSRF token died with an earlier session (the script fetches the page again for a live token),
404 nothing of yours, and its own 400/409. Every other page of the blueprint keeps the app's
error pages (500s and an unreachable database stay the app's handlers' alone).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from lti_app.errors import STATUS_TEXT, render_error

NO_STORE = {"Cache-Control": "no-store"}


def refused(status: int, error: str, reason: str) -> Any:
    """A refusal the script can read: a short ``error`` it switches on, a ``reason`` for the log."""
    return {"error": error, "reason": reason}, status, NO_STORE


def saved(revision: int, saved_at: str, saved_at_text: str) -> Any:
    """What a successful save answers: the new revision, when, and that moment as shown."""
    return (
        {"revision": revision, "saved_at": saved_at, "saved_at_text": saved_at_text},
        200,
        NO_STORE,
    )


def answer_json(bp: Blueprint, endpoint: str, missing: str) -> None:
    """Make ``endpoint`` (the blueprint's autosave) answer JSON for a dead CSRF token and for
    400/401/403/404/405; ``missing`` is its 404's error ("no such form")."""

    def dead_token(exc: CSRFError) -> Any:
        signed_in = bool(current_user.is_authenticated)
        if request.endpoint == endpoint:
            if signed_in:
                return refused(403, "csrf", "the page's token is from an earlier session")
            return refused(401, "signed out", "nobody is signed in")
        status = 400 if signed_in else 401
        title, advice = STATUS_TEXT[status]
        return render_error(status, title, None, advice, "csrf")

    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        if request.endpoint == endpoint:
            reasons = {401: "signed out", 403: "not yours", 404: missing}
            return refused(status, reasons.get(status, "refused"), str(exc.name))
        title, advice = STATUS_TEXT.get(status, STATUS_TEXT[400])
        return render_error(status, title, None, advice, str(exc.name))

    bp.register_error_handler(CSRFError, dead_token)
    for code in (400, 401, 403, 404, 405):
        bp.register_error_handler(code, http_error)
