"""Mentors as guests: the sign-in link, a fresh link on request, signing out. On the same
blueprint: the coach's invitation buttons (coach_views.py) and the mentor's portal
(lti_app/pipeline/mentor_portal.py). The rules live in invitations.py, links.py and sessions.py;
these views only translate to and from HTTP.

Who uses it: a school mentor on a phone right after a lesson, with no LMS account and no
password; the coach, on a laptop, who invites them and wants to see whether they got in.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length, ValidationError

from lti_app import db
from lti_app.extensions import limiter
from lti_app.guests import access, briefing, links, sessions
from lti_app.guests import invitations as service
from lti_app.guests.models import GuestSession, InvitationState
from lti_app.notifications.service import InvalidAddress, normalise_address
from lti_app.placements.models import Placement
from lti_app.schools.models import Mentor
from lti_app.security import Permission, public, requires

bp = Blueprint("mentors", __name__)
bp.add_app_template_global(briefing.mentor_contacts, "mentor_contacts")
bp.add_app_template_global(briefing.first_sign_in, "mentor_first_sign_in")

# Asking for links mails a real person: a few per address, more per network (a school's NAT).
LINKS_PER_ADDRESS = "5/hour"
LINKS_PER_CLIENT = "20/hour"
SIGN_INS_PER_CLIENT = "60/minute"

INVITATION_STATE_LABELS = {
    InvitationState.SENT: _l("sent"),
    InvitationState.OPENED: _l("opened"),
    InvitationState.ACTIVE: _l("signed in"),
    InvitationState.EXPIRED: _l("expired"),
    InvitationState.REVOKED: _l("revoked"),
    InvitationState.BOUNCED: _l("bounced"),
}


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    app = state.app
    # The mentor's long sign-in lives in Flask-Login's remember cookie (it carries the guest
    # session's secret, checked on every request); mentor pages are opened top-level from a
    # mail, never inside an LMS frame, so Lax suits it.
    app.config.setdefault("REMEMBER_COOKIE_NAME", "driehoek_mentor")
    app.config.setdefault("REMEMBER_COOKIE_SECURE", bool(app.config.get("COOKIE_SECURE")))
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.add_template_global(invitations_for)
    app.add_template_global(invitation_state_label)
    app.add_template_global(invitation_notice)
    app.add_template_global(device_name)


def invitations_for(placement: Placement) -> list[access.MentorAccess]:
    """For the coach's placement page (templates/placements/_invitations.html)."""
    return access.mentor_access(db.session(), placement.id)


def invitation_state_label(state: InvitationState) -> str:
    return str(INVITATION_STATE_LABELS.get(state, state))


NOTICE_KEY = "mentor_access_notice"


def notify(placement: Placement, message: Any, *, error: bool = False) -> None:
    """Tell the coach how a button went, next to the buttons (the page's flashes sit on top)."""
    session[NOTICE_KEY] = {"placement": placement.id, "message": str(message), "error": error}


def invitation_notice(placement: Placement) -> dict[str, Any] | None:
    """The outcome of the coach's last invitation button on this placement, shown once."""
    notice = session.get(NOTICE_KEY)
    if not notice or notice.get("placement") != placement.id:
        return None
    session.pop(NOTICE_KEY, None)
    return dict(notice)


@bp.after_request
def _private(response: Any) -> Any:
    # Pages with a token in their address or a mentor's students: not cached, not indexed,
    # and the address never leaks to another site as a Referer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.errorhandler(401)
def _signed_out(_exc: Any) -> Any:
    """A mentor whose sign-in ran out lands here: a way back in, no dead end."""
    return render_template("mentor/request_link.html", form=EmailForm(), signed_out=True), 401


# -- forms --------------------------------------------------------------------------------------


def check_address(_form: Any, field: Any) -> None:
    try:
        normalise_address(field.data or "")
    except InvalidAddress:
        raise ValidationError(_l("Enter one e-mail address, like name@school.be.")) from None


class ButtonForm(FlaskForm):
    """A form that is only a button: its CSRF token is all it carries."""


class EmailForm(FlaskForm):
    email = StringField(
        _l("Your e-mail address"),
        validators=[
            InputRequired(message=_l("Enter your e-mail address.")),
            Length(max=320),
            check_address,
        ],
    )


# -- who is signed in ---------------------------------------------------------------------------


def load_guest(secret: str) -> Mentor | None:
    """Flask-Login's user loader for guests (``guest:<secret>``, lti_app/__init__.py): the
    mentor of a live guest session, or nobody. Runs on every request of a guest.

    "Last used" is written (now and then, see sessions.SEEN_EVERY) and committed here only
    when the request has not begun work of its own: that work is its view's to commit.
    """
    s = db.session()
    idle = not s.in_transaction()
    guest = sessions.find_live(s, secret)
    if guest is None:
        return None
    if idle and sessions.seen(s, guest):
        s.commit()
    g.guest_session_id = guest.id
    return guest.mentor


def this_guest_session() -> int | None:
    """The guest session of this browser, once current_user has been loaded."""
    found = g.get("guest_session_id")
    return int(found) if found is not None else None


def device_name(guest: GuestSession) -> str:
    """A device as its owner recognises it: "Chrome on Android"."""
    if guest.browser and guest.system:
        return _("%(browser)s on %(system)s", browser=guest.browser, system=guest.system)
    return guest.browser or guest.system or _("Unknown browser")


# -- the link in the mail -----------------------------------------------------------------------


def _signed_in_mentor() -> Mentor | None:
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return user if isinstance(user, Mentor) else None


def _dead_link(problem: links.LinkProblem, token: str) -> Any:
    status = 404 if problem is links.LinkProblem.UNKNOWN else 410
    return (
        render_template(
            "mentor/link_dead.html",
            problem=problem.value,
            token=token,
            can_renew=problem is not links.LinkProblem.UNKNOWN,
            form=EmailForm(),
            valid_days=current_app.config["INVITATION_VALID_DAYS"],
        ),
        status,
    )


@bp.route("/m/<token>", methods=["GET"])
@public
def link(token: str) -> Any:
    """The link from the mail. Spends nothing: mail scanners open links too."""
    s = db.session()
    invitation, problem = links.open_link(s, token)
    s.commit()
    me = _signed_in_mentor()
    if problem is not None or invitation is None:
        if (
            problem is links.LinkProblem.USED
            and invitation
            and me
            and me.id == invitation.mentor_id
        ):
            return redirect(url_for("mentors.portal"), code=303)
        return _dead_link(problem or links.LinkProblem.UNKNOWN, token)
    if me is not None and me.id == invitation.mentor_id:
        # Already signed in here: the link stays unspent for another device.
        return redirect(url_for("mentors.portal"), code=303)
    session.setdefault("locale", invitation.mentor.locale)
    return render_template(
        "mentor/link.html",
        token=token,
        mentor=invitation.mentor,
        placement=invitation.placement,
        form=ButtonForm(),
        session_days=current_app.config["MENTOR_SESSION_DAYS"],
    )


@bp.route("/m/<token>", methods=["POST"])
@limiter.limit(SIGN_INS_PER_CLIENT)
@public
def sign_in(token: str) -> Any:
    """The button: spends the link (once) and signs the mentor in on this device."""
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    # Whoever was signed in on this browser before: their session ends with this sign-in.
    replaced = this_guest_session() if _signed_in_mentor() is not None else None
    s = db.session()
    invitation, problem = links.spend(s, token)
    if problem is not None or invitation is None:
        s.rollback()
        return _dead_link(problem or links.LinkProblem.UNKNOWN, token)
    mentor = invitation.mentor
    days = int(current_app.config["MENTOR_SESSION_DAYS"])
    _guest, login = sessions.start(
        s, mentor, invitation, days=days, user_agent=request.headers.get("User-Agent", "")
    )
    if replaced is not None:
        # Its cookie is overwritten here: left going, it would linger as a device nobody holds.
        sessions.end(s, replaced, by="system")
    s.commit()
    session.clear()  # whoever was signed in on this browser before
    login_user(login, remember=True, duration=timedelta(days=days))
    session["locale"] = mentor.locale
    current_app.logger.info("mentor %s signed in with invitation %s", mentor.id, invitation.id)
    return redirect(url_for("mentors.portal"), code=303)


def _address_key() -> str:
    return "mentor-link:" + (request.form.get("email") or "").strip().lower()[:320]


def _token_key() -> str:
    return "mentor-renew:" + links.hash_token(str((request.view_args or {}).get("token", "")))


@bp.route("/m/<token>/renew", methods=["POST"])
@limiter.shared_limit(LINKS_PER_CLIENT, scope="mentor-links")
@limiter.limit(LINKS_PER_ADDRESS, key_func=_token_key)
@public
def renew(token: str) -> Any:
    """One tap on a dead link's page: a fresh link goes to the address Driehoek knows."""
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    s = db.session()
    service.renew_from_link(s, token)
    s.commit()
    return render_template("mentor/link_sent.html", renewed=True)


@bp.route("/mentor/request-link", methods=["GET", "POST"])
@limiter.shared_limit(LINKS_PER_CLIENT, scope="mentor-links", methods=["POST"])
@limiter.limit(LINKS_PER_ADDRESS, key_func=_address_key, methods=["POST"])
@public
def request_link() -> Any:
    """Ask for a fresh link by e-mail address. The answer never tells whether it is known."""
    form = EmailForm()
    if form.validate_on_submit():
        s = db.session()
        service.send_sign_in_link(s, form.email.data or "")
        s.commit()
        return render_template("mentor/link_sent.html", email=form.email.data.strip())
    status = 400 if request.method == "POST" else 200
    return render_template("mentor/request_link.html", form=form), status


# -- the portal ---------------------------------------------------------------------------------


def signed_in_mentor() -> Mentor:
    """The signed-in mentor. :raise 403: whoever is signed in is no mentor."""
    mentor = _signed_in_mentor()
    if mentor is None:
        abort(403)
    return mentor


@bp.route("/mentor/sign-out", methods=["POST"])
@requires(Permission.MENTOR_PORTAL)
def sign_out() -> Any:
    """Ends this device's session on the server too: a copy of the cookie is worth nothing."""
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    mentor = signed_in_mentor()
    guest_id = this_guest_session()
    if guest_id is not None:
        s = db.session()
        sessions.end(s, guest_id, by=mentor.get_id())
        s.commit()
    return _signed_out_page()


@bp.route("/mentor/sign-out-everywhere", methods=["POST"])
@requires(Permission.MENTOR_PORTAL)
def sign_out_everywhere() -> Any:
    """Ends every session of this mentor, on every device (a lost phone, a shared computer)."""
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    mentor = signed_in_mentor()
    s = db.session()
    count = sessions.end_all(s, mentor.id, by=mentor.get_id())
    s.commit()
    current_app.logger.info("mentor %s signed out on %s devices", mentor.id, count)
    return _signed_out_page(everywhere=count)


def _signed_out_page(**context: Any) -> Any:
    session.clear()
    logout_user()  # after clear(): it leaves a note in the session to delete the remember cookie
    return render_template("mentor/signed_out.html", **context)
