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

from lti_app import db
from lti_app.core.autosave import NO_STORE, answer_json, refused, saved
from lti_app.journals import writing
from lti_app.journals.access import entry_and_reader, writer_of
from lti_app.journals.blueprint import bp
from lti_app.journals.entry_views import saved_text
from lti_app.journals.models import EntryState, JournalEntry
from lti_app.security import Permission, requires

AUTOSAVE = "journals.autosave"


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
        return refused(400, "bad request", "the body is not a JSON object")
    revision = data.get("revision")
    if not isinstance(revision, int) or isinstance(revision, bool) or revision < 0:
        return refused(400, "bad request", "revision must be a whole number")
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
        return refused(400, "bad entry", bad.reason)
    except (writing.Conflict, writing.NotDraft) as conflict:
        s.rollback()
        again = s.get(JournalEntry, entry_id)
        assert again is not None
        current_app.logger.info("autosave of entry %s refused: %s", entry_id, conflict.reason)
        body = {"error": "conflict", "reason": conflict.reason, **stored(again)}
        return body, 409, NO_STORE
    s.commit()
    return saved(found.revision, found.updated_at.isoformat(), saved_text(found))


answer_json(bp, AUTOSAVE, "no such entry")
