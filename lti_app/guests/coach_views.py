"""The coach's buttons for a placement's mentors: invite, send the link again, withdraw an
unused link, and sign a mentor out everywhere. Routes of the mentors blueprint (views.py).

Who uses it: the coach, on a laptop, on the placement's page, who wants to know the mentor got
in — and to shut a mentor's sign-ins when a phone was lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, current_app, redirect, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from lti_app import db
from lti_app.core.input import one_line
from lti_app.guests import invitations as service
from lti_app.guests import sessions
from lti_app.guests.views import ButtonForm, bp, check_address, notify
from lti_app.placements.models import Placement
from lti_app.roster.models import Person
from lti_app.schools.models import Mentor
from lti_app.security import Permission, requires


class InviteForm(FlaskForm):
    email = StringField(
        _l("E-mail address"),
        validators=[
            InputRequired(message=_l("Enter the mentor's e-mail address.")),
            Length(max=320),
            check_address,
        ],
    )
    name = StringField(_l("Name"), validators=[Optional(), Length(max=300), one_line])
    language = SelectField(
        _l("Language of the e-mails"),
        choices=[SelectChoice("nl", "Nederlands"), SelectChoice("en", "English")],
        default="nl",
    )


# -- the coach's buttons ------------------------------------------------------------------------


def _coach() -> Person:
    person = current_user._get_current_object()
    if not isinstance(person, Person):
        abort(403)
    return person


def _coach_placement(placement_id: int) -> Placement:
    """:raise 404: no such placement in the coach's current course."""
    found = db.session().get(Placement, placement_id)
    if found is None or found.course_id != session.get("course_id"):
        abort(404)
    return found


def _back(placement: Placement) -> Any:
    if "placements.placement" in current_app.view_functions:
        target = url_for("placements.placement", placement_id=placement.id) + "#mentor-access"
    else:
        target = url_for("placements.coach_home")
    return redirect(target, code=303)


def _form_problem(form: FlaskForm) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@bp.route("/coach/placements/<int:placement_id>/invitations", methods=["POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def invite(placement_id: int) -> Any:
    """Invite a mentor (new to the placement, or already on it) by e-mail."""
    coach = _coach()
    found = _coach_placement(placement_id)
    form = InviteForm()
    if not form.validate_on_submit():
        notify(found, _form_problem(form), error=True)
        return _back(found)
    s = db.session()
    try:
        mentor = service.find_or_add_mentor(
            s, found, form.email.data or "", form.name.data or "", form.language.data or "nl", coach
        )
        service.invite(s, found, mentor, coach)
    except service.InvitationError as exc:
        s.rollback()
        notify(found, exc.message, error=True)
        return _back(found)
    s.commit()
    notify(found, _("Invitation sent to %(email)s.", email=mentor.email))
    return _back(found)


def _coach_invitation(placement_id: int, invitation_id: int) -> tuple[Placement, Any]:
    found = _coach_placement(placement_id)
    invitation = service.get_invitation(db.session(), found.id, invitation_id)
    if invitation is None:
        abort(404)
    return found, invitation


def _invitation_action(
    placement_id: int, invitation_id: int, action: Callable[..., Any], done: Callable[[str], str]
) -> Any:
    """Run a coach's button on one invitation; say what happened on the placement page."""
    coach = _coach()
    found, invitation = _coach_invitation(placement_id, invitation_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    s = db.session()
    try:
        action(s, invitation, coach)
    except service.InvitationError as exc:
        s.rollback()
        notify(found, exc.message, error=True)
        return _back(found)
    s.commit()
    notify(found, done(invitation.mentor.email))
    return _back(found)


@bp.route(
    "/coach/placements/<int:placement_id>/invitations/<int:invitation_id>/resend",
    methods=["POST"],
)
@requires(Permission.MANAGE_PLACEMENTS)
def resend(placement_id: int, invitation_id: int) -> Any:
    """A new link for the same mentor; the older unused ones stop working."""
    return _invitation_action(
        placement_id,
        invitation_id,
        service.resend,
        lambda email: _("A new link was sent to %(email)s.", email=email),
    )


@bp.route(
    "/coach/placements/<int:placement_id>/mentors/<int:mentor_id>/sign-out-everywhere",
    methods=["POST"],
)
@requires(Permission.MANAGE_PLACEMENTS)
def end_sessions(placement_id: int, mentor_id: int) -> Any:
    """The coach signs a mentor of this placement out on every device.

    :raise 404: no such placement in the coach's course, or the person is no mentor of it.
    """
    coach = _coach()
    found = _coach_placement(placement_id)
    s = db.session()
    mentor = s.get(Mentor, mentor_id)
    if mentor is None or not service.is_placement_mentor(s, found.id, mentor.id):
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    count = sessions.end_for_placement(s, found, mentor, coach.get_id())
    s.commit()
    current_app.logger.info(
        "coach %s signed mentor %s out on %s devices", coach.id, mentor.id, count
    )
    if count:
        message = ngettext(
            "%(name)s is signed out on %(num)d device.",
            "%(name)s is signed out on %(num)d devices.",
            count,
            name=mentor.display_name,
        )
    else:
        message = _("%(name)s was not signed in on any device.", name=mentor.display_name)
    notify(found, message)
    return _back(found)


@bp.route(
    "/coach/placements/<int:placement_id>/invitations/<int:invitation_id>/revoke",
    methods=["POST"],
)
@requires(Permission.MANAGE_PLACEMENTS)
def revoke(placement_id: int, invitation_id: int) -> Any:
    """The link stops working at once."""
    return _invitation_action(
        placement_id,
        invitation_id,
        service.revoke,
        lambda email: _("The link to %(email)s no longer works.", email=email),
    )
