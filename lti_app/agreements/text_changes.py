"""What changed between two canonical texts, as a short before/after for the people whose
signature the change voided ("Period: 1 February 2027 – 30 May 2027 → … 13 June 2027").

The texts are read as labelled entries: a line "Label: value", or a line "Label:" followed by
its indented answer (the filled-in fields). Entries that differ are paired by label; a line
without a label (a clause, a title) is shown under ``UNLABELLED``. The labels are in the
template's language, as the text is; before and after are cut short, and so is the list.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any

from flask_babel import lazy_gettext as _l

UNLABELLED = "Text"  # an English msgid: the mail translates it for its reader
_UNLABELLED_MSGID = _l("Text")  # so the catalogue has it
MAX_CHANGES = 8
MAX_VALUE = 240
MAX_LABEL = 60

Entry = tuple[str, str]


def entries(text: str) -> list[Entry]:
    """(label, value) per entry of ``text``; label "" for a line that has none."""
    lines = text.split("\n")
    found: list[Entry] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.endswith(":") and not line.startswith(" ") and len(line) <= MAX_LABEL + 1:
            answer = []
            while i + 1 < len(lines) and lines[i + 1].startswith("  "):
                i += 1
                answer.append(lines[i].strip())
            if answer:
                found.append((line[:-1], " / ".join(a for a in answer if a)))
                i += 1
                continue
        label, sep, value = line.partition(": ")
        if sep and not line.startswith(" ") and len(label) <= MAX_LABEL:
            found.append((label, value))
        elif line.strip():
            found.append(("", line.strip()))
        i += 1
    return found


def _short(value: str) -> str:
    return value if len(value) <= MAX_VALUE else value[: MAX_VALUE - 1].rstrip() + "…"


def _change(label: str, before: str, after: str) -> dict[str, Any]:
    return {"label": label or UNLABELLED, "before": _short(before), "after": _short(after)}


def text_changes(before: str, after: str) -> list[dict[str, Any]]:
    """The entries of ``before`` that ``after`` changed, added or dropped, as
    ``{"label", "before", "after"}`` (at most ``MAX_CHANGES``)."""
    old, new = entries(before), entries(after)
    changes: list[dict[str, Any]] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        added = list(new[j1:j2])
        for label, value in old[i1:i2]:
            twin = next((e for e in added if label and e[0] == label), None)
            if twin is None and not label and added and not added[0][0]:
                twin = added[0]  # an unlabelled line rewritten in place
            if twin is not None:
                added.remove(twin)
                changes.append(_change(label, value, twin[1]))
            else:
                changes.append(_change(label, value, ""))
        changes += [_change(label, "", value) for label, value in added]
    return changes[:MAX_CHANGES]
