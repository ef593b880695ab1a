"""Autosave: the fill page's script (static/feedback-form.js) sends the whole form as JSON a
second after the author stops typing, with the revision it was based on.

Answers are JSON whatever went wrong, so the script can say it honestly: 200 saved (the new
revision and the time), 400 not answers to this form, 401 signed out (a guest session that ran
out), 403 not theirs or a page whose CSRF token died with its session, 404 no such form for
them, 409 another device saved first (the stored revision and answers, for the author to
choose) or the form was submitted meanwhile. The script keeps its copy on the device for every
answer but 200.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from lti_app import db
from lti_app.core.autosave import NO_STORE, answer_json, refused, saved
from lti_app.feedback import filling
from lti_app.feedback.blueprint import bp
from lti_app.feedback.form_views import author_of, lesson_from, saved_text
from lti_app.feedback.models import FeedbackForm
from lti_app.feedback.readers import form_and_reader
from lti_app.security import Permission, requires

AUTOSAVE = "feedback.autosave"


def _stored(form: FeedbackForm) -> dict[str, Any]:
    return {
        "revision": form.revision,
        "answers": dict(form.answers or {}),
        "lesson_date": form.lesson_date.isoformat() if form.lesson_date else "",
        "class_name": form.class_name,
        "subject": form.subject,
        "submitted": form.submitted_at is not None,
    }


@bp.route("/feedback/forms/<int:form_id>/autosave", methods=["POST"])
@requires(Permission.GIVE_FEEDBACK)
def autosave(form_id: int) -> Any:
    found, _placement, reader = form_and_reader(form_id)
    author = author_of(reader, found)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return refused(400, "bad request", "the body is not a JSON object")
    revision = data.get("revision")
    if not isinstance(revision, int) or isinstance(revision, bool) or revision < 0:
        return refused(400, "bad request", "revision must be a whole number")
    try:
        lesson = lesson_from(data)
    except ValueError as exc:
        return refused(400, "bad request", f"lesson: {exc}")
    s = db.session()
    try:
        filling.save(
            s, found, author, base_revision=revision, answers=data.get("answers"), lesson=lesson
        )
    except filling.BadAnswers as bad:
        s.rollback()
        return refused(400, "bad answers", bad.reason)
    except (filling.Conflict, filling.NotDraft) as conflict:
        s.rollback()
        stored = s.get(FeedbackForm, form_id)
        assert stored is not None
        current_app.logger.info("autosave of form %s refused: %s", form_id, conflict.reason)
        body = {"error": "conflict", "reason": conflict.reason, **_stored(stored)}
        return body, 409, NO_STORE
    s.commit()
    return saved(found.revision, found.updated_at.isoformat(), saved_text(found))


answer_json(bp, AUTOSAVE, "no such form")  # 413: attachment_views.py
