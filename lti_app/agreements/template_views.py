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
from lti_app.security import Permission, requires

bp = Blueprint("agreement_templates", __name__)


@bp.route("/agreement-templates")
@requires(Permission.EDIT_TEMPLATES)
def index() -> Any:
    s = db.session()
    templates = template_service.latest_templates(s)
    return render_template("agreements/templates.html", templates=templates)


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
        "college_name": current_app.config.get("COLLEGE_NAME") or "",
    }
    for section in default_sections(language):
        defaults[f"title_{section['key']}"] = section["title"]
        defaults[f"clauses_{section['key']}"] = "\n".join(section["clauses"])
    form = _form(defaults)
    if form.validate_on_submit():
        s = db.session()
        if template_service.template_versions(s, " ".join(form.programme.data.split())):
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
    template = s.get(AgreementTemplate, template_id)
    if template is None:
        abort(404)
    form = _form(template_data(template))
    form.programme.data = template.programme  # the programme is the template's name: fixed
    if form.validate_on_submit():
        return _save(form, template.language)
    return _render(form, template)


def _save(form: TemplateForm, language: str) -> Any:
    s = db.session()
    try:
        template = template_service.save_template(
            s,
            programme=form.programme.data,
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
        template_service.template_versions(db.session(), template.programme) if template else []
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
