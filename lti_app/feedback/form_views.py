"""A feedback form's page: the fill page for its author while it is a draft, read-only once
submitted (for everyone of the placement, readers.py); starting, saving, submitting, correcting.

Who comes here, and what makes them give up:
- a mentor, on a phone, in the ten minutes after a lesson, often from the link in a mail: they
  came to tick levels and type two strengths and two growth points. A lost paragraph (a dropped
  connection in the school's corridor, a sign-in that ran out) and they never write at length
  again; a form too wide for the screen and they do it on paper. So every change is saved as
  they type (static/feedback-form.js: autosave, kept on the device while it cannot be sent), the
  page says honestly whether it is saved, and without script the buttons still save.
- a coach on a laptop writing a visit report: the same page, the same guarantees.
- the student and the coach read the submitted form (and every version of a corrected one).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from lti_app import db
from lti_app.core.formats import format_moment
from lti_app.errors import DriehoekError
from lti_app.feedback import filling
from lti_app.feedback.blueprint import bp
from lti_app.feedback.filling import Author, Lesson
from lti_app.feedback.models import FeedbackForm, FeedbackRequest, FormKind, FormState
from lti_app.feedback.readers import Reader, form_and_reader, placement_and_reader
from lti_app.feedback.reading import FormView, form_view
from lti_app.placements.models import Placement
from lti_app.security import Permission, requires


class RequestClosedError(DriehoekError):
    status = 409

    def __init__(self, request_state: str) -> None:
        message = (
            _("The student withdrew this request: there is nothing to fill in for it any more.")
            if request_state == "withdrawn"
            else _("This request was answered already.")
        )
        super().__init__(f"request is {request_state}", message, _("Go back to your students."))


def language() -> str:
    return str(get_locale() or "nl")


def author_of(reader: Reader, form: FeedbackForm | None = None) -> Author:
    """The reader as an author (of ``form``).

    :raise 403: a student, or someone else's form.
    """
    if reader.kind not in ("mentor", "coach"):
        abort(403)
    author = Author(reader.key, mentor_id=reader.mentor_id, person_id=reader.person_id)
    if form is not None and not author.wrote(form):
        abort(403)
    return author


def saved_text(form: FeedbackForm) -> str:
    return format_moment(form.updated_at, "HH:mm")


# -- the page -----------------------------------------------------------------------------------


@bp.route("/feedback/forms/<int:form_id>")
@requires(Permission.READ_FEEDBACK)
def form(form_id: int) -> Any:
    found, placement, reader = form_and_reader(form_id)
    view = form_view(db.session(), found, language())
    if found.state == FormState.DRAFT:  # form_and_reader shows a draft to its author only
        return render_fill(view, placement, reader)
    return render_read(view, placement, reader)


def render_read(
    view: FormView,
    placement: Placement,
    reader: Reader,
    *,
    problems: list[tuple[str, str]] | None = None,
    reason: str = "",
    status: int = 200,
) -> Any:
    found = view.form
    mine = reader.wrote(found)
    correcting = None
    if mine and found.superseded_at is None:
        correcting = db.session().scalar(
            select(FeedbackForm.id).where(
                FeedbackForm.series_id == found.series_id, FeedbackForm.state == FormState.DRAFT
            )
        )
    page = render_template(
        "feedback/form.html",
        view=view,
        placement=placement,
        reader=reader,
        guest_layout=reader.guest,
        editing=False,
        may_correct=mine and found.superseded_at is None,
        correcting=correcting,
        problems=problems or [],
        reason=reason,
    )
    return page, status


def render_fill(
    view: FormView,
    placement: Placement,
    reader: Reader,
    *,
    answers: dict[str, Any] | None = None,
    lesson: Lesson | None = None,
    problems: list[tuple[str, str]] | None = None,
    missing: list[str] | None = None,
    conflict: FeedbackForm | None = None,
    status: int = 200,
) -> Any:
    found = view.form
    page = render_template(
        "feedback/form.html",
        view=view,
        placement=placement,
        reader=reader,
        guest_layout=reader.guest,
        editing=True,
        answers=answers if answers is not None else view.answers,
        lesson=lesson or Lesson(found.lesson_date, found.class_name, found.subject),
        with_lesson=found.template.kind in filling.LESSON_KINDS,
        problems=problems or [],
        missing=set(missing or []),
        conflict=conflict,
        saved_at=saved_text(found) if found.revision else "",
        previous=[v for v in view.versions if v.id != found.id],
    )
    # What someone typed, shown back to them: kept in no cache.
    return page, status, {"Cache-Control": "no-store"}


# -- starting a form ----------------------------------------------------------------------------


@bp.route("/feedback/placements/<int:placement_id>/forms", methods=["POST"])
@requires(Permission.GIVE_FEEDBACK)
def new_form(placement_id: int) -> Any:
    """A mentor (or, for a visit report, the coach) starts a form, for a request or unasked; a
    second tap reopens the draft the first made."""
    placement, reader = placement_and_reader(placement_id)
    author = author_of(reader)
    s = db.session()
    asked: FeedbackRequest | None = None
    raw_request = request.form.get("request_id", "").strip()
    if raw_request:
        if not raw_request.isdigit():
            abort(404)
        asked = s.get(FeedbackRequest, int(raw_request))
        if (
            asked is None
            or asked.placement_id != placement.id
            or author.mentor_id is None
            or asked.mentor_id != author.mentor_id
        ):
            abort(404)
        kind = asked.kind
    else:
        try:
            kind = FormKind(request.form.get("kind", ""))
        except ValueError:
            abort(400)
    try:
        made = filling.start(s, placement, author, kind, asked)
    except filling.NotAllowed:
        s.rollback()
        abort(403)
    except filling.RequestClosed as closed:
        s.rollback()
        raise RequestClosedError(str(closed.request.state)) from closed
    s.commit()
    return redirect(url_for("feedback.form", form_id=made.id), code=303)


# -- saving without script ----------------------------------------------------------------------


def answers_from(
    template_blocks: list[dict[str, Any]], fields: MultiDict[str, str]
) -> dict[str, Any]:
    """The fill page's fields as answers: ``a-<key>``, ``a-<key>:comment``, checklists repeated."""
    answers: dict[str, Any] = {}
    for block in template_blocks:
        key, kind = str(block["key"]), block.get("type")
        if kind == "checklist":
            answers[key] = fields.getlist(f"a-{key}")
        elif kind in ("scale", "text"):
            answers[key] = fields.get(f"a-{key}", "")
            if kind == "scale":
                answers[f"{key}:comment"] = fields.get(f"a-{key}:comment", "")
    return answers


def lesson_from(values: Any) -> Lesson:
    """:raise ValueError: a date that is not YYYY-MM-DD, a type that is not text, too long."""
    raw_date = values.get("lesson_date") or ""
    class_name = values.get("class_name") or ""
    subject = values.get("subject") or ""
    if not all(isinstance(v, str) for v in (raw_date, class_name, subject)):
        raise ValueError("lesson fields are text")
    if len(class_name) > 100 or len(subject) > 200:
        raise ValueError("class or subject too long")
    return Lesson(date.fromisoformat(raw_date) if raw_date else None, class_name, subject)


def _problems_for(view: FormView, missing: list[str]) -> list[tuple[str, str]]:
    labels = {b.key: b for b in view.blocks}
    problems = []
    for key in missing:
        block = labels.get(key)
        anchor = f"a-{key}" if block is not None and block.type == "text" else f"b-{key}"
        name = block.label if block is not None else key
        problems.append((anchor, _("“%(item)s” is required.", item=name)))
    return problems


@bp.route("/feedback/forms/<int:form_id>", methods=["POST"])
@requires(Permission.GIVE_FEEDBACK)
def save(form_id: int) -> Any:
    """The fill page's buttons: "save" keeps the draft, "submit" saves and submits it."""
    found, placement, reader = form_and_reader(form_id)
    author = author_of(reader, found)
    if found.state != FormState.DRAFT:
        flash(_("This form was submitted already; it changes only through a correction."))
        return redirect(url_for("feedback.form", form_id=found.id), code=303)
    action = request.form.get("action", "save")
    raw_revision = request.form.get("revision", "")
    if action not in ("save", "submit") or not raw_revision.isdigit():
        abort(400)
    s = db.session()
    view = form_view(s, found, language())
    answers = answers_from(found.template.blocks, request.form)
    try:
        lesson = lesson_from(request.form)
    except ValueError:
        problem = ("lesson_date", _("The lesson's date is not a date: write it as 2025-03-14."))
        return render_fill(view, placement, reader, answers=answers, problems=[problem], status=422)
    try:
        filling.save(
            s, found, author, base_revision=int(raw_revision), answers=answers, lesson=lesson
        )
    except filling.BadAnswers:
        s.rollback()
        abort(400)
    except filling.Conflict as conflict:
        s.rollback()
        stored = s.get(FeedbackForm, conflict.form.id)
        problem = (
            "",
            _(
                "This form was saved from another device meanwhile. Nothing was saved from this "
                "page yet, and nothing you typed is lost: it is below, with the other version "
                "under it. Save again to keep what is on this page."
            ),
        )
        return render_fill(
            form_view(s, stored, language()) if stored else view,
            placement,
            reader,
            answers=answers,
            lesson=lesson,
            problems=[problem],
            conflict=stored,
            status=409,
        )
    if action == "submit":
        try:
            filling.submit(s, found, author)
        except filling.Incomplete as incomplete:
            s.commit()  # what was typed is saved; only the submitting waits
            view = form_view(s, found, language())
            return render_fill(
                view,
                placement,
                reader,
                problems=_problems_for(view, incomplete.missing),
                missing=incomplete.missing,
                status=422,
            )
        s.commit()
        flash(_("Submitted. The student can read it now and is told."))
        return redirect(url_for("feedback.form", form_id=found.id), code=303)
    s.commit()
    flash(_("Saved at %(time)s.", time=saved_text(found)))
    return redirect(url_for("feedback.form", form_id=found.id), code=303)


# -- corrections --------------------------------------------------------------------------------


@bp.route("/feedback/forms/<int:form_id>/correct", methods=["POST"])
@requires(Permission.GIVE_FEEDBACK)
def correct(form_id: int) -> Any:
    """Its author corrects a submitted form: a new draft version, the submitted one stays."""
    found, placement, reader = form_and_reader(form_id)
    author = author_of(reader, found)
    s = db.session()
    reason = request.form.get("reason", "")
    try:
        draft = filling.correct(s, found, author, reason)
    except filling.NotCurrent:
        s.rollback()
        flash(_("Only the latest submitted version of a form can be corrected."), "error")
        return redirect(url_for("feedback.form", form_id=found.id), code=303)
    except filling.BadAnswers:
        s.rollback()
        problem = ("reason", _("Say why you correct the form (at most 1000 characters)."))
        view = form_view(s, found, language())
        return render_read(view, placement, reader, problems=[problem], reason=reason, status=422)
    s.commit()
    return redirect(url_for("feedback.form", form_id=draft.id), code=303)
