"""What a programme starts with: the basiscompetenties (ten functionele gehelen plus the
attitudes, DOMAIN.md §1) as its framework, the four-level scale plus "not observed" (§4), and
five forms in Dutch and English. All of it is editable by the coordinator: the wording of the
2018 annex is to be checked against the decree, and colleges use their own words on top.
"""

from __future__ import annotations

from typing import Any

from lti_app.feedback.models import FilledBy, FormKind


def _t(nl: str, en: str) -> dict[str, str]:
    return {"nl": nl, "en": en}


FUNCTIONELE_GEHELEN = [
    ("fg1", "begeleider van leer- en ontwikkelingsprocessen", "guide of learning and development"),
    ("fg2", "opvoeder", "educator"),
    ("fg3", "inhoudelijk expert", "subject expert"),
    ("fg4", "organisator", "organiser"),
    ("fg5", "innovator – onderzoeker", "innovator and researcher"),
    ("fg6", "partner van ouders/verzorgers", "partner of parents and carers"),
    ("fg7", "lid van een schoolteam", "member of a school team"),
    ("fg8", "partner van externen", "partner of external parties"),
    ("fg9", "lid van de onderwijsgemeenschap", "member of the educational community"),
    ("fg10", "cultuurparticipant", "participant in culture"),
]
ATTITUDES = [
    ("att_decide", "beslissingsvermogen", "decisiveness"),
    ("att_relation", "relationele gerichtheid", "relational orientation"),
    ("att_critical", "kritische ingesteldheid", "critical attitude"),
    ("att_learn", "leergierigheid", "eagerness to learn"),
    ("att_organise", "organisatievermogen", "organisational ability"),
    ("att_team", "zin voor samenwerking", "willingness to cooperate"),
    ("att_responsible", "verantwoordelijkheidszin", "sense of responsibility"),
    ("att_flexible", "flexibiliteit", "flexibility"),
]


def default_competencies() -> list[dict[str, Any]]:
    fg = [
        {
            "key": key,
            "group": "fg",
            "title": _t(f"De leraar als {nl}", f"The teacher as {en}"),
            "indicators": {},  # per level: {"kwaliteit": {"nl": …, "en": …}, …}
        }
        for key, nl, en in FUNCTIONELE_GEHELEN
    ]
    attitudes = [
        {
            "key": key,
            "group": "attitude",
            "title": _t(nl[0].upper() + nl[1:], en[0].upper() + en[1:]),
            "indicators": {},  # per level: {"kwaliteit": {"nl": …, "en": …}, …}
        }
        for key, nl, en in ATTITUDES
    ]
    return fg + attitudes


DEFAULT_SCALE: list[dict[str, Any]] = [
    {"key": "kwaliteit", "value": 4, "label": _t("Kwaliteit", "Strength")},
    {"key": "voldoende", "value": 3, "label": _t("Voldoende", "Sufficient")},
    {"key": "werkpunt", "value": 2, "label": _t("Werkpunt", "Point to work on")},
    {"key": "knelpunt", "value": 1, "label": _t("Knelpunt", "Concern")},
]


def _scale(key: str, competency: str, nl: str, en: str) -> dict[str, Any]:
    return {"key": key, "type": "scale", "competency": competency, "label": _t(nl, en)}


def _text(
    key: str, nl: str, en: str, *, required: bool = False, help_: tuple[str, str] | None = None
) -> dict[str, Any]:
    block: dict[str, Any] = {"key": key, "type": "text", "label": _t(nl, en), "required": required}
    if help_:
        block["help"] = _t(*help_)
    return block


def _heading(key: str, nl: str, en: str) -> dict[str, Any]:
    return {"key": key, "type": "heading", "label": _t(nl, en)}


_STRENGTHS = ("strengths", "Sterktes (2 à 3)", "Strengths (2 or 3)")
_GROWTH = ("growth", "Groeipunten (2 à 3)", "Growth points (2 or 3)")
_ACTIONS = ("actions", "Afgesproken acties", "Agreed actions")


def _closing(required: bool = True) -> list[dict[str, Any]]:
    return [
        _heading("h_close", "Samengevat", "In short"),
        _text(*_STRENGTHS, required=required),
        _text(*_GROWTH, required=required),
        _text(*_ACTIONS),
    ]


def _per_fg(prefix: str) -> list[dict[str, Any]]:
    return [
        _scale(f"{prefix}_{key}", key, f"De leraar als {nl}", f"The teacher as {en}")
        for key, nl, en in FUNCTIONELE_GEHELEN
    ]


LESSON_OBSERVATION = [
    _heading("h_lesson", "De les", "The lesson"),
    _scale("goals", "fg1", "Lesdoelen", "Lesson goals"),
    _scale("instruction", "fg1", "Instructie", "Instruction"),
    _scale("activation", "fg1", "Activerende werkvormen", "Activating work forms"),
    _scale("differentiation", "fg1", "Differentiatie en zorg", "Differentiation and care"),
    _scale("climate", "fg2", "Klasklimaat", "Classroom climate"),
    _scale("management", "fg4", "Klasmanagement", "Classroom management"),
    _scale("content", "fg3", "Vakdidactische correctheid", "Subject-didactic correctness"),
    _scale("time", "fg4", "Gebruik van tijd en materiaal", "Use of time and materials"),
    _scale("language", "fg3", "Taalgebruik (Nederlands)", "Language use (Dutch)"),
    *_closing(),
]

LESSON_PLAN = [
    _heading("h_plan", "De lesvoorbereiding", "The lesson plan"),
    {
        "key": "plan_checks",
        "type": "checklist",
        "label": _t("In orde", "In order"),
        "options": [
            {"key": "goals", "label": _t("Doelgericht", "Goal-directed")},
            {
                "key": "start",
                "label": _t("Past bij de beginsituatie", "Fits the starting situation"),
            },
            {"key": "build", "label": _t("Logische opbouw", "Logical build-up")},
            {"key": "board", "label": _t("Bordschema", "Board plan")},
            {
                "key": "sheets",
                "label": _t("Werkbladen zelf uitgeprobeerd", "Worksheets tried out by the student"),
            },
            {"key": "correct", "label": _t("Inhoud correct", "Content correct")},
        ],
    },
    _scale("plan_fg1", "fg1", "Opzet van het leerproces", "Design of the learning process"),
    _scale("plan_fg3", "fg3", "Inhoudelijke juistheid", "Correctness of the content"),
    _text(
        "language_errors",
        "Taalfouten",
        "Language errors",
        help_=(
            "Duid taalfouten aan, verbeter ze niet: de student verbetert zelf.",
            "Point out language errors, do not correct them: the student corrects them.",
        ),
    ),
    *_closing(),
]

MIDTERM = [
    _heading("h_fg", "Basiscompetenties", "Basic competences"),
    *_per_fg("mid"),
    _scale("mid_att_relation", "att_relation", "Relationele gerichtheid", "Relational orientation"),
    _scale(
        "mid_att_responsible",
        "att_responsible",
        "Verantwoordelijkheidszin",
        "Sense of responsibility",
    ),
    _scale("mid_att_learn", "att_learn", "Leergierigheid", "Eagerness to learn"),
    *_closing(),
]

FINAL = [
    _heading("h_fg", "Basiscompetenties", "Basic competences"),
    *_per_fg("final"),
    *_closing(),
    _heading("h_advice", "Advies van de mentor", "The mentor's advice"),
    _text(
        "advice",
        "Advies aan de stagebegeleider",
        "Advice to the coach",
        required=True,
        help_=(
            "Het cijfer bepaalt de hogeschool in samenspraak met u; uw advies weegt mee.",
            "The college sets the grade together with you; your advice counts.",
        ),
    ),
]

VISIT = [
    _heading("h_visit", "Stagebezoek", "Placement visit"),
    _scale("visit_fg1", "fg1", "Begeleiden van leerprocessen", "Guiding learning"),
    _scale("visit_fg2", "fg2", "Klasklimaat en opvoeding", "Climate and education"),
    _scale("visit_fg3", "fg3", "Inhoud en vakdidactiek", "Content and subject didactics"),
    _scale("visit_fg4", "fg4", "Organisatie", "Organisation"),
    _text("observations", "Observaties", "Observations"),
    *_closing(),
]

DEFAULT_TEMPLATES: dict[FormKind, tuple[FilledBy, dict[str, str], list[dict[str, Any]]]] = {
    FormKind.LESSON_OBSERVATION: (
        FilledBy.MENTOR,
        _t("Lesobservatie", "Lesson observation"),
        LESSON_OBSERVATION,
    ),
    FormKind.LESSON_PLAN: (
        FilledBy.MENTOR,
        _t("Feedback op de lesvoorbereiding", "Lesson-plan feedback"),
        LESSON_PLAN,
    ),
    FormKind.MIDTERM: (
        FilledBy.MENTOR,
        _t("Tussentijdse evaluatie", "Mid-term evaluation"),
        MIDTERM,
    ),
    FormKind.FINAL: (FilledBy.MENTOR, _t("Eindevaluatie", "Final evaluation"), FINAL),
    FormKind.VISIT: (FilledBy.COACH, _t("Bezoekverslag", "Visit report"), VISIT),
}
