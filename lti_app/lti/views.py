"""LTI endpoints: login, launch, deep linking, keys, registration. Thin: the work is in tool.py."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_user
from pylti1p3.deep_link_resource import DeepLinkResource

from lti_app import db
from lti_app.colleges.service import programme_named
from lti_app.errors import LaunchError, LaunchForbidden
from lti_app.extensions import csrf, limiter, login_manager
from lti_app.lti import invites, registration
from lti_app.lti.framing import learn_origin
from lti_app.lti.outbound import session_from_config
from lti_app.lti.roles import map_roles
from lti_app.lti.tool import DL_SETTINGS, LOGIN_PARAMS, MESSAGE_TYPE, Tool
from lti_app.roster.models import Role
from lti_app.roster.service import record_launch
from lti_app.roster.sync import request_sync
from lti_app.security import (
    ROLE_PERMISSIONS,
    Permission,
    current_college_id,
    public,
    requires,
)

bp = Blueprint("lti", __name__)


def _tool() -> Tool:
    if "lti_tool" not in g:
        g.lti_tool = Tool(db.session(), current_app.extensions["state_store"])
    tool: Tool = g.lti_tool
    return tool


def _urls() -> registration.ToolUrls:
    return registration.ToolUrls(current_app.config["BASE_URL"])


@bp.route("/lti/login", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(lambda: current_app.config["LAUNCH_RATE_LIMIT"])
@public
def login() -> Any:
    """OIDC login initiation (LTI 1.3 §5.1.1.1). In an iframe, first check that cookies work."""
    in_iframe = request.headers.get("Sec-Fetch-Dest") == "iframe"
    if in_iframe and request.values.get("cookies") is None:
        params = {k: request.values[k] for k in LOGIN_PARAMS if request.values.get(k)}
        return render_template(
            "lti/cookie_check.html",
            params=params,
            secure=current_app.config["COOKIE_SECURE"],
        )
    return _tool().login(_urls().launch)


def _nobody_signed_in_unless_accepted(view: Any) -> Any:
    """A launch the platform really sent signs in whoever came, or leaves nobody signed in in
    this browser.

    Whoever launches now may not be whoever was signed in before (a role changed in the LMS,
    another person at a shared computer): a verified launch that is then refused must not leave
    them the earlier session. Only this browser's session ends; sessions elsewhere are
    untouched. A post that is no valid launch at all (any page on the internet can send one)
    proves nothing about who sits at this browser, and changes nothing.
    """

    def forget() -> None:
        session.clear()
        g._login_user = login_manager.anonymous_user()  # the error page greets nobody
        g.pop("permissions", None)

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            response = make_response(view(*args, **kwargs))
        except Exception:
            if g.get("launch_verified"):
                forget()
            raise
        if response.status_code >= 400 and g.get("launch_verified"):
            forget()
        return response

    return wrapped


@bp.route("/lti/launch", methods=["POST"])
@csrf.exempt
@limiter.limit(lambda: current_app.config["LAUNCH_RATE_LIMIT"])
@public
@_nobody_signed_in_unless_accepted
def launch() -> Any:
    """The launch (and deep-linking) redirect URI: verify, record who came, and sign them in."""
    tool = _tool()
    try:
        message_launch = tool.launch()
    except LaunchError as exc:
        state = getattr(exc, "extra", {}).get("state") if hasattr(exc, "extra") else None
        params = tool.login_params(state) if state else None
        if params:
            current_app.logger.info("launch without state cookie; offering a new window")
            resume = {k: v for k, v in params.items() if k in LOGIN_PARAMS}
            return render_template("lti/cookies_blocked.html", params=resume), 400
        raise

    g.launch_verified = True  # signed by a registered platform, nonce spent: someone came
    claims = message_launch.get_launch_data()
    platform = tool.tool_conf.platform(claims["iss"], message_launch.get_client_id())
    if platform is None:  # deleted between validation and here
        raise LaunchError("registration disappeared during launch")
    role = map_roles(claims.get("https://purl.imsglobal.org/spec/lti/claim/roles", []))
    if role is None:
        raise LaunchForbidden(
            "launch with no role Driehoek knows",
            _("Driehoek is for students, coaches and coordinators of this course."),
            _("If you should have access, ask your coach to check your role in the course."),
        )
    is_deep_link = claims.get(MESSAGE_TYPE) == "LtiDeepLinkingRequest"
    if is_deep_link and Permission.DEEP_LINK not in ROLE_PERMISSIONS[role]:
        raise LaunchForbidden(
            "deep linking by a role that may not place content",
            _("Only coaches can add Driehoek to a course."),
        )

    s = db.session()
    person, course, _membership = record_launch(s, platform, claims, role)
    if course is not None and course.programme_id is None:
        named = _custom(claims).get("programme")
        if isinstance(named, str) and named.strip():
            # The LMS link names the course's programme: no need to ask the coach.
            course.programme = programme_named(s, platform.college_id, named[:200])
    learn_origin(platform, request.headers.get("Origin"))
    if course is not None and role is not Role.STUDENT:
        # A coach's launch keeps the roster fresh, at most every ROSTER_SYNC_MINUTES.
        minutes = current_app.config["ROSTER_SYNC_MINUTES"]
        request_sync(s, course, min_interval=timedelta(minutes=minutes))
    s.commit()

    session.clear()
    session.permanent = True
    login_user(person)
    session["role"] = role.value
    session["course_id"] = course.id if course else None
    session["college_id"] = platform.college_id
    session["locale"] = _locale_from(person.locale)
    session["launch_id"] = message_launch.get_launch_id()
    current_app.logger.info(
        "launch ok: person %s as %s in course %s", person.id, role.value, session["course_id"]
    )
    if is_deep_link:
        return redirect(url_for("lti.deep_link"), code=303)
    if role is Role.STUDENT:
        return redirect(url_for("placements.student_home"), code=303)
    if course is not None and course.programme_id is None:
        return redirect(url_for("programmes.course_programme"), code=303)
    return redirect(url_for("placements.coach_home"), code=303)


def _custom(claims: Any) -> dict[str, Any]:
    custom = claims.get("https://purl.imsglobal.org/spec/lti/claim/custom")
    return custom if isinstance(custom, dict) else {}


def _locale_from(value: str | None) -> str | None:
    if not value:
        return None
    language = value.replace("_", "-").split("-", 1)[0].lower()
    return language if language in current_app.config["LANGUAGES"] else None


@bp.route("/lti/continue", methods=["POST"])
@csrf.exempt
@limiter.limit("30/minute")
@public
def continue_in_new_window() -> Any:
    """The cookie fallback: the new window starts the login again, now as a first-party page."""
    return _tool().login(_urls().launch)


DEEP_LINK_CHOICES = {
    "overview": ("Placement overview", "placements.home"),
}


@bp.route("/lti/deep-link", methods=["GET", "POST"])
@requires(Permission.DEEP_LINK)
def deep_link() -> Any:
    """The coach picks what to place in the course; we answer with a signed deep-linking response."""
    launch_id = session.get("launch_id")
    claims = _launch_data(launch_id)
    if not claims or claims.get(MESSAGE_TYPE) != "LtiDeepLinkingRequest":
        raise LaunchError(
            "deep-link page without a deep-linking launch",
            _("This page only works right after choosing Driehoek in the course's content picker."),
        )
    if request.method == "GET":
        return render_template("lti/deep_link.html", settings=claims[DL_SETTINGS])
    choice = request.form.get("choice", "")
    if choice not in DEEP_LINK_CHOICES:
        return render_template(
            "lti/deep_link.html",
            settings=claims[DL_SETTINGS],
            error=_("Choose what to add to the course."),
        ), 400
    resource = DeepLinkResource()
    resource.set_url(_urls().launch).set_title(_("Placement overview")).set_custom_params(
        {"driehoek_view": choice}
    )
    token, return_url = _tool().deep_link_response(claims, [resource])
    session.pop("launch_id", None)
    return render_template("lti/autopost.html", action=return_url, fields={"JWT": token})


def _launch_data(launch_id: str | None) -> dict[str, Any] | None:
    if not launch_id:
        return None
    # pylti1p3 stores a validated launch's claims under its launch id ("lti1p3-launch-…").
    data: dict[str, Any] | None = current_app.extensions["state_store"].get(launch_id)
    return data


@bp.route("/.well-known/jwks.json")
@public
def jwks() -> Any:
    from lti_app.lti.keys import published_keys

    keys = published_keys(db.session(), current_app.config["KEY_GRACE_DAYS"])
    response = jsonify({"keys": keys})
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/lti/config/canvas.json")
@public
def canvas_json() -> Any:
    return jsonify(
        registration.canvas_configuration(
            _urls(), "Driehoek", _("Placements, mentor feedback and reflection journals")
        )
    )


@bp.route("/lti/register")
@limiter.limit("10/minute")
@public
def register_closed() -> Any:
    """Without the operator's one-time URL, registration is closed: nothing is fetched or stored."""
    current_app.logger.info("dynamic registration without an invitation: refused")
    return render_template("lti/registered.html", closed=True), 403


@bp.route("/lti/register/<token>")
@limiter.limit("10/minute")
@public
def register(token: str) -> Any:
    """LTI Dynamic Registration through an operator's one-time URL, for that URL's college.
    The LMS opens it in a window or iframe during set-up."""
    if not current_app.config["DYNAMIC_REGISTRATION"]:
        return render_template(
            "lti/registered.html",
            error=_("Dynamic registration is switched off for this installation."),
        ), 403
    s = db.session()
    invite = invites.find_invite(s, token)
    if invite is None:
        current_app.logger.info("dynamic registration with an unknown, used or expired invitation")
        return render_template("lti/registered.html", closed=True, expired=True), 403
    http = session_from_config(current_app.config)
    try:
        platform = registration.dynamic_register(
            s,
            http,
            _urls(),
            request.args.get("openid_configuration", ""),
            request.args.get("registration_token"),
            "Driehoek",
            require_https=current_app.config["IS_PRODUCTION"],
            college=invite.college,
        )
        if not invites.spend_invite(s, invite, platform):
            raise registration.RegistrationError(
                "The registration URL was used at the same moment."
            )
        s.commit()
    except registration.RegistrationError as exc:
        s.rollback()
        current_app.logger.warning("dynamic registration refused: %s", exc)
        return render_template("lti/registered.html", error=str(exc)), 400
    current_app.logger.info(
        "dynamic registration stored for %s (college %s)", platform.issuer, platform.college_id
    )
    return render_template("lti/registered.html", platform=platform)


@bp.route("/admin/registrations")
@requires(Permission.MANAGE_REGISTRATIONS)
def registrations() -> Any:
    """A coordinator's view of their college's registrations (never another college's)."""
    platforms = registration.list_platforms(db.session(), current_college_id() or -1)
    return render_template("lti/registrations.html", platforms=platforms, urls=_urls())


@bp.after_app_request
def _state_cookies(response: Response) -> Response:
    tool: Tool | None = g.get("lti_tool")
    if tool is not None:
        tool.apply_cookies(response)
    return response
