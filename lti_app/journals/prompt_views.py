"""The coordinator's reflection prompts: the sets (ALACT, STARR, free) of the programme of the
course she launched from; every save a new version.

Who opens it: the programme's coordinator, on a laptop, once or twice a year, to put the
programme's own wording on the questions. What makes her give up: losing a half-hour of typing
to one empty field or to a colleague who saved meanwhile (both refused with every word kept on
the page), or not knowing whether entries already written change (they do not: an entry keeps
the version it was written with). Works without JavaScript: every button posts the whole editor.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lti_app import db
from lti_app.feedback import versions
from lti_app.journals import prompt_editing
from lti_app.journals import prompts as prompt_store
from lti_app.journals.blueprint import bp
from lti_app.journals.models import JournalPrompts
from lti_app.roster.models import Course
from lti_app.security import Permission, requires


def _programme() -> Any:
    """The programme of the course in the session (None while the course has none)."""
    course_id = session.get("course_id")
    course = db.session().get(Course, course_id) if course_id else None
    if course is None:
        abort(404)
    return versions.programme_of(db.session(), course)


def _every(programme_id: int) -> list[JournalPrompts]:
    return list(
        db.session().scalars(
            select(JournalPrompts)
            .where(JournalPrompts.programme_id == programme_id)
            .order_by(JournalPrompts.version.desc())
        )
    )


def _editor(
    programme: Any,
    current: JournalPrompts,
    rows: list[dict[str, Any]],
    errors: dict[str, Any],
    *,
    base: int,
    status: int = 200,
) -> Any:
    page = render_template(
        "journals/prompts.html",
        programme=programme,
        current=current,
        rows=rows,
        base=base,
        errors={
            k: [str(m) for m in v] if isinstance(v, list) else str(v) for k, v in errors.items()
        },
        versions=_every(programme.id),
    )
    return page, status, {"Cache-Control": "no-store"}


def _conflict(newest: JournalPrompts) -> str:
    return _(
        "Someone saved version %(version)d while you were editing. What you typed is below, not "
        "saved yet: compare it with version %(version)d and save again.",
        version=newest.version,
    )


@bp.route("/journals/prompts", methods=["GET", "POST"])
@requires(Permission.EDIT_PROMPTS)
def prompt_sets() -> Any:
    """:raise 404: a session without a course."""
    programme = _programme()
    s = db.session()
    if programme is None:
        return render_template("journals/prompts.html", programme=None), 200
    current = prompt_store.current_prompts(s, programme.id)
    s.commit()
    if request.method == "GET":
        return _editor(
            programme, current, prompt_editing.rows_of(current), {}, base=current.version
        )
    rows = prompt_editing.posted_rows(request.form)
    raw_base = request.form.get("version", "")
    if not raw_base.isdigit():
        abort(400)
    base = int(raw_base)
    action = request.form.get("action", "save")
    if action != "save":
        if not prompt_editing.apply_action(rows, action):
            abort(400)
        return _editor(programme, current, rows, {}, base=base)
    edited = next((v for v in _every(programme.id) if v.version == base), None)
    if edited is None:
        abort(400)
    saved, errors = prompt_editing.check(rows, edited, _every(programme.id))
    if not errors and base != current.version:
        errors[""] = [_conflict(current)]
    if errors:
        return _editor(programme, current, rows, errors, base=base, status=422)
    try:
        made = prompt_store.save_prompts(s, programme.id, saved, actor=str(current_user.get_id()))
        s.commit()
    except IntegrityError:
        s.rollback()
        newest = prompt_store.current_prompts(s, programme.id)
        return _editor(programme, newest, rows, {"": [_conflict(newest)]}, base=base, status=422)
    flash(
        _(
            "Saved as version %(version)d. Entries already begun keep the prompts they were "
            "written with; new entries use this version.",
            version=made.version,
        ),
        "ok",
    )
    return redirect(url_for("journals.prompt_sets"), code=303)
