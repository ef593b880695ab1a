"""The form-template editor's rows, without the web: the scale's levels and the blocks (headings,
scale items on a competency of the programme's current framework, texts, checklists) as posted,
and checking them before a new version is saved. Keys stay stable as in editing.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from lti_app.feedback.blocks import BLOCK_TYPES, NOT_OBSERVED
from lti_app.feedback.editing import (
    KEY,
    TEXT_MAX,
    TITLE_MAX,
    Errors,
    apply_action,
    check_key,
    check_length,
    check_title,
    count,
    fresh_key,
    one_line,
    several_lines,
)
from lti_app.feedback.models import FilledBy

NEW_OPTIONS = 2  # empty option rows offered under each checklist, for adding without script
MAX_LEVELS = 10


def _texts(value: Any) -> dict[str, str]:
    value = value or {}
    if isinstance(value, str):
        return {"nl": value, "en": ""}
    return {"nl": str(value.get("nl", "")), "en": str(value.get("en", ""))}


def template_state(template: Any) -> dict[str, Any]:
    """A saved template as the editor's state."""
    return {
        "title": _texts(template.title),
        "filled_by": str(template.filled_by),
        "levels": [
            {
                "key": str(s["key"]),
                "value": str(s["value"]),
                "label": _texts(s.get("label")),
                "new": False,
            }
            for s in template.scale
        ],
        "blocks": [
            {
                "key": str(b["key"]),
                "type": str(b["type"]),
                "label": _texts(b.get("label")),
                "help": _texts(b.get("help")),
                "competency": b.get("competency") or "",
                "required": bool(b.get("required", False)),
                "options": [
                    {"key": str(o["key"]), "label": _texts(o.get("label"))}
                    for o in b.get("options", [])
                ],
                "new": False,
            }
            for b in template.blocks
        ],
    }


def posted_template_state(form: Mapping[str, str]) -> dict[str, Any]:
    levels = []
    for i in range(min(count(form, "l-count"), MAX_LEVELS)):
        p = f"l-{i}-"
        levels.append(
            {
                "key": one_line(form.get(p + "key")).lower(),
                "value": one_line(form.get(p + "value")),
                "label": _posted_texts(form, p + "label"),
                "new": form.get(p + "new") == "1",
            }
        )
    blocks = []
    for i in range(count(form, "b-count")):
        p = f"b-{i}-"
        options = []
        for j in range(count(form, p + "o-count")):
            q = f"{p}o-{j}-"
            label = _posted_texts(form, q + "label")
            if any(label.values()):
                options.append({"key": one_line(form.get(q + "key")), "label": label})
        kind = form.get(p + "type", "")
        blocks.append(
            {
                "key": one_line(form.get(p + "key")).lower(),
                "type": kind if kind in BLOCK_TYPES else "text",
                "label": _posted_texts(form, p + "label"),
                "help": {lang: several_lines(form.get(f"{p}help_{lang}")) for lang in ("nl", "en")},
                "competency": one_line(form.get(p + "competency")),
                "required": form.get(p + "required") == "1",
                "options": options,
                "new": form.get(p + "new") == "1",
            }
        )
    return {
        "title": _posted_texts(form, "title"),
        "filled_by": form.get("filled_by", ""),
        "levels": levels,
        "blocks": blocks,
    }


def _posted_texts(form: Mapping[str, str], prefix: str) -> dict[str, str]:
    return {lang: one_line(form.get(f"{prefix}_{lang}")) for lang in ("nl", "en")}


def new_block(kind: str) -> dict[str, Any]:
    return {
        "key": "",
        "type": kind if kind in BLOCK_TYPES else "text",
        "label": {"nl": "", "en": ""},
        "help": {"nl": "", "en": ""},
        "competency": "",
        "required": False,
        "options": [],
        "new": True,
    }


def add_block(state: dict[str, Any], kind: str) -> bool:
    """A new empty block of ``kind`` at the end (False for a kind there is not)."""
    if kind not in BLOCK_TYPES:
        return False
    return apply_action(state["blocks"], "add", new_block(kind))


def new_level() -> dict[str, Any]:
    return {"key": "", "value": "", "label": {"nl": "", "en": ""}, "new": True}


def check_template(
    state: dict[str, Any],
    *,
    competencies: set[str],
    current_blocks: set[str],
    used_blocks: set[str],
    current_levels: set[str],
) -> tuple[dict[str, Any], Errors]:
    """What to save (title, filled_by, scale, blocks) and the problems found (empty when none).

    ``competencies``: the keys of the programme's current framework, the only ones a scale item
    may name; the other sets as for ``editing.check_framework``.
    """
    errors: Errors = {}
    check_title(errors, "title_nl", state["title"]["nl"], _l("Give the form a title."))
    check_length(errors, "title_en", state["title"]["en"], TITLE_MAX)
    if state["filled_by"] not in {str(f) for f in FilledBy}:
        errors["filled_by"] = _l("Choose who fills in the form.")
    scale = _check_levels(state["levels"], errors, current_levels)
    if not any(b["type"] != "heading" for b in state["blocks"]):
        errors[""] = [_l("A form needs at least one item to fill in.")]
    seen: set[str] = set()
    for i, block in enumerate(state["blocks"]):
        p = f"b-{i}-"
        check_title(errors, p + "label_nl", block["label"]["nl"], _l("Give the item a text."))
        check_length(errors, p + "label_en", block["label"]["en"], TITLE_MAX)
        for lang in ("nl", "en"):
            check_length(errors, f"{p}help_{lang}", block["help"][lang], TEXT_MAX)
        if block["type"] == "scale" and block["competency"] not in competencies:
            errors[p + "competency"] = _l(
                "Choose a competency of the programme's current framework."
            )
        if block["type"] == "checklist" and not block["options"]:
            errors[p + "options"] = _l("A checklist needs at least one option.")
        for j, option in enumerate(block["options"]):
            if not option["label"]["nl"]:
                errors[f"{p}o-{j}-label_nl"] = _l("Give the option a Dutch text.")
        check_key(errors, p + "key", block, current=current_blocks, used=used_blocks, seen=seen)
    if errors:
        return {}, errors
    taken = used_blocks | seen
    blocks = []
    for block in state["blocks"]:
        key = block["key"] or fresh_key("b", taken)
        taken.add(key)
        blocks.append(_saved_block(block, key))
    return {
        "title": dict(state["title"]),
        "filled_by": FilledBy(state["filled_by"]),
        "scale": scale,
        "blocks": blocks,
    }, {}


def _saved_block(block: dict[str, Any], key: str) -> dict[str, Any]:
    saved: dict[str, Any] = {"key": key, "type": block["type"], "label": dict(block["label"])}
    if any(block["help"].values()):
        saved["help"] = dict(block["help"])
    if block["type"] == "heading":
        return saved
    saved["required"] = block["required"]
    if block["type"] == "scale":
        saved["competency"] = block["competency"]
    if block["type"] == "checklist":
        taken = {o["key"] for o in block["options"] if o["key"]}
        options = []
        for option in block["options"]:
            option_key = option["key"] if KEY.match(option["key"] or "") else ""
            option_key = option_key or fresh_key("o", taken)
            taken.add(option_key)
            options.append({"key": option_key, "label": dict(option["label"])})
        saved["options"] = options
    return saved


def _check_levels(
    levels: list[dict[str, Any]], errors: Errors, current: set[str]
) -> list[dict[str, Any]]:
    if len(levels) < 2:
        errors["levels"] = _l("A scale needs at least two levels.")
    values: set[int] = set()
    seen: set[str] = set()
    for i, level in enumerate(levels):
        p = f"l-{i}-"
        check_title(errors, p + "label_nl", level["label"]["nl"], _l("Give the level a name."))
        check_length(errors, p + "label_en", level["label"]["en"], TITLE_MAX)
        raw = level["value"].lstrip("-")
        if not raw.isdigit() or len(raw) > 3:
            errors[p + "value"] = _l("A level's value is a whole number (higher is better).")
        elif int(level["value"]) in values:
            errors[p + "value"] = _l("Two levels have the same value.")
        else:
            values.add(int(level["value"]))
        if level["key"] == NOT_OBSERVED:
            errors[p + "key"] = _l("“not observed” is always offered; it is not a level.")
        else:
            check_key(errors, p + "key", level, current=current, used=set(), seen=seen)
    if any(name.startswith("l-") or name == "levels" for name in errors):
        return []
    taken = set(seen)
    scale = []
    for level in levels:
        key = level["key"] or fresh_key("level", taken)
        taken.add(key)
        scale.append({"key": key, "value": int(level["value"]), "label": dict(level["label"])})
    # From the highest level down, as forms list them.
    return sorted(scale, key=lambda s: -s["value"])
