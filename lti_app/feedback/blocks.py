"""Typed views of a framework's and a template's JSON (shapes in models.py), in one language.

Everything that shows a form, a framework or a growth chart reads them through here, so the JSON
shapes live in one place. A text in a language the row lacks falls back to Dutch, then to any.

A competency's behaviour indicators are written per level of the default scale:
``"indicators": {"kwaliteit": {"nl": …, "en": …}, "werkpunt": {…}, …}`` (levels without text are
left out). Frameworks saved before that hold ``{"nl": [], "en": []}``, which reads as none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

NOT_OBSERVED = "not_observed"
BLOCK_TYPES = ("heading", "scale", "text", "checklist")


def pick(texts: Mapping[str, str] | str | None, language: str) -> str:
    """The text in ``language``, else Dutch, else the first there is."""
    if texts is None:
        return ""
    if isinstance(texts, str):
        return texts
    return texts.get(language) or texts.get("nl") or next(iter(texts.values()), "")


@dataclass(frozen=True, slots=True)
class Competency:
    key: str
    group: str  # "fg" (functioneel geheel) or "attitude"
    title: str
    indicators: tuple[str, ...] = ()  # the old shape's list, one language (none are saved so)
    # Behaviour indicators per level: (level key, text), in the framework's order.
    level_indicators: tuple[tuple[str, str], ...] = ()

    def indicator(self, level_key: str) -> str:
        """What the competency looks like at that level ("" when the coordinator wrote none)."""
        return next((text for key, text in self.level_indicators if key == level_key), "")


@dataclass(frozen=True, slots=True)
class Level:
    key: str
    value: int  # higher is better; used to draw growth
    label: str


@dataclass(frozen=True, slots=True)
class Option:
    key: str
    label: str


@dataclass(frozen=True, slots=True)
class Block:
    key: str
    type: str  # one of BLOCK_TYPES
    label: str
    help: str = ""
    competency: str | None = None
    required: bool = False
    options: tuple[Option, ...] = field(default_factory=tuple)


def competencies(raw: list[dict[str, Any]], language: str) -> list[Competency]:
    return [
        Competency(
            key=str(c["key"]),
            group=str(c.get("group", "fg")),
            title=pick(c.get("title"), language),
            indicators=tuple(_texts(c.get("indicators"), language)),
            level_indicators=_per_level(c.get("indicators"), language),
        )
        for c in raw
    ]


def levels(raw: list[dict[str, Any]], language: str) -> list[Level]:
    return [Level(str(s["key"]), int(s["value"]), pick(s.get("label"), language)) for s in raw]


def blocks(raw: list[dict[str, Any]], language: str) -> list[Block]:
    return [
        Block(
            key=str(b["key"]),
            type=str(b["type"]),
            label=pick(b.get("label"), language),
            help=pick(b.get("help"), language),
            competency=b.get("competency") or None,
            required=bool(b.get("required", False)),
            options=tuple(
                Option(str(o["key"]), pick(o.get("label"), language)) for o in b.get("options", [])
            ),
        )
        for b in raw
    ]


def _texts(value: Any, language: str) -> list[str]:
    """The old shape ``{"nl": [...], "en": [...]}`` (or a bare list)."""
    if not value:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    chosen = value.get(language) or value.get("nl") or []
    return [str(v) for v in chosen] if isinstance(chosen, list) else []


def _per_level(value: Any, language: str) -> tuple[tuple[str, str], ...]:
    """The per-level shape ``{"kwaliteit": {"nl": …, "en": …}, …}``; the old shape has none."""
    if not isinstance(value, Mapping):
        return ()
    found = []
    for level, texts in value.items():
        if isinstance(texts, Mapping):
            text = pick(texts, language)
            if text:
                found.append((str(level), text))
    return tuple(found)
