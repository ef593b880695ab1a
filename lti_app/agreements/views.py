"""Agreement pages, one page per agreement for all three parties, each seeing what their part
needs: the text, who signed, and their own button.

Who opens them: the student (often on a phone) reads, fills in the schedule and goals and
signs; the mentor or the school's contact person (a guest, from a mail, on a phone) reads and
signs; the coach (laptop, forty students) makes the agreement, sends it for signing, signs for
the college, and later adds addenda or ends it. A form that fails keeps what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lti_app import db
from lti_app.agreements import parties, service, voiding
from lti_app.agreements.document import read as read_document
from lti_app.agreements.forms import (
    ButtonForm,
    CreateForm,
    FieldsForm,
    ReasonForm,
    SignForm,
)
from lti_app.agreements.models import (
    Agreement,
    AgreementState,
    DocumentState,
    Party,
)
from lti_app.agreements.parties import Signer
from lti_app.agreements.text import FIELD_LABELS, PARTY_LABELS, order_text
from lti_app.placements.models import Placement, PlacementState
from lti_app.placements.service import get_placement
from lti_app.roster.models import Person, Role
from lti_app.schools.models import Mentor
from lti_app.security import Permission, requires

bp = Blueprint("agreements", __name__)

STATE_LABELS = {
    "none": _l("no agreement yet"),
    AgreementState.DRAFT.value: _l("draft"),
    AgreementState.AWAITING_SIGNATURES.value: _l("awaiting signatures"),
    AgreementState.ACTIVE.value: _l("active"),
    AgreementState.COMPLETED.value: _l("completed"),
    AgreementState.ENDED_EARLY.value: _l("ended early"),
    AgreementState.CANCELLED.value: _l("cancelled"),
}
DOCUMENT_STATE_LABELS = {
    DocumentState.DRAFT.value: _l("draft"),
    DocumentState.SIGNING.value: _l("being signed"),
    DocumentState.SIGNED.value: _l("signed"),
    DocumentState.WITHDRAWN.value: _l("withdrawn"),
}


ACTION_LABELS = {
    "created": _l("made from the template"),
    "fields_changed": _l("filled in"),
    "sent_for_signing": _l("sent for signing"),
    "signed": _l("signed"),
    "signatures_voided": _l("text changed: signatures voided"),
    "document_signed": _l("signed by everyone"),
    "addendum_added": _l("addendum added"),
    "school_contact_asked": _l("contact person asked to sign"),
    AgreementState.CANCELLED.value: _l("cancelled"),
    AgreementState.ENDED_EARLY.value: _l("ended early"),
    AgreementState.COMPLETED.value: _l("completed"),
}


@bp.app_template_global()
def agreement_action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


@bp.app_template_global()
def agreement_state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


@bp.app_template_global()
def party_label(party: str) -> str:
    return str(PARTY_LABELS.get(party, party))


@bp.app_template_global()
def latest_agreement(placement_id: int) -> Agreement | None:
    """For a placement's page: its newest agreement (a cancelled one may be followed by another)."""
    found = service.agreements_of(db.session(), placement_id)
    return found[0] if found else None


@bp.app_template_global()
def agreement_states(placement_ids: list[int]) -> dict[int, dict[str, Any]]:
    """For a list of placements (the mentor's students): each one's newest agreement state."""
    return service.latest_states(db.session(), list(placement_ids))


@bp.app_template_global()
def agreement_create_form() -> CreateForm:
    """The coach's "make the agreement" form: the agreement takes the template of the course's
    programme, so there is nothing to choose."""
    form = CreateForm()
    form.template_id.choices = []
    return form


@bp.context_processor
def _labels() -> dict[str, Any]:
    from lti_app.agreements.pdf import role_label

    return {
        "document_state_labels": DOCUMENT_STATE_LABELS,
        "field_labels": FIELD_LABELS,
        "role_label": role_label,
        "order_text": order_text,
    }


@bp.after_request
def _private(response: Any) -> Any:
    # Agreement pages hold names, addresses and a placement's details: not cached, not indexed,
    # and their address never leaks to another site as a Referer.
    return private(response)


def private(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@dataclass(frozen=True)
class SignProblem:
    """Why a signature was not recorded, for the page that says so."""

    document_id: int
    message: str
    anchor: str  # what the message is about: the box ("agree-<id>") or the text ("document-<n>")

    @property
    def field(self) -> bool:
        """The box was not ticked: the message belongs to it."""
        return self.anchor.startswith("agree-")


@dataclass(frozen=True)
class Viewer:
    """Who looks at an agreement, and as which party (None: may not see it)."""

    signer: Signer
    guest: bool  # a school guest (mentor or contact person), on the mentor layout

    @property
    def party(self) -> Party:
        return self.signer.party

    @property
    def college(self) -> bool:
        return self.signer.party == Party.COLLEGE

    @property
    def may_edit_fields(self) -> bool:
        return self.signer.party in (Party.STUDENT, Party.COLLEGE)


def viewer_of(placement: Placement, agreement: Agreement | None = None) -> Viewer | None:
    user = current_user._get_current_object()
    if isinstance(user, Mentor):
        if placement.state != PlacementState.APPROVED:
            return None
        signer = parties.school_signer(user, placement, agreement)
        return Viewer(signer, guest=True) if signer else None
    if not isinstance(user, Person) or session.get("course_id") != placement.course_id:
        return None
    role = session.get("role")
    signer = parties.person_signer(user, placement, Role(role) if role else None)
    return Viewer(signer, guest=False) if signer else None


def _agreement_for(agreement_id: int) -> tuple[Agreement, Placement, Viewer]:
    """:raise 404: no such agreement, or the signed-in person is no party to it."""
    agreement = service.get_agreement(db.session(), agreement_id)
    placement = get_placement(db.session(), agreement.placement_id) if agreement else None
    viewer = viewer_of(placement, agreement) if placement and agreement else None
    if agreement is None or placement is None or viewer is None:
        abort(404)
    return agreement, placement, viewer


def college_party(agreement_id: int) -> tuple[Agreement, Placement]:
    """:raise 403: a party, but not the college (only a coach makes these changes)."""
    agreement, placement, viewer = _agreement_for(agreement_id)
    if not viewer.college:
        abort(403)
    return agreement, placement


def actor_key() -> str:
    return str(current_user.get_id())


def back_to_agreement(agreement: Agreement, anchor: str = "") -> Any:
    target = url_for(".agreement", agreement_id=agreement.id)
    return redirect(target + (f"#{anchor}" if anchor else ""), code=303)


def say_voided(voided: list[Any]) -> None:
    if voided:
        names = ", ".join(s.signer_name for s in voided)
        flash(
            _(
                "The text changed, so the signatures of %(names)s no longer count. They have been "
                "told and must sign again.",
                names=names,
            ),
            "error",
        )


# -- the agreement page -----------------------------------------------------------------------


@bp.route("/agreements/<int:agreement_id>")
@requires(Permission.VIEW_AGREEMENT)
def agreement(agreement_id: int) -> Any:
    agreement, placement, viewer = _agreement_for(agreement_id)
    return agreement_page(agreement, placement, viewer)


def agreement_page(
    agreement: Agreement,
    placement: Placement,
    viewer: Viewer,
    *,
    sign_form: SignForm | None = None,
    reason_form: ReasonForm | None = None,
    sign_problem: SignProblem | None = None,
    status: int = 200,
) -> Any:
    """``sign_problem``: a signature that failed, said at the top of the page (focus goes there)
    and at the sign form of its document."""
    documents = []
    language = agreement.template.language
    for document in agreement.documents:
        due = parties.due_parties(document, agreement.signing_order)
        documents.append(
            {
                "document": document,
                "valid": [s for s in document.signatures if s.voided_at is None],
                "voided": [s for s in document.signatures if s.voided_at is not None],
                "due": sorted(p.value for p in due),
                "mine_due": viewer.party in due,
                "mine_signed": viewer.party in parties.signed_parties(document),
                "body": read_document(document.text, language),
                "problem": sign_problem
                if sign_problem and sign_problem.document_id == document.id
                else None,
            }
        )
    contact = (placement.school.contact_email or "").strip()
    return (
        render_template(
            "agreements/agreement.html",
            agreement=agreement,
            placement=placement,
            viewer=viewer,
            documents=documents,
            sign_form=sign_form or SignForm(),
            sign_problem=sign_problem,
            reason_form=reason_form or ReasonForm(),
            button=ButtonForm(),
            school_contact=contact,
            history=service.history(db.session(), agreement.id),
            guest_layout=viewer.guest,
        ),
        status,
    )


@bp.route("/agreements/<int:agreement_id>/fields", methods=["GET", "POST"])
@requires(Permission.VIEW_AGREEMENT)
def edit_fields(agreement_id: int) -> Any:
    """The student or the coach fills in the schedule, goals and other arrangements."""
    agreement, placement, viewer = _agreement_for(agreement_id)
    if not viewer.may_edit_fields:
        abort(403)
    if agreement.state not in service.OPEN_STATES:
        flash(_("This agreement is signed; a change now needs an addendum."), "error")
        return back_to_agreement(agreement)
    document = service.main_document(agreement)
    form = (
        FieldsForm()
        if request.method == "POST"
        else FieldsForm(data={**(agreement.fields or {}), "revision": document.revision})
    )
    if form.validate_on_submit():
        s = db.session()
        try:
            voided = service.update_fields(
                s,
                agreement,
                form.values(),
                actor_key(),
                current_user.display_name,
                seen_revision=form.revision.data,
            )
            s.commit()
        except service.ChangedMeanwhile as exc:
            # What they typed stays in the form; the page shows the current text beside it.
            s.rollback()
            form.form_errors.append(str(exc.message))
            form.revision.data = service.main_document(agreement).revision
            return _fields_page(form, agreement, placement, 409)
        except service.AgreementError as exc:
            s.rollback()
            flash(str(exc.message), "error")
            return back_to_agreement(agreement)
        flash(_("Saved."), "ok")
        say_voided(voided)
        return back_to_agreement(agreement)
    return _fields_page(form, agreement, placement, 422 if request.method == "POST" else 200)


def _fields_page(form: FieldsForm, agreement: Agreement, placement: Placement, status: int) -> Any:
    document = service.main_document(agreement)
    return (
        render_template(
            "agreements/fields.html",
            form=form,
            agreement=agreement,
            document=document,
            placement=placement,
            void_warning=voiding.for_fields(agreement),
            guest_layout=False,
        ),
        status,
    )


# The coach's steps (make, send, cancel, end, complete, addenda) and signing (with the signed
# PDF) are views of this blueprint too.
from lti_app.agreements import coach_views, sign_views  # noqa: E402, F401
