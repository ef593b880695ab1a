"""Autosave: the editor's script (static/journal-entry.js) sends the whole entry as JSON a second
after the student stops typing, with the revision it was based on.

Answers are JSON whatever went wrong, so the script can say it honestly: 200 saved (the new
revision and the time), 400 not an entry of this prompt set, 401 signed out (the session ran
out: "sign in again through your course"), 403 a page whose CSRF token died with its session,
404 no such entry for her, 409 another tab or device saved first, or the entry was submitted
meanwhile (the stored revision and text, for her to choose; never merged). The script keeps
its copy on the device for every answer but 200.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from lti_app import db
from lti_app.errors import STATUS_TEXT, render_error
from lti_app.journals import writing
from lti_app.journals.access import entry_and_reader, writer_of
from lti_app.journals.blueprint import bp
from lti_app.journals.entry_views import saved_text
from lti_app.journals.models import EntryState, JournalEntry
from lti_app.security import Permission, requires

AUTOSAVE = "journals.autosave"


def _refused(status: int, error: str, reason: str) -> Any:
    return {"error": error, "reason": reason}, status, {"Cache-Control": "no-store"}


def stored(entry: JournalEntry) -> dict[str, Any]:
    """The entry as the editor's fields hold it (answers as plain text)."""
    return {
        "revision": entry.revision,
        "title": entry.title,
        "answers": writing.texts_of(entry),
        "competencies": list(entry.competencies or []),
        "is_final": bool(entry.is_final),
        "submitted": entry.state == EntryState.SUBMITTED,
    }


@bp.route("/journals/entries/<int:entry_id>/autosave", methods=["POST"])
@requires(Permission.WRITE_JOURNAL)
def autosave(entry_id: int) -> Any:
    found, _placement, reader = entry_and_reader(entry_id)
    writer_of(reader, found)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _refused(400, "bad request", "the body is not a JSON object")
    revision = data.get("revision")
    if not isinstance(revision, int) or isinstance(revision, bool) or revision < 0:
        return _refused(400, "bad request", "revision must be a whole number")
    s = db.session()
    try:
        writing.save(
            s,
            found,
            base_revision=revision,
            title=data.get("title", ""),
            answers=data.get("answers", {}),
            competencies=data.get("competencies", []),
            is_final=data.get("is_final"),
        )
    except writing.BadEntry as bad:
        s.rollback()
        return _refused(400, "bad entry", bad.reason)
    except (writing.Conflict, writing.NotDraft) as refused:
        s.rollback()
        again = s.get(JournalEntry, entry_id)
        assert again is not None
        current_app.logger.info("autosave of entry %s refused: %s", entry_id, refused.reason)
        body = {"error": "conflict", "reason": refused.reason, **stored(again)}
        return body, 409, {"Cache-Control": "no-store"}
    s.commit()
    return (
        {
            "revision": found.revision,
            "saved_at": found.updated_at.isoformat(),
            "saved_at_text": saved_text(found),
        },
        200,
        {"Cache-Control": "no-store"},
    )


@bp.errorhandler(CSRFError)
def _dead_token(exc: CSRFError) -> Any:
    """A POST whose page's token died: signed out (401), or a page from an earlier session
    (autosave: 403 JSON, and the script fetches the page again for a live token)."""
    signed_in = bool(current_user.is_authenticated)
    if request.endpoint == AUTOSAVE:
        if signed_in:
            return _refused(403, "csrf", "the page's token is from an earlier session")
        return _refused(401, "signed out", "nobody is signed in")
    status = 400 if signed_in else 401
    title, advice = STATUS_TEXT[status]
    return render_error(status, title, None, advice, "csrf")


def _http_error(exc: HTTPException) -> Any:
    """Autosave answers JSON whatever the browser asked for; other journal pages as everywhere."""
    status = exc.code or 500
    if request.endpoint == AUTOSAVE:
        reasons = {401: "signed out", 403: "not yours", 404: "no such entry"}
        return _refused(status, reasons.get(status, "refused"), str(exc.name))
    title, advice = STATUS_TEXT.get(status, STATUS_TEXT[400])
    return render_error(status, title, None, advice, str(exc.name))


for _code in (400, 401, 403, 404, 405):
    bp.register_error_handler(_code, _http_error)
