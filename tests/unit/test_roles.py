"""LTI roles to Driehoek roles (lti_app/roster/roles.py), per LTI 1.3 §A.2 role vocabularies."""

from __future__ import annotations

from typing import Any

import pytest

from lti_app.roster.models import Role
from lti_app.roster.roles import map_roles

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
MEMBERSHIP = LIS + "membership#"
SUB = LIS + "membership/"
INSTITUTION = LIS + "institution/person#"
SYSTEM = LIS + "system/person#"


@pytest.mark.parametrize(
    ("lti_roles", "expected"),
    [
        # Full context role URIs.
        pytest.param([MEMBERSHIP + "Learner"], Role.STUDENT, id="Learner"),
        pytest.param([MEMBERSHIP + "Instructor"], Role.COACH, id="Instructor"),
        pytest.param([MEMBERSHIP + "ContentDeveloper"], Role.COACH, id="ContentDeveloper"),
        pytest.param([MEMBERSHIP + "Administrator"], Role.COORDINATOR, id="context-Administrator"),
        # Short names, allowed for context roles (§A.2.2).
        pytest.param(["Learner"], Role.STUDENT, id="short-Learner"),
        pytest.param(["Instructor"], Role.COACH, id="short-Instructor"),
        pytest.param([" Instructor "], Role.COACH, id="short-Instructor-padded"),
        pytest.param(["Administrator"], Role.COORDINATOR, id="short-Administrator"),
        # Sub-roles belong to their principal role.
        pytest.param(
            [SUB + "Instructor#TeachingAssistant"], Role.COACH, id="sub-TeachingAssistant"
        ),
        pytest.param([SUB + "Instructor#Grader"], Role.COACH, id="sub-Grader"),
        pytest.param([SUB + "Learner#NonCreditLearner"], Role.STUDENT, id="sub-NonCreditLearner"),
        pytest.param(
            [SUB + "Administrator#ExternalSupport"], Role.COORDINATOR, id="sub-Administrator"
        ),
        # Institution and system roles: only Administrator means anything here.
        pytest.param([INSTITUTION + "Administrator"], Role.COORDINATOR, id="institution-Admin"),
        pytest.param([SYSTEM + "Administrator"], Role.COORDINATOR, id="system-Admin"),
        pytest.param([INSTITUTION + "Instructor"], None, id="institution-Instructor-alone"),
        pytest.param([INSTITUTION + "Student"], None, id="institution-Student-alone"),
        pytest.param([INSTITUTION + "Faculty", SYSTEM + "User"], None, id="faculty-and-user"),
        pytest.param(
            [INSTITUTION + "Instructor", MEMBERSHIP + "Learner"],
            Role.STUDENT,
            id="institution-Instructor-learning-in-a-course",
        ),
        # The strongest role wins, whatever the order.
        pytest.param(
            [MEMBERSHIP + "Learner", MEMBERSHIP + "Instructor"], Role.COACH, id="learner+instructor"
        ),
        pytest.param(
            [MEMBERSHIP + "Instructor", INSTITUTION + "Administrator"],
            Role.COORDINATOR,
            id="instructor+admin",
        ),
        pytest.param(
            [INSTITUTION + "Student", MEMBERSHIP + "Learner", SUB + "Instructor#TeachingAssistant"],
            Role.COACH,
            id="learner+ta",
        ),
        # An LMS Mentor (parent, observer) is not a school mentor: no role.
        pytest.param([MEMBERSHIP + "Mentor"], None, id="Mentor"),
        pytest.param(["Mentor"], None, id="short-Mentor"),
        pytest.param([SUB + "Mentor#Advisor"], None, id="sub-Mentor"),
        pytest.param([MEMBERSHIP + "Mentor", MEMBERSHIP + "Learner"], Role.STUDENT, id="mentor+L"),
        # Short names are for context roles only: not institution or system ones.
        pytest.param(["Faculty"], None, id="short-Faculty"),
        pytest.param(["SysAdmin"], None, id="short-SysAdmin"),
        # Garbage.
        pytest.param([], None, id="empty"),
        pytest.param([""], None, id="empty-string"),
        pytest.param(["   "], None, id="blank"),
        pytest.param([None, 3, {"role": "Instructor"}], None, id="not-strings"),
        pytest.param([None, MEMBERSHIP + "Learner"], Role.STUDENT, id="junk-beside-Learner"),
        pytest.param(["learner", "INSTRUCTOR"], None, id="wrong-case"),
        pytest.param([MEMBERSHIP], None, id="bare-prefix"),
        pytest.param([SUB], None, id="bare-sub-prefix"),
        pytest.param([MEMBERSHIP + "Instructor#TeachingAssistant"], None, id="sub-role-wrong-form"),
        pytest.param(["https://evil.example/membership#Instructor"], None, id="foreign-vocab"),
        pytest.param([LIS + "person#Administrator"], None, id="no-such-vocab"),
        pytest.param(["urn:lti:role:ims/lis/Instructor"], None, id="lti-1.1-urn"),
        pytest.param(["Instructor\x00"], None, id="nul-byte"),
    ],
)
def test_map_roles(lti_roles: list[Any], expected: Role | None) -> None:
    assert map_roles(lti_roles) == expected


@pytest.mark.parametrize(
    "claim",
    [
        pytest.param(MEMBERSHIP + "Instructor", id="a-string-not-a-list"),
        pytest.param("Instructor", id="short-string-not-a-list"),
        pytest.param({MEMBERSHIP + "Instructor": True}, id="an-object"),
        pytest.param(None, id="null"),
        pytest.param(42, id="a-number"),
    ],
)
def test_roles_claim_that_is_not_an_array_gives_no_role(claim: Any) -> None:
    """LTI 1.3 §5.3.7: roles is an array; anything else is no role, not a guess."""
    assert map_roles(claim) is None


def test_tuples_and_generators_are_read_like_lists() -> None:
    assert map_roles((MEMBERSHIP + "Learner",)) == Role.STUDENT
    assert map_roles(r for r in [MEMBERSHIP + "Instructor"]) == Role.COACH
