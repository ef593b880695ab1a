"""What each person of the sandbox sees when a newcomer opens Driehoek as them: one line each,
for the welcome page beside the course page. The lines describe ``demo_states``."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from lti_app.sandbox import demo_states as states

# Lines said apart, so that each keeps its own translation.
MORE = ("growth", "journal")
# By sandbox id (people of the LMS) or "mentor:<key>" (mentors, who sign in by link).
LINES: dict[str, Any] = {
    states.COACH: _l(
        "Mehdi's proposal to approve or return, Jonas's returned one, and Louise's agreement "
        "waiting for the college's signature."
    ),
    "coordinator-koen": _l("The same course, and the programme's agreement template to edit."),
    states.LOTTE: _l(
        "Her agreement to sign again: the coach changed the schedule after she signed, which "
        "voided her signature."
    ),
    states.MEHDI: _l("His proposed placement, waiting for the coach."),
    states.SOFIE: _l(
        "In English: an active agreement with its signed PDF, and her hours: a week approved, "
        "two days waiting, one entry returned with a reason."
    ),
    # Said apart, so the line above keeps its translation.
    "growth:" + states.SOFIE: _l(
        "A semester of feedback: twelve forms from her mentor and the coach, her growth chart "
        "per competency filled from Werkpunt to Kwaliteit."
    ),
    "journal:" + states.SOFIE: _l(
        "Her reflection journal, from her home page: six entries (ALACT and STARR, one started "
        "from her mentor's growth point), a final reflection and a draft, handed in for the "
        "course's assignment Reflectiejournaal."
    ),
    "journal:" + states.COACH: _l(
        "Sofie's journal, handed in for the assignment Reflectiejournaal, waits in the grading "
        "queue; a grade released there appears in the sandbox's gradebook (its link is on the "
        "left, under Add content)."
    ),
    states.JONAS: _l(
        "His proposal, returned by the coach with a reason, to change and send again."
    ),
    states.EMMA: _l("Her agreement as a draft the coach has not sent for signing yet."),
    states.NOAH: _l("His agreement, signed by him, waiting for his mentor Els."),
    states.LOUISE: _l("Her agreement, signed by her and her mentor, waiting for the college."),
    "noord-coach-ilse": _l(
        "A second college: asked at her first launch which programme her course belongs to."
    ),
    "noord-student-yana": _l("A student of the second college, without a placement yet."),
    "mentor:" + states.ELS.key: _l("Sofie's hours to approve and Noah's agreement to sign."),
    "mentor:" + states.PIETER.key: _l(
        "Louise's agreement, which he signed, and Lotte's, which waits for Lotte first."
    ),
}


def line(key: str) -> Any:
    """What ``key`` sees; for Sofie also her semester of feedback and her journal."""
    said = [
        LINES.get(key, ""),
        *(LINES[f"{more}:{key}"] for more in MORE if f"{more}:{key}" in LINES),
    ]
    return " ".join(str(s) for s in said if s)
