"""LTI protocol endpoints: login, the cookie fallback, keys, registration.

Thin: the work is in tool.py. The launch itself (which records the person) is ``lti_app.launch``;
the deep-linking chooser (what to place in a course) is ``journals.deep_link``, which answers the
platform through ``Tool.deep_link_response``.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    render_template,
    request,
)
from flask_babel import gettext as _

from lti_app import db
from lti_app.extensions import csrf, limiter
from lti_app.lti import invites, registration
from lti_app.lti.outbound import session_from_config
from lti_app.lti.tool import LOGIN_PARAMS, Tool, current_tool, tool_urls
from lti_app.security import Permission, current_college_id, public, requires

bp = Blueprint("lti", __name__)


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
    return current_tool().login(tool_urls().launch)


@bp.route("/lti/continue", methods=["POST"])
@csrf.exempt
@limiter.limit("30/minute")
@public
def continue_in_new_window() -> Any:
    """The cookie fallback: the new window starts the login again, now as a first-party page."""
    return current_tool().login(tool_urls().launch)


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
            tool_urls(), "Driehoek", _("Placements, mentor feedback and reflection journals")
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
            tool_urls(),
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
    return render_template("lti/registrations.html", platforms=platforms, urls=tool_urls())


@bp.after_app_request
def _state_cookies(response: Response) -> Response:
    tool: Tool | None = g.get("lti_tool")
    if tool is not None:
        tool.apply_cookies(response)
    return response
