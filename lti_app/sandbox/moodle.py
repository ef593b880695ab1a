"""The sandbox's Moodle-like mode (the course page with ``?hints=once``).

Each launch goes through the activity's launch page, ``/sandbox/mod/lti/launch.php?id=…`` as in
Moodle, whose ``lti_message_hint`` names a launch kept server-side that the auth endpoint forgets
on first use (Moodle's ``mod/lti/auth.php``): a tool that sends the same hint twice meets
"Invalid request", as it would on Moodle.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from lti_app.sandbox.demo import MAIN, DemoPerson, college_of
from lti_app.sandbox.platform import issuer, tool_launch_url

COURSE_MODULE = 7
LAUNCH_SECONDS = 2 * 3600  # as long as a Moodle session keeps an unused launch
SIGNED_IN_COOKIE = "sandbox_user"  # who is "signed in to the LMS" in this browser


def one_time_hint(store: Any, who: DemoPerson) -> str:
    """A hint like Moodle's: ``{"cmid": …, "launchid": …}``, usable once, for ``who`` only."""
    launch_id = f"ltilaunch{COURSE_MODULE}_{uuid.uuid4().hex}"
    store.put("sandbox-launch-" + launch_id, {"sub": who.id}, LAUNCH_SECONDS)
    return json.dumps({"cmid": COURSE_MODULE, "launchid": launch_id})


def spend_one_time_hint(store: Any, hint: str, login_hint: str) -> bool:
    """Whether ``hint`` is a one-time hint issued to ``login_hint`` and not used before; it is
    spent either way."""
    try:
        launch_id = json.loads(hint).get("launchid")
    except (ValueError, AttributeError):
        return False
    if not isinstance(launch_id, str):
        return False
    launch = store.take("sandbox-launch-" + launch_id)
    return isinstance(launch, dict) and launch.get("sub") == login_hint


def login_fields(who: DemoPerson, hint: str) -> dict[str, str]:
    """The login initiation the platform sends the tool (LTI 1.3 §5.1.1.1) for ``who``."""
    demo = college_of(who.id) or MAIN
    return {
        "iss": issuer(),
        "login_hint": who.id,
        "target_link_uri": tool_launch_url(),
        "lti_message_hint": hint,
        "client_id": demo.client_id,
        "lti_deployment_id": demo.deployment_id,
    }
