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
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from lti_app import db
from lti_app.errors import STATUS_TEXT, render_error
from lti_app.feedback import filling
from lti_app.feedback.blueprint import bp
from lti_app.feedback.form_views import author_of, lesson_from, saved_text
from lti_app.feedback.models import FeedbackForm
from lti_app.feedback.readers import form_and_reader
from lti_app.security import Permission, requires

AUTOSAVE = "feedback.autosave"


def _refused(status: int, error: str, reason: str) -> Any:
    return {"error": error, "reason": reason}, status, {"Cache-Control": "no-store"}


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
        return _refused(400, "bad request", "the body is not a JSON object")
    revision = data.get("revision")
    if not isinstance(revision, int) or isinstance(revision, bool) or revision < 0:
        return _refused(400, "bad request", "revision must be a whole number")
    try:
        lesson = lesson_from(data)
    except ValueError as exc:
        return _refused(400, "bad request", f"lesson: {exc}")
    s = db.session()
    try:
        filling.save(
            s, found, author, base_revision=revision, answers=data.get("answers"), lesson=lesson
        )
    except filling.BadAnswers as bad:
        s.rollback()
        return _refused(400, "bad answers", bad.reason)
    except (filling.Conflict, filling.NotDraft) as refused:
        s.rollback()
        stored = s.get(FeedbackForm, form_id)
        assert stored is not None
        current_app.logger.info("autosave of form %s refused: %s", form_id, refused.reason)
        body = {"error": "conflict", "reason": refused.reason, **_stored(stored)}
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
    """Autosave answers JSON whatever the browser asked for; other pages as everywhere (500s
    and an unreachable database are the app's handlers' alone)."""
    status = exc.code or 500
    if request.endpoint == AUTOSAVE:
        reasons = {401: "signed out", 403: "not yours", 404: "no such form"}
        return _refused(status, reasons.get(status, "refused"), str(exc.name))
    title, advice = STATUS_TEXT.get(status, STATUS_TEXT[400])
    return render_error(status, title, None, advice, str(exc.name))


for _code in (400, 401, 403, 404, 405):  # 413: attachment_views.py
    bp.register_error_handler(_code, _http_error)
