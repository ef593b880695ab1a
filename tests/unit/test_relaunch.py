"""lti.relaunch: the platform's own launch page, for a launch that lost its state cookie."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lti_app.lti.relaunch import platform_launch_url

MOODLE = "https://moodle.example/sub"
FROM_MOODLE = {
    "https://purl.imsglobal.org/spec/lti/claim/tool_platform": {"product_family_code": "moodle"}
}


def hint(**data: Any) -> dict[str, str]:
    return {"lti_message_hint": json.dumps(data)}


@pytest.mark.parametrize(
    ("issuer", "params", "claims", "expected"),
    [
        # Moodle 3.11-4.5: JSON with the course module and its one-time launch id.
        (MOODLE, hint(cmid=7, launchid="ltilaunch3_123"), {}, "/mod/lti/launch.php?id=7"),
        (MOODLE + "/", hint(cmid="7", launchid="ltilaunch3_1"), {}, "/mod/lti/launch.php?id=7"),
        # Moodle 3.10: the bare course module, only when the launch says it came from Moodle.
        (MOODLE, {"lti_message_hint": "7"}, FROM_MOODLE, "/mod/lti/launch.php?id=7"),
        (MOODLE, {"lti_message_hint": "7"}, {}, None),
        # Content selection has no course module; other platforms' hints mean nothing here.
        (MOODLE, hint(launchid="ltilaunch_ContentItemSelectionRequest1"), {}, None),
        (MOODLE, {"lti_message_hint": "resource-link-1"}, FROM_MOODLE, None),
        (MOODLE, {}, FROM_MOODLE, None),
        (MOODLE, hint(cmid=7, launchid="other"), {}, None),
        (MOODLE, hint(cmid=7), {}, None),
        (MOODLE, hint(cmid=-7, launchid="ltilaunch1"), {}, None),
        (MOODLE, hint(cmid=0, launchid="ltilaunch1"), {}, None),
        (MOODLE, hint(cmid=True, launchid="ltilaunch1"), {}, None),
        (MOODLE, hint(cmid="7&id=8", launchid="ltilaunch1"), {}, None),
        (MOODLE, hint(cmid="٧", launchid="ltilaunch1"), {}, None),  # a digit, but not ASCII
        (MOODLE, hint(cmid=2**70, launchid="ltilaunch1"), {}, None),
        (MOODLE, {"lti_message_hint": "[1, 2]"}, {}, None),
        (MOODLE, {"lti_message_hint": "{" * 5000}, {}, None),
        (MOODLE, {"lti_message_hint": 7}, {}, None),
        # Only an http(s) issuer without query or fragment is a base for an address.
        ("javascript:alert(1)", hint(cmid=7, launchid="ltilaunch1"), {}, None),
        ("https://moodle.example/?x=1", hint(cmid=7, launchid="ltilaunch1"), {}, None),
        ("moodle.example", hint(cmid=7, launchid="ltilaunch1"), {}, None),
    ],
)
def test_platform_launch_url(
    issuer: str, params: dict[str, Any], claims: dict[str, Any], expected: str | None
) -> None:
    found = platform_launch_url(issuer, params, claims)
    if expected is None:
        assert found is None
    else:
        assert found == issuer.rstrip("/") + expected + "&triggerview=0"
