"""The sandbox LMS's pages: a demo course with launch buttons, its auth endpoint and keys, the
services a tool calls (token endpoint, Names and Role Provisioning), and a mailbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import (
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
)
from sqlalchemy.exc import IntegrityError

from lti_app import db
from lti_app.extensions import csrf
from lti_app.sandbox import (  # noqa: F401  (ags_views, gradebook_views, picker_views: routes)
    ags_views,
    demo_guide,
    demo_states,
    gradebook_views,
    messages,
    moodle,
    picker_views,
    platform,
)
from lti_app.sandbox.blueprint import bp
from lti_app.sandbox.mailbox import linkify, list_mail, read_mail
from lti_app.sandbox.responses import bearer_claims, json_response
from lti_app.security import public

__all__ = ["bp"]
NRPS_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
# Small pages by default, so a tool meets paging on the demo course too (like Canvas's 10).
NRPS_DEFAULT_LIMIT = 10
NRPS_MAX_LIMIT = 25


@bp.route("/")
@public
def course() -> Any:
    """The demo course page: choose who you are and open Driehoek inside it, as an LMS does.

    In development its first visit also sets up the demo states (``demo_states``); the test
    suite starts from empty tables and sets up what each test needs.
    """
    s = db.session()
    platform.ensure_registered(s)
    s.commit()
    if current_app.config["DRIEHOEK_ENV"] == "development":
        try:
            demo_states.ensure_demo_states(s)
            s.commit()
        except IntegrityError:  # another visit set them up at the same moment
            s.rollback()
    return render_template(
        "sandbox/course.html",
        colleges=platform.COLLEGES,
        college_names=_college_names(),
        login_url=platform.tool_login_url(),
        launch_url=platform.tool_launch_url(),
        issuer=platform.issuer(),
        resource_hint=platform.message_hint("resource"),
        # ?hints=once: like Moodle, each button opens the activity's launch page, whose message
        # hint works once (see moodle.one_time_hint).
        one_time=request.args.get("hints") == "once",
        course_module=moodle.COURSE_MODULE,
        deeplink_hint=platform.message_hint("deeplink"),
        links=picker_views.course_links(platform.MAIN),
        message=request.args.get("message"),
        mentors=demo_states.SIGNING_IN if demo_states.present(s) else (),
    )


def _college_names() -> dict[str, str]:
    """Each demo registration's college, as the tool has it."""
    from sqlalchemy import select

    from lti_app.lti.models import Platform

    names = {}
    for demo in platform.COLLEGES:
        found = (
            db.session()
            .scalars(
                select(Platform).where(
                    Platform.issuer == platform.issuer(), Platform.client_id == demo.client_id
                )
            )
            .first()
        )
        names[demo.key] = found.college.name if found else demo.name
    return names


@bp.route("/welcome")
@public
def welcome() -> Any:
    """Beside the course page: what each person will see, when the demo states are there."""
    present = demo_states.present(db.session())
    return render_template(
        "sandbox/welcome.html",
        colleges=platform.COLLEGES if present else (),
        mentors=demo_states.SIGNING_IN if present else (),
        line=demo_guide.line,
    )


@bp.route("/mentor/<key>", methods=["GET", "POST"])
@public
def mentor_sign_in(key: str) -> Any:
    """Open Driehoek as a demo mentor: a fresh sign-in link, mailed as the tool mails it (and
    so in the mailbox too), followed at once. The course page's own form token may be stale (a
    launch starts a new session), so this page asks once more, with a fresh one."""
    s = db.session()
    mentor = next((m for m in demo_states.SIGNING_IN if m.key == key), None)
    if mentor is None or not demo_states.present(s):
        abort(404)
    if request.method == "GET":
        return render_template("sandbox/mentor.html", mentor=mentor, line=demo_guide.line)
    url = demo_states.sign_in_link(s, key)
    if url is None:
        abort(404)
    s.commit()
    return redirect(url, code=303)


@bp.route("/auth")
@public
def auth() -> Any:
    """The platform's OIDC authorization endpoint: answers the tool's login redirect."""
    args = request.args
    error = None
    who = platform.person(args.get("login_hint", ""))
    hint = args.get("lti_message_hint", "")
    if hint.startswith("{"):  # a one-time hint, as Moodle's: spent here, whatever follows
        store = current_app.extensions["state_store"]
        if not moodle.spend_one_time_hint(store, hint, args.get("login_hint", "")):
            return render_template("sandbox/error.html", error="Invalid request"), 400
        said: dict[str, Any] | None = {"kind": "resource"}
    else:
        said = platform.read_hint(hint)
    demo = platform.college_of(who.id) if who else None
    if demo is None or args.get("client_id") != demo.client_id:
        error = "unknown client_id, or a login_hint of another registration"
    elif args.get("redirect_uri") != platform.tool_launch_url():
        error = "redirect_uri is not the registered launch URL"
    elif args.get("response_type") != "id_token" or args.get("scope") != "openid":
        error = "response_type must be id_token and scope openid"
    elif not args.get("nonce") or not args.get("state"):
        error = "nonce and state are required"
    elif who is None:
        error = "unknown login_hint"
    elif said is None:
        error = "lti_message_hint missing or expired"
    if error:
        return render_template("sandbox/error.html", error=error), 400
    assert who is not None and said is not None
    try:
        token = messages.id_token(who, args["nonce"], said)
    except messages.UnknownTarget as exc:
        return render_template("sandbox/error.html", error=str(exc)), 404
    return render_template(
        "lti/autopost.html",
        action=args["redirect_uri"],
        fields={"id_token": token, "state": args["state"]},
    )


@bp.route("/mod/lti/launch.php")
@public
def activity_launch() -> Any:
    """Moodle's launch page of the activity: a new login, with a new one-time hint, for whoever is
    signed in to the LMS in this browser (``as`` signs someone in, as the course page's buttons
    do in the Moodle-like mode)."""
    if request.args.get("id") != str(moodle.COURSE_MODULE):
        return render_template("sandbox/error.html", error="Invalid course module ID"), 404
    chosen = request.args.get("as")
    who = platform.person(chosen or request.cookies.get(moodle.SIGNED_IN_COOKIE, ""))
    if who is None:
        return render_template("sandbox/error.html", error="You are not logged in"), 401
    store = current_app.extensions["state_store"]
    fields = moodle.login_fields(who, moodle.one_time_hint(store, who))
    response = Response(
        render_template("lti/autopost.html", action=platform.tool_login_url(), fields=fields)
    )
    if chosen:
        response.set_cookie(
            moodle.SIGNED_IN_COOKIE, who.id, path="/sandbox", httponly=True, samesite="Lax"
        )
    return response


@bp.route("/jwks.json")
@public
def jwks() -> Any:
    return platform.jwks()


@bp.route("/token", methods=["POST"])
@csrf.exempt
@public
def token() -> Any:
    """The platform's OAuth 2 token endpoint: client_credentials with a JWT client assertion.

    LTI Security 1.0 §4.1; RFC 6749 §4.4 (grant), §5.1 (answer), §5.2 (errors); RFC 7523.
    """
    try:
        grant = platform.grant_token(request.form)
    except platform.TokenRequestError as exc:
        current_app.logger.info("sandbox token request refused: %s", exc.description)
        response = json_response(
            {"error": exc.error, "error_description": exc.description}, exc.status
        )
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="sandbox"'
        return response
    return json_response(grant, 200)


@bp.route("/nrps/<course_id>/memberships")
@public
def memberships(course_id: str) -> Any:
    """Names and Role Provisioning: the course's members, a page at a time (NRPS 2.0 §2.4).

    ``limit`` asks for a page size (we cap it), ``page`` is where the ``Link: rel="next"``
    header points, ``role`` filters by a role (full URI or short context role name).
    """
    claims = bearer_claims(platform.NRPS_SCOPE)
    if isinstance(claims, Response):
        return claims
    members = platform.roster(course_id)
    if members is None:
        return json_response({"error": "not_found", "error_description": "no such course"}, 404)
    try:
        limit = min(int(request.args.get("limit", NRPS_DEFAULT_LIMIT)), NRPS_MAX_LIMIT)
        page = int(request.args.get("page", 1))
    except ValueError:
        limit = page = 0
    if limit < 1 or page < 1:
        return json_response(
            {"error": "invalid_request", "error_description": "bad limit or page"}, 400
        )
    role = request.args.get("role")
    if role:
        wanted = role if ("/" in role or "#" in role) else platform.LIS + "membership#" + role
        members = [m for m in members if wanted in m["roles"]]
    start = (page - 1) * limit
    body = {
        "id": platform.memberships_url(course_id),
        "context": {
            "id": platform.COURSE["id"],
            "label": platform.COURSE["label"],
            "title": platform.COURSE["title"],
        },
        "members": members[start : start + limit],
    }
    response = json_response(body, 200, NRPS_MEDIA_TYPE)
    if start + limit < len(members):
        query = {"limit": limit, "page": page + 1, **({"role": role} if role else {})}
        next_url = platform.memberships_url(course_id) + "?" + urlencode(query)
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response


# -- the mailbox: what Driehoek mailed while MAIL_URL is unset ----------------------------------


@bp.route("/mail")
@public
def mailbox() -> Any:
    """Every .eml file in instance/mail/, newest first."""
    return render_template(
        "sandbox/mailbox.html",
        mails=list_mail(Path(current_app.instance_path) / "mail"),
        smtp=bool(current_app.config.get("MAIL_URL")),
    )


@bp.route("/mail/<name>")
@public
def mail_message(name: str) -> Any:
    """One message, with its links clickable (a mentor's sign-in link, for instance)."""
    mail = read_mail(Path(current_app.instance_path) / "mail", name)
    if mail is None:
        abort(404)
    return render_template("sandbox/mail_message.html", mail=mail, body=linkify(mail.text))
