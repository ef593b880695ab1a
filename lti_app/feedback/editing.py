"""The coordinator's editors, without the web: which frameworks and templates a college may
change, the editor's rows as posted (read back from field names like ``c-3-title_nl``), moving,
adding and removing rows, and checking them before a new version is saved.

A row's key is stable: an existing competency or block keeps its key in every version, so
forms and growth charts that name it keep meaning the same thing; a new row gets a key that no
version of the framework (or of that kind of form) ever used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.colleges.models import Programme
from lti_app.feedback.defaults import DEFAULT_SCALE
from lti_app.feedback.models import CompetencyFramework, FeedbackTemplate, FormKind

GROUPS = ("fg", "attitude")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TITLE_MAX = 300
TEXT_MAX = 2000
MAX_ROWS = 200

# Errors, keyed by the field they belong to ("" for the whole form).
Errors = dict[str, Any]


def shown(errors: Errors) -> dict[str, Any]:
    """The messages as plain text, so the page escapes them like any other text."""
    return {
        name: [str(m) for m in message] if isinstance(message, list) else str(message)
        for name, message in errors.items()
    }


def one_line(value: str | None) -> str:
    return " ".join((value or "").split())


def several_lines(value: str | None) -> str:
    return "\n".join(line.rstrip() for line in (value or "").strip().splitlines())


# -- which rows a coordinator reaches: only those of their own college's programmes ------------


def college_programmes(session: Session, college_id: int) -> list[Programme]:
    return list(
        session.scalars(
            select(Programme).where(Programme.college_id == college_id).order_by(Programme.name)
        )
    )


def framework_in(
    session: Session, framework_id: int, college_id: int
) -> CompetencyFramework | None:
    """A framework version of one of the college's programmes (None for another college's)."""
    return session.scalars(
        select(CompetencyFramework)
        .join(Programme, Programme.id == CompetencyFramework.programme_id)
        .where(CompetencyFramework.id == framework_id, Programme.college_id == college_id)
    ).first()


def template_in(session: Session, template_id: int, college_id: int) -> FeedbackTemplate | None:
    """A template version of one of the college's programmes (None for another college's)."""
    return session.scalars(
        select(FeedbackTemplate)
        .join(Programme, Programme.id == FeedbackTemplate.programme_id)
        .where(FeedbackTemplate.id == template_id, Programme.college_id == college_id)
    ).first()


def framework_versions(session: Session, programme_id: int) -> list[CompetencyFramework]:
    return list(
        session.scalars(
            select(CompetencyFramework)
            .where(CompetencyFramework.programme_id == programme_id)
            .order_by(CompetencyFramework.version.desc())
        )
    )


def template_versions(
    session: Session, programme_id: int, kind: FormKind
) -> list[FeedbackTemplate]:
    return list(
        session.scalars(
            select(FeedbackTemplate)
            .where(FeedbackTemplate.programme_id == programme_id, FeedbackTemplate.kind == kind)
            .order_by(FeedbackTemplate.version.desc())
        )
    )


def keys_ever_used(rows_of_versions: Iterable[list[dict[str, Any]]]) -> set[str]:
    return {str(row["key"]) for rows in rows_of_versions for row in rows if row.get("key")}


# -- the framework editor's rows ---------------------------------------------------------------


def level_keys() -> list[str]:
    """Behaviour indicators are written per level of the default scale."""
    return [str(level["key"]) for level in DEFAULT_SCALE]


def framework_rows(competencies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A saved framework as editor rows (indicators in the old list shape read as none)."""
    rows = []
    for c in competencies:
        title = c.get("title") or {}
        raw = c.get("indicators") or {}
        indicators = {
            level: dict(raw[level]) for level in level_keys() if isinstance(raw.get(level), Mapping)
        }
        rows.append(
            {
                "key": str(c["key"]),
                "group": str(c.get("group", "fg")),
                "title": {"nl": title.get("nl", ""), "en": title.get("en", "")},
                "indicators": indicators,
                "new": False,
            }
        )
    return rows


def posted_framework_rows(form: Mapping[str, str]) -> list[dict[str, Any]]:
    """The rows as the editor posted them (fields ``c-<i>-…``), in their order."""
    rows = []
    for i in range(count(form, "c-count")):
        p = f"c-{i}-"
        indicators = {}
        for level in level_keys():
            texts = {
                lang: several_lines(form.get(f"{p}ind-{level}-{lang}")) for lang in ("nl", "en")
            }
            if any(texts.values()):
                indicators[level] = texts
        rows.append(
            {
                "key": one_line(form.get(p + "key")).lower(),
                "group": form.get(p + "group", "fg"),
                "title": {
                    "nl": one_line(form.get(p + "title_nl")),
                    "en": one_line(form.get(p + "title_en")),
                },
                "indicators": indicators,
                "new": form.get(p + "new") == "1",
            }
        )
    return rows


def new_competency() -> dict[str, Any]:
    return {"key": "", "group": "fg", "title": {"nl": "", "en": ""}, "indicators": {}, "new": True}


def check_framework(
    rows: list[dict[str, Any]], *, current: set[str], used: set[str]
) -> tuple[list[dict[str, Any]], Errors]:
    """The competencies to save and the problems found (empty when it may be saved).

    ``current``: the keys of the version being edited (an existing row must name one);
    ``used``: every key any version ever had (a new row may not take one).
    """
    errors: Errors = {}
    if not rows:
        errors[""] = [_l("A framework needs at least one competency.")]
    seen: set[str] = set()
    for i, row in enumerate(rows):
        p = f"c-{i}-"
        if row["group"] not in GROUPS:
            errors[p + "group"] = _l("Choose functioneel geheel or attitude.")
        check_title(errors, p + "title_nl", row["title"]["nl"], _l("Give the competency a title."))
        check_length(errors, p + "title_en", row["title"]["en"], TITLE_MAX)
        for level, texts in row["indicators"].items():
            for lang, value in texts.items():
                check_length(errors, f"{p}ind-{level}-{lang}", value, TEXT_MAX)
        check_key(errors, p + "key", row, current=current, used=used, seen=seen)
    if errors:
        return [], errors
    prefix = "c"
    taken = used | seen
    saved = []
    for row in rows:
        key = row["key"] or fresh_key(prefix, taken)
        taken.add(key)
        saved.append(
            {
                "key": key,
                "group": row["group"],
                "title": dict(row["title"]),
                "indicators": {level: dict(texts) for level, texts in row["indicators"].items()},
            }
        )
    return saved, {}


# -- shared by both editors ---------------------------------------------------------------------


def apply_action(rows: list[Any], action: str, new_row: Any) -> bool:
    """Moves, removes or adds a row as the pressed button says (``up:3``, ``down:0``,
    ``remove:2``, ``add``). True when the rows changed and the editor is shown again."""
    name, _, index = action.partition(":")
    if name == "add":
        if len(rows) < MAX_ROWS:
            rows.append(new_row)
        return True
    if not index.isdigit() or int(index) >= len(rows):
        return False
    i = int(index)
    if name == "remove":
        rows.pop(i)
    elif name == "up" and i > 0:
        rows[i - 1], rows[i] = rows[i], rows[i - 1]
    elif name == "down" and i + 1 < len(rows):
        rows[i + 1], rows[i] = rows[i], rows[i + 1]
    elif name not in ("up", "down"):
        return False
    return True


def count(form: Mapping[str, str], name: str) -> int:
    value = form.get(name, "0")
    return min(int(value), MAX_ROWS) if value.isdigit() else 0


def fresh_key(prefix: str, taken: set[str]) -> str:
    n = 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


def check_title(errors: Errors, name: str, value: str, empty: Any) -> None:
    if not value:
        errors[name] = empty
    else:
        check_length(errors, name, value, TITLE_MAX)


def check_length(errors: Errors, name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors[name] = _l("At most %(limit)d characters.", limit=limit)


def check_key(
    errors: Errors,
    name: str,
    row: dict[str, Any],
    *,
    current: set[str],
    used: set[str],
    seen: set[str],
) -> None:
    key = row["key"]
    if not row["new"]:
        if key not in current:
            errors[name] = _l("This row's key is unknown. Reload the page and try again.")
    elif key and not KEY.match(key):
        errors[name] = _l(
            "A key is lower-case letters, digits and _, starting with a letter; or leave it empty."
        )
    elif key in used:
        errors[name] = _l(
            "The key %(key)s is taken (now or in an earlier version): choose another or leave "
            "it empty.",
            key=key,
        )
    if key and key in seen and name not in errors:
        errors[name] = _l("The key %(key)s is used twice.", key=key)
    if key:
        seen.add(key)
