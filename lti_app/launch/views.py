"""The launch endpoint: where the LTI protocol (``lti``) hands a verified person to Driehoek.

``lti`` checks that the platform really sent the launch; ``roster`` records who came, in which
course, with which role. This package sits above both and depends on both, so neither needs the
other's views: it signs the person in and sends them to their home, or where the link asks
(``landing.py``: the deep-linking chooser, a journal link, a submission review, SpeedGrader's
review page). Grading hears what each launch says about the link's gradebook column
(``grading.launches.note_launch``).
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_user

from lti_app import db
from lti_app.colleges.service import programme_named
from lti_app.errors import LaunchError, LaunchForbidden
from lti_app.extensions import csrf, limiter, login_manager
from lti_app.grading.launches import note_launch
from lti_app.launch.landing import link_landing, submission_review_landing
from lti_app.lti.framing import FRAME_ORIGINS, launch_frame_origins
from lti_app.lti.message_launch import SUBMISSION_REVIEW, StateCookieMissing
from lti_app.lti.relaunch import platform_launch_url
from lti_app.lti.tool import LOGIN_PARAMS, MESSAGE_TYPE, current_tool
from lti_app.roster.launches import record_launch
from lti_app.roster.models import Role
from lti_app.roster.roles import map_roles
from lti_app.roster.sync import request_sync
from lti_app.security import ROLE_PERMISSIONS, Permission, public

bp = Blueprint("launch", __name__)


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
    tool = current_tool()
    try:
        message_launch = tool.launch()
    except StateCookieMissing as exc:
        # Verified, and its state spent, but not tied to this browser: sign nobody in here, and
        # offer a fresh start in a new (first-party) window.
        fresh = platform_launch_url(str(exc.claims.get("iss")), exc.login_params, exc.claims)
        current_app.logger.info(
            "launch without its state cookie; offering %s in a new window",
            "the platform's launch page" if fresh else "the login again",
        )
        resume = (
            {}
            if fresh
            else {k: exc.login_params[k] for k in LOGIN_PARAMS if exc.login_params.get(k)}
        )
        return render_template("lti/cookies_blocked.html", fresh_start=fresh, params=resume), 400

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
    is_review = claims.get(MESSAGE_TYPE) == SUBMISSION_REVIEW
    if is_review and Permission.REVIEW_JOURNALS not in ROLE_PERMISSIONS[role]:
        raise LaunchForbidden(
            "submission review by a role that may not review",
            _("Only coaches can review a student's submission."),
            _("Open Driehoek from the course to see your own journal."),
        )

    s = db.session()
    person, course, _membership = record_launch(s, platform, claims, role)
    if course is not None and course.programme_id is None:
        named = _custom(claims).get("programme")
        if isinstance(named, str) and named.strip():
            # The LMS link names the course's programme: no need to ask the coach.
            course.programme = programme_named(s, platform.college_id, named[:200])
    frame_origins = launch_frame_origins(
        s, current_app.extensions["registrations"], platform, request.headers.get("Origin")
    )
    if course is not None and role is not Role.STUDENT:
        # A coach's launch keeps the roster fresh, at most every ROSTER_SYNC_MINUTES.
        minutes = current_app.config["ROSTER_SYNC_MINUTES"]
        request_sync(s, course, min_interval=timedelta(minutes=minutes))
    if course is not None and not is_deep_link:
        note_launch(s, course, claims)
    if is_review:
        landing: str | None = submission_review_landing(s, platform.issuer, course, claims)
    elif is_deep_link:
        landing = url_for("journals.deep_link")
    else:
        landing = link_landing(s, person, course, role, claims)
    s.commit()

    session.clear()
    session.permanent = True
    login_user(person)
    session["role"] = role.value
    session["course_id"] = course.id if course else None
    session["college_id"] = platform.college_id
    session["locale"] = _locale_from(person.locale)
    session["launch_id"] = message_launch.get_launch_id()
    session[FRAME_ORIGINS] = frame_origins
    current_app.logger.info(
        "launch ok: person %s as %s in course %s", person.id, role.value, session["course_id"]
    )
    if landing is not None:
        return redirect(landing, code=303)
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
