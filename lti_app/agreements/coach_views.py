"""The coach's steps on an agreement: make it from a template, send it for signing, ask the
school's contact person to sign, cancel it, end it early or complete it, and write addenda.

Who does this: the coach (stagebegeleider), on a laptop, for ~40 students. Each step says on the
agreement's page how it went; a step the agreement does not allow now says why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_app import db
from lti_app.agreements import service, template_service, voiding
from lti_app.agreements.forms import AddendumForm, ButtonForm, ReasonForm
from lti_app.agreements.models import Agreement, AgreementDocument
from lti_app.agreements.views import (
    actor_key,
    agreement_page,
    back_to_agreement,
    bp,
    college_party,
    say_voided,
    viewer_of,
)
from lti_app.placements.models import Placement
from lti_app.placements.service import get_placement
from lti_app.security import Permission, requires


@bp.route("/placements/<int:placement_id>/agreement", methods=["POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def create(placement_id: int) -> Any:
    """The coach makes the agreement of a placement from a template."""
    placement = get_placement(db.session(), placement_id)
    if placement is None or placement.course_id != session.get("course_id"):
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    s = db.session()
    for attempt in (1, 2):
        # A double click (or two coaches at once) makes one agreement: the database keeps one
        # live agreement per placement, and one version 1 of the default template.
        try:
            programme = placement.course.programme
            if programme is None:
                flash(_("Say first which programme this course is part of."), "error")
                return redirect(url_for("programmes.course_programme"), 303)
            template = template_service.template_for(s, programme)
            agreement = service.create_agreement(s, placement, template, actor_key())
            s.commit()
            break
        except IntegrityError:
            s.rollback()
            if attempt == 2:
                raise
        except service.AgreementError as exc:
            s.rollback()
            flash(str(exc.message), "error")
            return redirect(url_for("placements.placement", placement_id=placement.id), 303)
    flash(_("The agreement is ready as a draft. Check it, then send it for signing."), "ok")
    return back_to_agreement(agreement)


@bp.route("/agreements/<int:agreement_id>/send", methods=["POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def send(agreement_id: int) -> Any:
    agreement, _placement = college_party(agreement_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    return _apply(
        agreement,
        lambda s: service.send_for_signing(s, agreement, actor_key()),
        _l(
            "Sent for signing. Whoever's turn it is sees it on their page and gets a reminder "
            "each morning until they sign."
        ),
    )


def _apply(agreement: Agreement, step: Callable[[Session], object], done: Any) -> Any:
    """Run one step of the agreement's life in this request's transaction, then say how it
    went on the agreement's page (a step the agreement does not allow now says why)."""
    s = db.session()
    try:
        step(s)
        s.commit()
    except service.AgreementError as exc:
        s.rollback()
        flash(str(exc.message), "error")
    else:
        flash(str(done), "ok")
    return back_to_agreement(agreement)


@bp.route("/agreements/<int:agreement_id>/ask-school-contact", methods=["POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def ask_school_contact(agreement_id: int) -> Any:
    """Mail the school's contact person a sign-in link, to sign for the school as a guest."""
    from lti_app.agreements.guests import ask_contact_to_sign

    agreement, placement = college_party(agreement_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    return _apply(
        agreement,
        lambda s: ask_contact_to_sign(s, agreement, placement, current_user._get_current_object()),
        _l(
            "%(name)s gets a mail with a personal link to read and sign for the school.",
            name=placement.school.contact_name or placement.school.contact_email,
        ),
    )


def _with_reason(agreement_id: int, action: Any, done: Any) -> Any:
    agreement, placement = college_party(agreement_id)
    viewer = viewer_of(placement, agreement)
    assert viewer is not None
    form = ReasonForm()
    if not form.validate_on_submit():
        return agreement_page(agreement, placement, viewer, reason_form=form, status=422)
    return _apply(agreement, lambda s: action(s, agreement, form.reason.data, actor_key()), done)


@bp.route("/agreements/<int:agreement_id>/cancel", methods=["POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def cancel(agreement_id: int) -> Any:
    return _with_reason(
        agreement_id,
        service.cancel,
        _l("The agreement is cancelled. You can make a new one for this placement."),
    )


@bp.route("/agreements/<int:agreement_id>/end", methods=["POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def end_early(agreement_id: int) -> Any:
    return _with_reason(agreement_id, service.end_early, _l("The agreement has ended early."))


@bp.route("/agreements/<int:agreement_id>/complete", methods=["POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def complete(agreement_id: int) -> Any:
    agreement, _placement = college_party(agreement_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    return _apply(
        agreement,
        lambda s: service.complete(s, agreement, actor_key()),
        _l("The agreement is completed."),
    )


# -- addenda ----------------------------------------------------------------------------------


@bp.route("/agreements/<int:agreement_id>/addenda/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def new_addendum(agreement_id: int) -> Any:
    agreement, placement = college_party(agreement_id)
    form = AddendumForm()
    if form.validate_on_submit():
        s = db.session()
        try:
            document = service.add_addendum(
                s, agreement, form.title.data, form.body.data, actor_key()
            )
            s.commit()
        except service.AgreementError as exc:
            s.rollback()
            form.form_errors.append(str(exc.message))
        else:
            flash(_("The addendum is out for signing, in the same order as the agreement."), "ok")
            return back_to_agreement(agreement, f"document-{document.number}")
    return _addendum_form(form, agreement, placement, None)


@bp.route("/agreements/documents/<int:document_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def edit_addendum(document_id: int) -> Any:
    s = db.session()
    document = service.get_document(s, document_id)
    if document is None:
        abort(404)
    agreement, placement = college_party(document.agreement_id)
    form = (
        AddendumForm()
        if request.method == "POST"
        else AddendumForm(data={"title": document.title, "body": document.body})
    )
    if form.validate_on_submit():
        try:
            voided = service.update_addendum(
                s, document, form.title.data, form.body.data, actor_key(), current_user.display_name
            )
            s.commit()
        except service.AgreementError as exc:
            s.rollback()
            form.form_errors.append(str(exc.message))
        else:
            flash(_("Saved."), "ok")
            say_voided(voided)
            return back_to_agreement(agreement, f"document-{document.number}")
    return _addendum_form(form, agreement, placement, document)


def _addendum_form(
    form: AddendumForm,
    agreement: Agreement,
    placement: Placement,
    document: AgreementDocument | None,
) -> Any:
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "agreements/addendum_form.html",
            form=form,
            agreement=agreement,
            placement=placement,
            document=document,
            void_warning=voiding.for_document(document) if document else None,
            guest_layout=False,
        ),
        status,
    )
