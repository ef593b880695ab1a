"""The coordinator's form templates: the five kinds of form per programme of their college, each
save a new version, with a preview of the form as it will read.

Who opens it: the programme's placement coordinator, on a laptop, before a semester, to put the
programme's own questions on the lesson observation or the final evaluation. What makes them
give up: a long form that loses its rows on one mistake, or a change that reaches forms mentors
already gave (it does not: a form keeps its template version). Works without JavaScript: every
row button posts the whole editor and shows it again; "Preview" shows what is typed, unsaved.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from lti_app import db
from lti_app.feedback import blocks, editing, template_editing, versions
from lti_app.feedback.blueprint import bp
from lti_app.feedback.framework_views import coordinator_college, language
from lti_app.feedback.models import FeedbackTemplate, FilledBy, FormKind
from lti_app.security import Permission, requires

KIND_ORDER = list(FormKind)


@bp.route("/feedback/admin/templates")
@requires(Permission.EDIT_FRAMEWORK)
def templates() -> Any:
    s = db.session()
    # A kind a programme has none of yet gets the default as version 1, as on its first form.
    programmes = [
        (p, [versions.template_for(s, p, kind) for kind in KIND_ORDER])
        for p in editing.college_programmes(s, coordinator_college())
    ]
    s.commit()
    return render_template("feedback/templates.html", programmes=programmes, language=language())


@bp.route("/feedback/admin/templates/<int:feedback_template_id>", methods=["GET", "POST"])
@requires(Permission.EDIT_FRAMEWORK)
def edit_template(feedback_template_id: int) -> Any:
    """The newest version as an editor; an older one as its preview.

    :raise 404: no such template, or another college's.
    """
    s = db.session()
    template = _template(feedback_template_id)
    newest = versions.latest_template(s, template.programme_id, template.kind) or template
    if request.method == "GET":
        if template.id != newest.id:
            return _preview_page(template, newest)
        return _editor(newest, template_editing.template_state(newest), {})
    state = template_editing.posted_template_state(request.form)
    action = request.form.get("action", "save")
    if action not in ("save", "preview"):
        if not _apply(state, action):
            abort(400)
        return _editor(newest, state, {})
    every = editing.template_versions(s, template.programme_id, template.kind)
    framework = versions.framework_for(s, template.programme)
    saved, errors = template_editing.check_template(
        state,
        competencies={str(c["key"]) for c in framework.competencies},
        current_blocks={str(b["key"]) for b in template.blocks},
        used_blocks=editing.keys_ever_used(v.blocks for v in every),
        current_levels={str(level["key"]) for level in template.scale},
    )
    if action == "preview" or errors:
        return _editor(newest, state, errors, preview=saved or None, status=422 if errors else 200)
    if template.id != newest.id:
        return _editor(newest, state, {"": [_conflict(newest)]}, status=422)
    try:
        made = versions.save_template(
            s, template.programme, template.kind, actor=str(current_user.get_id()), **saved
        )
        s.commit()
    except IntegrityError:
        s.rollback()
        newest = versions.latest_template(s, template.programme_id, template.kind) or template
        return _editor(newest, state, {"": [_conflict(newest)]}, status=422)
    flash(
        _(
            "Saved as version %(version)d. New forms use it; forms already begun or given keep "
            "their version.",
            version=made.version,
        ),
        "ok",
    )
    return redirect(url_for(".edit_template", feedback_template_id=made.id), code=303)


@bp.route("/feedback/admin/templates/<int:feedback_template_id>/preview")
@requires(Permission.EDIT_FRAMEWORK)
def preview_template(feedback_template_id: int) -> Any:
    """A saved version as the form will read. :raise 404: none, or another college's."""
    template = _template(feedback_template_id)
    newest = versions.latest_template(db.session(), template.programme_id, template.kind)
    return _preview_page(template, newest or template)


def _template(template_id: int) -> FeedbackTemplate:
    found = editing.template_in(db.session(), template_id, coordinator_college())
    if found is None:
        abort(404)
    return found


def _apply(state: dict[str, Any], action: str) -> bool:
    name, _sep, arg = action.partition(":")
    if name == "add":
        return template_editing.add_block(state, arg)
    if name == "add_level":
        if len(state["levels"]) >= template_editing.MAX_LEVELS:
            return True
        return editing.apply_action(state["levels"], "add", template_editing.new_level())
    if name == "remove_level":
        return editing.apply_action(state["levels"], f"remove:{arg}", None)
    return editing.apply_action(state["blocks"], action, None)


def _conflict(newest: FeedbackTemplate) -> str:
    return _(
        "Someone saved version %(version)d while you were editing. What you typed is below, not "
        "saved yet: compare it with version %(version)d and save again.",
        version=newest.version,
    )


def _editor(
    template: FeedbackTemplate,
    state: dict[str, Any],
    errors: editing.Errors,
    *,
    preview: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    s = db.session()
    lang = language()
    framework = versions.framework_for(s, template.programme)
    s.commit()
    return (
        render_template(
            "feedback/template_form.html",
            template=template,
            state=state,
            errors=editing.shown(errors),
            competencies=blocks.competencies(framework.competencies, lang),
            framework=framework,
            filled_by=list(FilledBy),
            new_options=template_editing.NEW_OPTIONS,
            preview=_preview(preview, framework.competencies, lang) if preview else None,
            versions=editing.template_versions(s, template.programme_id, template.kind),
        ),
        status,
    )


def _preview(saved: dict[str, Any], competencies: list[dict[str, Any]], lang: str) -> Any:
    return {
        "title": blocks.pick(saved["title"], lang),
        "blocks": blocks.blocks(saved["blocks"], lang),
        "levels": blocks.levels(saved["scale"], lang),
        "competencies": {c.key: c for c in blocks.competencies(competencies, lang)},
    }


def _preview_page(template: FeedbackTemplate, newest: FeedbackTemplate) -> Any:
    lang = language()
    return render_template(
        "feedback/template_preview.html",
        template=template,
        newest=newest,
        preview=_preview(
            {"title": template.title, "blocks": template.blocks, "scale": template.scale},
            template.framework.competencies,
            lang,
        ),
        versions=editing.template_versions(db.session(), template.programme_id, template.kind),
    )
