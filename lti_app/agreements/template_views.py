"""The coordinator's agreement templates: one per programme, every save a new version.

Who opens it: the programme's placement coordinator, on a laptop, a few times a year. Agreements
already made keep the version they came from; new ones take the newest.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from lti_app import db
from lti_app.agreements import template_service
from lti_app.agreements.defaults import SECTION_TITLES, default_sections
from lti_app.agreements.forms import TemplateForm, order_choices, template_data
from lti_app.agreements.models import AgreementTemplate
from lti_app.colleges.models import College, Programme
from lti_app.colleges.service import programme_named, programmes
from lti_app.security import Permission, current_college_id, requires

bp = Blueprint("agreement_templates", __name__)


@bp.route("/agreement-templates")
@requires(Permission.EDIT_TEMPLATES)
def index() -> Any:
    s = db.session()
    templates = template_service.latest_templates(s, _college())
    return render_template("agreements/templates.html", templates=templates)


def _college() -> int:
    """The coordinator's college: the only one whose templates they see and change."""
    college_id = current_college_id()
    if college_id is None:
        abort(403)
    return college_id


def _form(data: dict[str, Any] | None = None) -> TemplateForm:
    form = TemplateForm() if request.method == "POST" else TemplateForm(data=data)
    form.signing_order.choices = order_choices()
    return form


@bp.route("/agreement-templates/new", methods=["GET", "POST"])
@requires(Permission.EDIT_TEMPLATES)
def new() -> Any:
    """A new programme's template, starting from the default text in the chosen language."""
    language = request.args.get("language", "nl")
    language = language if language in ("nl", "en") else "nl"
    defaults = {
        "programme": "",
        "language": language,
        "college_name": _college_name(),
    }
    for section in default_sections(language):
        defaults[f"title_{section['key']}"] = section["title"]
        defaults[f"clauses_{section['key']}"] = "\n".join(section["clauses"])
    form = _form(defaults)
    if form.validate_on_submit():
        s = db.session()
        existing = _existing_programme(form.programme.data)
        if existing is not None and template_service.template_versions(s, existing.id):
            form.programme.errors = [
                *form.programme.errors,
                _("That programme has a template already: change that one."),
            ]
        else:
            return _save(form, form.language.data)
    return _render(form, None)


@bp.route("/agreement-templates/<int:template_id>/edit", methods=["GET", "POST"])
@requires(Permission.EDIT_TEMPLATES)
def edit(template_id: int) -> Any:
    s = db.session()
    template = template_service.get_template(s, template_id, _college())
    if template is None:
        abort(404)  # none, or another college's
    form = _form(template_data(template))
    form.programme.data = template.programme.name  # the programme is the template's name: fixed
    if form.validate_on_submit():
        return _save(form, template.language)
    return _render(form, template)


def _college_name() -> str:
    college = db.session().get(College, _college())
    return college.name if college else str(current_app.config.get("COLLEGE_NAME") or "")


def _existing_programme(name: str) -> Programme | None:
    wanted = " ".join((name or "").split()).lower()
    return next((p for p in programmes(db.session(), _college()) if p.name.lower() == wanted), None)


def _save(form: TemplateForm, language: str) -> Any:
    s = db.session()
    try:
        programme = programme_named(s, _college(), form.programme.data)
        template = template_service.save_template(
            s,
            programme=programme,
            language=language,
            college_name=form.college_name.data or "",
            sections=form.sections(),
            signing_order=form.signing_order.data,
            actor=str(current_user.get_id()),
        )
        s.commit()
    except IntegrityError:
        s.rollback()
        form.form_errors.append(_("Someone saved this template at the same moment. Save again."))
        return _render(form, None)
    flash(
        _(
            "Saved as version %(version)d. New agreements use it; agreements made earlier keep "
            "their version.",
            version=template.version,
        ),
        "ok",
    )
    return redirect(url_for(".edit", template_id=template.id), code=303)


def _render(form: TemplateForm, template: AgreementTemplate | None) -> Any:
    versions = (
        template_service.template_versions(db.session(), template.programme_id) if template else []
    )
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "agreements/template_form.html",
            form=form,
            template=template,
            versions=versions,
            section_keys=list(SECTION_TITLES),
        ),
        status,
    )
