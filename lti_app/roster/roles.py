"""LTI role URIs to Driehoek roles, decided once at launch.

LTI 1.3 §A.2 lists context roles (full URI or the short name, e.g. ``Instructor``), sub-roles
(``…/membership/Instructor#TeachingAssistant``), institution and system roles.
https://www.imsglobal.org/spec/lti/v1p3/#role-vocabularies
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lti_app.roster.models import Role

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
CONTEXT = LIS + "membership#"
CONTEXT_SUB = LIS + "membership/"
INSTITUTION = LIS + "institution/person#"
SYSTEM = LIS + "system/person#"

_COORDINATOR = {CONTEXT + "Administrator", INSTITUTION + "Administrator", SYSTEM + "Administrator"}
_COACH = {CONTEXT + "Instructor", CONTEXT + "ContentDeveloper"}
_STUDENT = {CONTEXT + "Learner"}


def _normalise(role: str) -> str:
    role = role.strip()
    if "/" not in role and "#" not in role:
        # Short context role names are allowed for context roles only (LTI 1.3 §A.2.2).
        return CONTEXT + role
    if role.startswith(CONTEXT_SUB):
        # A sub-role such as Instructor#TeachingAssistant belongs to its principal role.
        principal = role[len(CONTEXT_SUB) :].split("#", 1)[0]
        return CONTEXT + principal
    return role


def map_roles(lti_roles: object) -> Role | None:
    """The strongest Driehoek role the LTI roles give, or None when they give none.

    ``lti_roles`` is the roles claim as the token has it: an array of strings (LTI 1.3 §5.3.7);
    anything else gives no role.

    An LMS ``Mentor`` (a parent or observer) is not a school mentor and gets no role here:
    school mentors come in through an invitation, not through the LMS.
    """
    if isinstance(lti_roles, str | bytes | Mapping) or not isinstance(lti_roles, Iterable):
        return None
    roles = {_normalise(r) for r in lti_roles if isinstance(r, str)}
    if roles & _COORDINATOR:
        return Role.COORDINATOR
    if roles & _COACH:
        return Role.COACH
    if roles & _STUDENT:
        return Role.STUDENT
    return None
