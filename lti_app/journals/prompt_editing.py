"""The coordinator's prompt editor, without the web: the editor's rows as posted (field names like
``s-0-p-3-label_nl``), adding and removing a prompt, and checking the sets before a new version.

The sets themselves (ALACT, STARR, free) stay: their keys are what entries name. A prompt keeps
its key in every version, so an entry's answers keep meaning the same question; a new prompt
gets a key no version of its set ever used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from lti_app.journals.models import JournalPrompts

MAX_PROMPTS = 30
SHORT = 300
LONG = 2000
Errors = dict[str, Any]
LANGS = ("nl", "en")


def _one_line(value: str | None) -> str:
    return " ".join((value or "").split())


def _lines(value: str | None) -> str:
    return "\n".join(line.rstrip() for line in (value or "").strip().splitlines())


def _count(form: Mapping[str, str], name: str) -> int:
    value = form.get(name, "0")
    return min(int(value), MAX_PROMPTS) if value.isdigit() else 0


def rows_of(prompts: JournalPrompts) -> list[dict[str, Any]]:
    """A saved version as editor rows (every text in both languages)."""
    rows = []
    for raw in prompts.sets:
        rows.append(
            {
                "key": str(raw.get("key", "")),
                "title": _both(raw.get("title")),
                "intro": _both(raw.get("intro")),
                "prompts": [
                    {
                        "key": str(p.get("key", "")),
                        "label": _both(p.get("label")),
                        "help": _both(p.get("help")),
                        "phase": _both(p.get("phase")),
                    }
                    for p in raw.get("prompts", [])
                ],
            }
        )
    return rows


def _both(texts: Any) -> dict[str, str]:
    if isinstance(texts, str):
        return {"nl": texts, "en": ""}
    if not isinstance(texts, dict):
        return {"nl": "", "en": ""}
    return {lang: str(texts.get(lang) or "") for lang in LANGS}


def posted_rows(form: Mapping[str, str]) -> list[dict[str, Any]]:
    rows = []
    for i in range(_count(form, "s-count")):
        p = f"s-{i}-"
        prompts = []
        for j in range(_count(form, p + "p-count")):
            q = f"{p}p-{j}-"
            prompts.append(
                {
                    "key": _one_line(form.get(q + "key")),
                    "label": {lang: _one_line(form.get(f"{q}label_{lang}")) for lang in LANGS},
                    "help": {lang: _lines(form.get(f"{q}help_{lang}")) for lang in LANGS},
                    "phase": {lang: _one_line(form.get(f"{q}phase_{lang}")) for lang in LANGS},
                }
            )
        rows.append(
            {
                "key": _one_line(form.get(p + "key")),
                "title": {lang: _one_line(form.get(f"{p}title_{lang}")) for lang in LANGS},
                "intro": {lang: _lines(form.get(f"{p}intro_{lang}")) for lang in LANGS},
                "prompts": prompts,
            }
        )
    return rows


def apply_action(rows: list[dict[str, Any]], action: str) -> bool:
    """``add:<set>`` adds an empty prompt at the end of a set, ``remove:<set>:<prompt>`` removes
    one. True when the rows changed and the editor is shown again."""
    name, _, where = action.partition(":")
    parts = where.split(":")
    if not all(part.isdigit() for part in parts) or int(parts[0]) >= len(rows):
        return False
    prompts = rows[int(parts[0])]["prompts"]
    if name == "add" and len(parts) == 1:
        if len(prompts) < MAX_PROMPTS:
            empty = {"nl": "", "en": ""}
            prompts.append(
                {"key": "", "label": dict(empty), "help": dict(empty), "phase": {**empty}}
            )
        return True
    if name == "remove" and len(parts) == 2 and int(parts[1]) < len(prompts):
        prompts.pop(int(parts[1]))
        return True
    return False


def check(
    rows: list[dict[str, Any]], current: JournalPrompts, every: list[JournalPrompts]
) -> tuple[list[dict[str, Any]], Errors]:
    """The sets to save and the problems found (empty when they may be saved)."""
    errors: Errors = {}
    set_keys = [str(s.get("key")) for s in current.sets]
    if [r["key"] for r in rows] != set_keys:
        errors[""] = [_l("The editor's sets do not match the saved ones. Reload the page.")]
        return [], errors
    for i, row in enumerate(rows):
        p = f"s-{i}-"
        if not row["title"]["nl"]:
            errors[p + "title_nl"] = _l("Give the set a title.")
        for lang in LANGS:
            _length(errors, f"{p}title_{lang}", row["title"][lang], SHORT)
            _length(errors, f"{p}intro_{lang}", row["intro"][lang], LONG)
        if not row["prompts"]:
            errors[p + "title_nl"] = _l("A set needs at least one prompt.")
        known = _keys_of(current, row["key"])
        seen: set[str] = set()
        for j, prompt in enumerate(row["prompts"]):
            q = f"{p}p-{j}-"
            if not prompt["label"]["nl"]:
                errors[q + "label_nl"] = _l("Write the prompt.")
            for lang in LANGS:
                _length(errors, f"{q}label_{lang}", prompt["label"][lang], SHORT)
                _length(errors, f"{q}help_{lang}", prompt["help"][lang], LONG)
                _length(errors, f"{q}phase_{lang}", prompt["phase"][lang], SHORT)
            key = prompt["key"]
            if key and (key not in known or key in seen):
                errors[q + "label_nl"] = _l("This prompt's key is unknown. Reload the page.")
            seen.add(key)
    if errors:
        return [], errors
    saved = []
    for row in rows:
        taken = {k for version in every for k in _keys_of(version, row["key"])}
        prompts = []
        for prompt in row["prompts"]:
            key = prompt["key"] or _fresh(taken)
            taken.add(key)
            item: dict[str, Any] = {
                "key": key,
                "label": dict(prompt["label"]),
                "help": dict(prompt["help"]),
            }
            if prompt["phase"]["nl"] or prompt["phase"]["en"]:
                item["phase"] = dict(prompt["phase"])
            prompts.append(item)
        saved.append(
            {
                "key": row["key"],
                "title": dict(row["title"]),
                "intro": dict(row["intro"]),
                "prompts": prompts,
            }
        )
    return saved, {}


def _keys_of(version: JournalPrompts, set_key: str) -> set[str]:
    for raw in version.sets:
        if raw.get("key") == set_key:
            return {str(p.get("key")) for p in raw.get("prompts", [])}
    return set()


def _fresh(taken: set[str]) -> str:
    n = 1
    while f"p{n}" in taken:
        n += 1
    return f"p{n}"


def _length(errors: Errors, name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors[name] = _l("At most %(limit)d characters.", limit=limit)
