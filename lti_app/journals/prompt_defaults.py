"""The reflection prompt sets a programme starts with (DOMAIN.md §4), in Dutch and English:
Korthagen's ALACT cycle, STARR, and a free entry. The coordinator may change every text.

A prompt may name its ``phase``: consecutive prompts of one phase are shown together under it
(ALACT's second phase asks eight questions: what I wanted, did, thought, felt, and the same of
the pupils — Artevelde judges a reflection partly on that attention to both sides).
"""

from __future__ import annotations

from typing import Any


def _t(nl: str, en: str) -> dict[str, str]:
    return {"nl": nl, "en": en}


def _prompt(
    key: str, label: tuple[str, str], help_: tuple[str, str] = ("", ""), phase: Any = None
) -> dict[str, Any]:
    found: dict[str, Any] = {"key": key, "label": _t(*label), "help": _t(*help_)}
    if phase is not None:
        found["phase"] = phase
    return found


_LOOK_BACK = _t("2. Terugblikken", "2. Looking back")
_LOOK_BACK_QUESTIONS = [
    ("me_want", ("Wat wilde ik?", "What did I want?")),
    ("me_do", ("Wat deed ik?", "What did I do?")),
    ("me_think", ("Wat dacht ik?", "What did I think?")),
    ("me_feel", ("Wat voelde ik?", "What did I feel?")),
    ("pupils_want", ("Wat wilden de leerlingen?", "What did the pupils want?")),
    ("pupils_do", ("Wat deden de leerlingen?", "What did the pupils do?")),
    ("pupils_think", ("Wat dachten de leerlingen?", "What did the pupils think?")),
    ("pupils_feel", ("Wat voelden de leerlingen?", "What did the pupils feel?")),
]

ALACT: dict[str, Any] = {
    "key": "alact",
    "title": _t("Reflectiecyclus van Korthagen (ALACT)", "Korthagen's reflection cycle (ALACT)"),
    "intro": _t(
        "Vijf fasen: handelen, terugblikken, bewustwording van essentiële aspecten, "
        "alternatieven ontwikkelen en kiezen, uitproberen. Het uitproberen is het handelen "
        "van je volgende cyclus.",
        "Five phases: action, looking back, awareness of essential aspects, creating "
        "alternatives and choosing one, trial. The trial is the action of your next cycle.",
    ),
    "prompts": [
        _prompt(
            "action",
            ("1. Handelen", "1. Action"),
            (
                "Welke concrete situatie kies je? Wat gebeurde er, waar en wanneer?",
                "Which concrete situation do you choose? What happened, where and when?",
            ),
        ),
        *[_prompt(key, label, phase=_LOOK_BACK) for key, label in _LOOK_BACK_QUESTIONS],
        _prompt(
            "awareness",
            ("3. Bewustwording van essentiële aspecten", "3. Awareness of essential aspects"),
            (
                "Wat is de kern? Hoe hangen de antwoorden hierboven samen, en wat betekent "
                "dat voor jou?",
                "What is at the heart of it? How do the answers above relate, and what does "
                "that mean to you?",
            ),
        ),
        _prompt(
            "alternatives",
            (
                "4. Alternatieven ontwikkelen en daaruit kiezen",
                "4. Creating alternatives and choosing one",
            ),
            (
                "Welke mogelijkheden zie je? Wat zijn de voor- en nadelen? Welke kies je, en "
                "waarom?",
                "Which options do you see? Their advantages and drawbacks? Which do you "
                "choose, and why?",
            ),
        ),
        _prompt(
            "trial",
            ("5. Uitproberen", "5. Trial"),
            (
                "Wat probeer je de volgende keer, en wanneer? Dit is de start van je "
                "volgende cyclus.",
                "What will you try next time, and when? This starts your next cycle.",
            ),
        ),
    ],
}

STARR: dict[str, Any] = {
    "key": "starr",
    "title": _t("STARR", "STARR"),
    "intro": _t(
        "Situatie, taak, actie, resultaat en reflectie: beschrijf één concrete situatie.",
        "Situation, task, action, result and reflection: describe one concrete situation.",
    ),
    "prompts": [
        _prompt(
            "situation",
            ("Situatie", "Situation"),
            ("Wat was de situatie? Waar, wanneer, in welke klas?", "What was the situation?"),
        ),
        _prompt(
            "task",
            ("Taak", "Task"),
            ("Wat was jouw taak of je doel?", "What was your task or goal?"),
        ),
        _prompt(
            "action",
            ("Actie", "Action"),
            ("Wat deed je precies?", "What exactly did you do?"),
        ),
        _prompt(
            "result",
            ("Resultaat", "Result"),
            ("Wat was het resultaat, bij jou en bij de leerlingen?", "What was the result?"),
        ),
        _prompt(
            "reflection",
            ("Reflectie", "Reflection"),
            (
                "Wat leer je hieruit? Wat doe je de volgende keer anders of opnieuw?",
                "What do you learn from it? What will you do differently, or again?",
            ),
        ),
    ],
}

FREE: dict[str, Any] = {
    "key": "free",
    "title": _t("Vrije reflectie", "Free reflection"),
    "intro": _t("Schrijf in je eigen woorden.", "Write in your own words."),
    "prompts": [_prompt("text", ("Je reflectie", "Your reflection"))],
}


def default_sets() -> list[dict[str, Any]]:
    """A fresh copy of the three default sets (callers may change what they get)."""
    import copy

    return copy.deepcopy([ALACT, STARR, FREE])
