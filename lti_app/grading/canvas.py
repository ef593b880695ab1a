"""Canvas's score extension, so SpeedGrader opens the coach's review of the journal.

Canvas takes, next to an AGS score, ``https://canvas.instructure.com/lti/submission``
(https://canvas.instructure.com/doc/api/score.html): with ``submission_type``
``basic_lti_launch`` and ``submission_data`` a URL of the tool, the submission in SpeedGrader
is an LTI launch of that URL; ``new_submission`` says whether this is a new attempt (the first
send) or a regrade of the same one. Other platforms ignore what they do not know, but we send
it to Canvas only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

SUBMISSION_EXTENSION = "https://canvas.instructure.com/lti/submission"
CANVAS_HOST_SUFFIXES = ("instructure.com",)


def is_canvas(issuer: str) -> bool:
    """Canvas's issuers are https://canvas.instructure.com (and its beta and test twins)."""
    host = (urlsplit(issuer).hostname or "").lower()
    return any(host == s or host.endswith("." + s) for s in CANVAS_HOST_SUFFIXES)


def submission_extension(review_url: str, *, first: bool) -> dict[str, Any]:
    """The extension's value for one score. No ``submitted_at``: Canvas would judge lateness
    by it, and the release is not when the student handed in."""
    return {
        "new_submission": first,
        "submission_type": "basic_lti_launch",
        "submission_data": review_url,
    }
