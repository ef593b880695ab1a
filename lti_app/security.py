"""Who may do what. Roles become permissions once; every view declares the permission it needs.

A view without a declaration is refused (default deny): ``check_view_declared`` runs before
every request and a test walks the URL map to keep it that way.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, request, session
from flask_login import current_user

from lti_app.roster.models import Role


class Permission(enum.StrEnum):
    PUBLIC = "public"
    STUDENT_HOME = "student_home"
    COACH_HOME = "coach_home"
    VIEW_ROSTER = "view_roster"
    CORRECT_ROLES = "correct_roles"  # a coach corrects a member's role (roster/corrections.py)
    MANAGE_REGISTRATIONS = "manage_registrations"
    DEEP_LINK = "deep_link"
    CHOOSE_PROGRAMME = "choose_programme"  # name a course's programme (coach: once)
    # placements
    PROPOSE_PLACEMENT = "propose_placement"  # a student proposes their school and mentor
    LOG_HOURS = "log_hours"  # a student logs their own hours
    MANAGE_PLACEMENTS = "manage_placements"  # a coach creates, approves, imports, invites
    # school mentors: external guests, signed in through an invitation link
    MENTOR_PORTAL = "mentor_portal"
    APPROVE_HOURS = "approve_hours"
    # agreements: each view also checks that the person is a party to that agreement
    VIEW_AGREEMENT = "view_agreement"
    SIGN_AGREEMENT = "sign_agreement"
    EDIT_TEMPLATES = "edit_templates"  # the coordinator's agreement templates
    # feedback: each view also checks that the person belongs to that placement
    READ_FEEDBACK = "read_feedback"  # the placement's student, its mentors, the course's coaches
    REQUEST_FEEDBACK = "request_feedback"  # a student asks a mentor; responds to a form
    GIVE_FEEDBACK = "give_feedback"  # a mentor fills in a form; a coach writes a visit report
    EDIT_FRAMEWORK = "edit_framework"  # the coordinator's competency framework and form templates
    # journals: each view also checks that the journal is the student's own, or of the coach's course
    WRITE_JOURNAL = "write_journal"  # a student writes, submits and hands in her own entries
    REVIEW_JOURNALS = "review_journals"  # a coach sets assignments, reviews, grades, releases
    EDIT_PROMPTS = "edit_prompts"  # the coordinator's reflection prompt sets


_COACH = frozenset(
    {
        Permission.COACH_HOME,
        Permission.VIEW_ROSTER,
        Permission.CORRECT_ROLES,
        Permission.DEEP_LINK,
        Permission.CHOOSE_PROGRAMME,
        Permission.MANAGE_PLACEMENTS,
        Permission.VIEW_AGREEMENT,
        Permission.SIGN_AGREEMENT,
        Permission.READ_FEEDBACK,
        Permission.GIVE_FEEDBACK,
        Permission.REVIEW_JOURNALS,
    }
)
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.STUDENT: frozenset(
        {
            Permission.STUDENT_HOME,
            Permission.PROPOSE_PLACEMENT,
            Permission.LOG_HOURS,
            Permission.VIEW_AGREEMENT,
            Permission.SIGN_AGREEMENT,
            Permission.READ_FEEDBACK,
            Permission.REQUEST_FEEDBACK,
            Permission.WRITE_JOURNAL,
        }
    ),
    Role.COACH: _COACH,
    Role.COORDINATOR: _COACH
    | {
        Permission.MANAGE_REGISTRATIONS,
        Permission.EDIT_TEMPLATES,
        Permission.EDIT_FRAMEWORK,
        Permission.EDIT_PROMPTS,
    },
}
# A mentor has no course role: what a mentor may see is limited further to their own placements
# by every mentor view (see guests/views.py).
MENTOR_PERMISSIONS = frozenset(
    {
        Permission.MENTOR_PORTAL,
        Permission.APPROVE_HOURS,
        Permission.VIEW_AGREEMENT,
        Permission.SIGN_AGREEMENT,
        Permission.READ_FEEDBACK,
        Permission.GIVE_FEEDBACK,
    }
)

F = TypeVar("F", bound=Callable[..., Any])


def requires(permission: Permission) -> Callable[[F], F]:
    """Declare what a view needs.

    :raise 401: nobody is signed in (the page says to open Driehoek from the course).
    :raise 403: the signed-in person lacks the permission.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if permission is not Permission.PUBLIC:
                if current_principal() is None:
                    abort(401)
                if permission not in current_permissions():
                    current_app.logger.info(
                        "denied %s to person %s: needs %s",
                        request.path,
                        current_user.get_id(),
                        permission,
                    )
                    abort(403)
            return view(*args, **kwargs)

        wrapped.permission = permission  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate


def public(view: F) -> F:
    return requires(Permission.PUBLIC)(view)


def current_principal() -> Any:
    """The signed-in person of this browser session, or None."""
    return current_user if current_user.is_authenticated else None


def current_college_id() -> int | None:
    """The college of whoever is signed in: a launched person's is that of the platform they
    came from (set at launch), a guest's their own. Coordinators and coaches see and change
    only their college's registrations, programmes, templates, schools and mentors."""
    if not current_user.is_authenticated:
        return None
    college_id = getattr(current_user, "college_id", None)  # a guest carries theirs
    if college_id is None:
        college_id = session.get("college_id")
    return int(college_id) if college_id is not None else None


def current_permissions() -> frozenset[Permission]:
    if "permissions" not in g:
        role = session.get("role")
        if not current_user.is_authenticated:
            g.permissions = frozenset()
        elif str(current_user.get_id()).startswith("mentor:"):
            g.permissions = MENTOR_PERMISSIONS
        else:
            g.permissions = ROLE_PERMISSIONS.get(Role(role), frozenset()) if role else frozenset()
    result: frozenset[Permission] = g.permissions
    return result


def check_view_declared() -> None:
    """Refuse any endpoint that forgot to say who may use it."""
    if request.endpoint is None or request.endpoint == "static":
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and not hasattr(view, "permission"):
        current_app.logger.error("view %s declares no permission; refused", request.endpoint)
        abort(403)
