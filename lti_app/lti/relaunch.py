"""Where a launch that lost its state cookie can start again, in a window of its own.

A launch that arrives without its state cookie signs nobody in: the cookie is what ties the
launch to this browser. A new, first-party window keeps cookies, but only the platform can start
a launch there (OIDC third-party initiated login begins at the platform, with a fresh
``lti_message_hint``). Re-sending the old login's parameters works only where the platform accepts
a hint more than once (lti1p3platform; Canvas's signed hints). Moodle does not: its hint names a
launch kept in the Moodle session, which its auth endpoint forgets on first use
(``mod/lti/auth.php``: ``unset($SESSION->$launchid)``), so a second use answers "Invalid request".

For Moodle the new window therefore opens Moodle's own launch page of the activity,
``/mod/lti/launch.php?id=<course module>``, which makes a new login with a new hint for whoever is
signed in to Moodle in that browser. Moodle 3.11 to 4.5 send the course module in the hint, as
JSON ``{"cmid": …, "launchid": "ltilaunch…"}`` (``lti_build_login_request`` in
``mod/lti/locallib.php``); Moodle 3.10 sent the bare course module id.

Nothing here signs anyone in or trusts the browser: the address is on the platform's own origin
(the verified issuer), and the platform decides who is launched.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MAX_HINT = 2000


def platform_launch_url(
    issuer: str, login_params: Mapping[str, Any], claims: Mapping[str, Any]
) -> str | None:
    """The platform's own launch page for this resource, or None when we cannot tell it.

    ``issuer`` is the verified issuer of the launch; ``login_params`` what the login that issued
    its state received; ``claims`` the verified launch.
    """
    parts = urlsplit(issuer)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        return None
    cmid = _moodle_course_module(login_params.get("lti_message_hint"), claims)
    if cmid is None:
        return None
    query = urlencode({"id": cmid, "triggerview": 0})  # triggerview=0: as Moodle's own new window
    return f"{issuer.rstrip('/')}/mod/lti/launch.php?{query}"


def _moodle_course_module(hint: Any, claims: Mapping[str, Any]) -> int | None:
    if not isinstance(hint, str) or not hint or len(hint) > MAX_HINT:
        return None
    if hint.isdigit():
        # Moodle 3.10's bare course module id: only when the launch says it came from Moodle.
        platform = claims.get(CLAIM + "tool_platform")
        family = platform.get("product_family_code") if isinstance(platform, Mapping) else None
        return _positive(hint) if family == "moodle" else None
    try:
        data = json.loads(hint)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    launch_id = data.get("launchid")
    if not isinstance(launch_id, str) or not launch_id.startswith("ltilaunch"):
        return None
    return _positive(data.get("cmid"))


def _positive(value: Any) -> int | None:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        return None
    return value
