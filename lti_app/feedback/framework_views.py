"""The coordinator's competency frameworks: per programme of their college, every save a version.

Who opens it: the programme's placement coordinator, on a laptop, a few times a year, to put the
college's own words (and what each level looks like) on the basiscompetenties. What makes them
give up: losing a half-hour of typing to one empty field, or not knowing whether forms already
given changed with it (they do not: a form keeps its template's framework version).
Works without JavaScript: every row button posts the whole editor and shows it again.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from lti_app import db
from lti_app.feedback import blocks, editing, versions
from lti_app.feedback.blueprint import bp
from lti_app.feedback.defaults import DEFAULT_SCALE
from lti_app.feedback.models import CompetencyFramework
from lti_app.security import Permission, current_college_id, requires


def coordinator_college() -> int:
    """The coordinator's college: the only one whose frameworks and templates they see.

    :raise 403: a session without a college.
    """
    college_id = current_college_id()
    if college_id is None:
        abort(403)
    return college_id


def language() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "nl")


@bp.route("/feedback/admin/frameworks")
@requires(Permission.EDIT_FRAMEWORK)
def frameworks() -> Any:
    s = db.session()
    # A programme that has none yet gets the defaults as version 1, as on its first form.
    rows = [
        (p, versions.framework_for(s, p))
        for p in editing.college_programmes(s, coordinator_college())
    ]
    s.commit()
    return render_template("feedback/frameworks.html", rows=rows)


@bp.route("/feedback/admin/frameworks/<int:framework_id>", methods=["GET", "POST"])
@requires(Permission.EDIT_FRAMEWORK)
def edit_framework(framework_id: int) -> Any:
    """The newest version as an editor; an older one read-only.

    :raise 404: no such framework, or another college's.
    """
    s = db.session()
    framework = editing.framework_in(s, framework_id, coordinator_college())
    if framework is None:
        abort(404)
    newest = versions.latest_framework(s, framework.programme_id) or framework
    if request.method == "GET":
        if framework.id != newest.id:
            return _read_only(framework, newest)
        return _editor(newest, editing.framework_rows(newest.competencies), {})
    rows = editing.posted_framework_rows(request.form)
    action = request.form.get("action", "save")
    if action != "save":
        if not editing.apply_action(rows, action, editing.new_competency()):
            abort(400)
        return _editor(newest, rows, {})
    every = editing.framework_versions(s, framework.programme_id)
    saved, errors = editing.check_framework(
        rows,
        current={str(c["key"]) for c in framework.competencies},
        used=editing.keys_ever_used(v.competencies for v in every),
    )
    if not errors and framework.id != newest.id:
        errors[""] = [_conflict(newest)]
    if errors:
        return _editor(newest, rows, errors, status=422)
    try:
        made = versions.save_framework(
            s, framework.programme, saved, actor=str(current_user.get_id())
        )
        s.commit()
    except IntegrityError:
        s.rollback()
        newest = versions.latest_framework(s, framework.programme_id) or framework
        return _editor(newest, rows, {"": [_conflict(newest)]}, status=422)
    flash(
        _(
            "Saved as version %(version)d. Forms already given keep the framework they were "
            "given with; form templates take this version when they are next saved.",
            version=made.version,
        ),
        "ok",
    )
    return redirect(url_for(".edit_framework", framework_id=made.id), code=303)


def _conflict(newest: CompetencyFramework) -> str:
    return _(
        "Someone saved version %(version)d while you were editing. What you typed is below, not "
        "saved yet: compare it with version %(version)d and save again.",
        version=newest.version,
    )


def _editor(
    framework: CompetencyFramework,
    rows: list[dict[str, Any]],
    errors: editing.Errors,
    status: int = 200,
) -> Any:
    lang = language()
    return (
        render_template(
            "feedback/framework_form.html",
            framework=framework,
            rows=rows,
            errors=editing.shown(errors),
            levels=blocks.levels(DEFAULT_SCALE, lang),
            versions=editing.framework_versions(db.session(), framework.programme_id),
        ),
        status,
    )


def _read_only(framework: CompetencyFramework, newest: CompetencyFramework) -> Any:
    lang = language()
    return render_template(
        "feedback/framework_version.html",
        framework=framework,
        newest=newest,
        competencies=blocks.competencies(framework.competencies, lang),
        levels=blocks.levels(DEFAULT_SCALE, lang),
        versions=editing.framework_versions(db.session(), framework.programme_id),
    )
