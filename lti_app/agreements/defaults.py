"""What a new programme's agreement template starts from: the sections, their default clauses
(the school's twelve workplace commitments among them) and the signing orders offered.

Strings are English msgids translated in the catalogs; a template is written out in one
language when it is made, so the text that is signed never depends on who reads it.
"""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from lti_app.agreements.models import Party

# key → title; the order is the order of the agreement's chapters.
SECTION_TITLES: dict[str, Any] = {
    "expectations": _l("What the college expects of the student"),
    "school": _l("What the school undertakes"),
    "college": _l("What the college undertakes"),
    "student": _l("What the student undertakes"),
    "practical": _l("Practical arrangements"),
    "privacy": _l("Privacy"),
    "lio": _l("LIO-baan"),
}
# Filled in from the placement under "practical"; the template holds only the clauses.
LIO_SECTION = "lio"

DEFAULT_CLAUSES: dict[str, list[Any]] = {
    "expectations": [
        _l(
            "The student prepares every lesson in writing and gives the lesson plan to the mentor "
            "in good time, as agreed with the mentor."
        ),
        _l(
            "The student reflects on their practice in the reflection journal and asks for "
            "feedback on the competencies of the professional standard (basiscompetenties)."
        ),
        _l(
            "The student behaves as a member of the school team: on time, discreet, and "
            "respecting the school's pedagogical project and rules."
        ),
        _l(
            "The student reports absence in advance to the mentor, the school and the coach, "
            "and makes up for what was missed in consultation."
        ),
    ],
    "school": [
        _l("supports the student appreciatively with targeted feedback, guidance and coaching;"),
        _l("contributes actively to the programme's learning goals;"),
        _l("contributes to subject-didactic guidance;"),
        _l("creates chances to bridge theory and practice;"),
        _l("is open to self-reflection and collegial exchange;"),
        _l(
            "supports the programme's vision on responding constructively to specific "
            "educational needs;"
        ),
        _l("brings the student into its professional network;"),
        _l(
            "communicates constructively with the college and the student, in the interest of "
            "the student's learning;"
        ),
        _l("has an accessible contact person;"),
        _l("knows what the college expects of the student;"),
        _l(
            "is open to new insights, tries new approaches arising from the collaboration and "
            "reflects on them together;"
        ),
        _l("collaborates critically and constructively to train the student as well as possible."),
    ],
    "college": [
        _l(
            "A coach (stagebegeleider) follows the student, visits the placement and is the "
            "school's point of contact at the college."
        ),
        _l(
            "The college informs the school of what it expects of the student and of the "
            "programme's learning goals, and offers the mentor content inspiration."
        ),
        _l(
            "The college sets the final evaluation in consultation with the school; the mentor "
            "advises, the college's examiner decides."
        ),
        _l(
            "The placement coordinator of the college is the point of escalation when problems "
            "arise."
        ),
    ],
    "student": [
        _l("The student keeps to the agreed schedule and planned volume and logs their hours."),
        _l(
            "The student keeps what they learn about pupils, parents and colleagues "
            "confidential, and keeps pupil data out of the reflection journal."
        ),
        _l(
            "The student tells the coach without delay about anything that endangers the placement."
        ),
    ],
    "practical": [
        _l(
            "The placement is unpaid and gives the student no employment relationship with the "
            "school, unless this is a LIO-baan."
        ),
        _l(
            "The college's insurance covers the student's civil liability and accidents during "
            "the placement and on the way to and from it."
        ),
        _l(
            "Where the placement involves workshops, labs or other risks, the school provides "
            "the risk analysis and, when a medical check is needed, the workstation sheet "
            "(werkpostfiche)."
        ),
    ],
    "privacy": [
        _l(
            "The college is the controller of the personal data in Driehoek; it processes them "
            "only to organise, follow and evaluate the placement."
        ),
        _l(
            "The school shares only its mentors' and contact person's work contact details; "
            "each party sees only what its part in the placement needs."
        ),
        _l(
            "Personal data are kept no longer than the college's retention rules allow; "
            "questions go to the college's data protection officer."
        ),
    ],
    "lio": [
        _l(
            "The LIO-baan is a paid appointment at the school and replaces the practice of the "
            "programme up to the credits the college recognises."
        ),
        _l(
            "Below 500 uren-leraar a year the LIO-baan is topped up with a placement (stage) "
            "agreed with the coach."
        ),
        _l(
            "The school names a mentor who guides the trainee teacher as for a placement, and "
            "takes part in the tripartite meeting."
        ),
    ],
}


def default_sections(language: str) -> list[dict[str, Any]]:
    """The default chapters written out in ``language``."""
    with force_locale(language):
        return [
            {
                "key": key,
                "title": str(title),
                "clauses": [str(c) for c in DEFAULT_CLAUSES[key]],
            }
            for key, title in SECTION_TITLES.items()
        ]


# -- signing orders ---------------------------------------------------------------------------

DEFAULT_ORDER = "student>school>college"
ORDERS = (
    "student>school>college",
    "school>student>college",
    "student>college>school",
    "college>school>student",
    "student+school>college",
    "student+school+college",
)


def parse_order(key: str) -> list[list[str]]:
    """``student+school>college`` → [["student", "school"], ["college"]] (steps, in order).

    :raise ValueError: not each of the three parties exactly once.
    """
    steps = [[p for p in step.split("+") if p] for step in key.split(">")]
    parties = [p for step in steps for p in step]
    if sorted(parties) != sorted(p.value for p in Party) or any(not s for s in steps):
        raise ValueError(f"not a signing order: {key!r}")
    return steps


def order_key(steps: list[list[str]]) -> str:
    return ">".join("+".join(step) for step in steps)
