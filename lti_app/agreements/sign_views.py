"""Signing an agreement's text, and the signed text's PDF: any party, each on their own turn.

A signature that fails (the box not ticked, the text changed while it was read) comes back on
the agreement's page with the problem said at the top, where the focus goes, and at the box.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from lti_app import db
from lti_app.agreements import service, signing
from lti_app.agreements.forms import SignForm
from lti_app.agreements.models import DocumentState
from lti_app.agreements.views import (
    SignProblem,
    _agreement_for,
    actor_key,
    agreement_page,
    back_to_agreement,
    bp,
    viewer_of,
)
from lti_app.placements.service import get_placement
from lti_app.security import Permission, requires


@bp.route("/agreements/documents/<int:document_id>/sign", methods=["POST"])
@requires(Permission.SIGN_AGREEMENT)
def sign(document_id: int) -> Any:
    """Any party signs here. Someone who is no party to the agreement gets the same answer as
    for a document that does not exist, so the answer tells nobody which documents exist.

    :raise 404: no such document, or not a party to its agreement.
    """
    s = db.session()
    document = service.get_document(s, document_id)
    if document is None:
        abort(404)
    placement = get_placement(s, document.agreement.placement_id)
    viewer = viewer_of(placement, document.agreement) if placement else None
    if viewer is None or placement is None:
        current_app.logger.info("agreement %s: %s is no party", document.agreement_id, actor_key())
        abort(404)
    form = SignForm()
    agreement = document.agreement
    if not form.validate_on_submit():
        unticked = bool(form.agree.errors)
        problem = SignProblem(
            document.id,
            str(form.agree.errors[0]) if unticked else _("Nothing was signed. Try again."),
            f"agree-{document.id}" if unticked else f"document-{document.number}",
        )
        return agreement_page(
            agreement, placement, viewer, sign_form=form, sign_problem=problem, status=422
        )
    try:
        signing.sign(s, document, viewer.signer, form.sha256.data.strip())
        s.commit()
    except signing.AlreadySigned as exc:
        s.rollback()
        flash(str(exc.message), "ok")
        return back_to_agreement(agreement, f"document-{document.number}")
    except signing.TextChanged as exc:
        # The page shows the new text with its own hash: read it, then sign that.
        s.rollback()
        s.refresh(document)
        problem = SignProblem(document.id, str(exc.message), f"document-{document.number}")
        return agreement_page(agreement, placement, viewer, sign_problem=problem, status=409)
    except service.AgreementError as exc:
        s.rollback()
        flash(str(exc.message), "error")
        return back_to_agreement(agreement, f"document-{document.number}")
    except IntegrityError:  # the same party signed in another tab at this very moment
        s.rollback()
        flash(_("This text was already signed for your party."), "ok")
        return back_to_agreement(agreement, f"document-{document.number}")
    s.refresh(document)
    if document.state == DocumentState.SIGNED:
        flash(_("Signed. Everyone has signed: the text is final and its PDF is ready."), "ok")
    else:
        flash(_("Signed. The others are told when it is their turn."), "ok")
    return back_to_agreement(agreement, f"document-{document.number}")


@bp.route("/agreements/documents/<int:document_id>.pdf")
@requires(Permission.VIEW_AGREEMENT)
def pdf(document_id: int) -> Any:
    """The stored PDF of a signed text, for its parties.

    :raise 404: no such document, not signed yet, or not a party.
    """
    s = db.session()
    document = service.get_document(s, document_id)
    if document is None:
        abort(404)
    _agreement_for(document.agreement_id)
    if document.state != DocumentState.SIGNED or document.pdf is None:
        abort(404)
    from lti_app.agreements.pdf import attachment, download_name

    return Response(
        document.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": attachment(download_name(document)),
            "Cache-Control": "private, no-store",
        },
    )
