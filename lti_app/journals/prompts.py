"""A programme's reflection prompt sets: the version in use now, saving a new one, and a set as
the reader's language shows it.

A programme that never had prompts gets the defaults saved as version 1 the first time they are
needed, so entries point at one stored text. Two requests doing that at once make one version 1
(the unique version per programme decides; the loser reads the winner's row). An entry keeps the
version it was written with: a coordinator's later edit never changes an entry's questions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_app.journals.models import JournalPrompts
from lti_app.journals.prompt_defaults import default_sets


@dataclass(frozen=True)
class Prompt:
    key: str
    label: str
    help: str
    phase: str


@dataclass(frozen=True)
class PromptSet:
    key: str
    title: str
    intro: str
    prompts: list[Prompt]


def pick(texts: Any, language: str) -> str:
    """The text in ``language``; Dutch (the programme's language) when that one is empty."""
    if isinstance(texts, str):
        return texts
    if not isinstance(texts, dict):
        return ""
    return str(texts.get(language) or texts.get("nl") or texts.get("en") or "")


def latest(session: Session, programme_id: int) -> JournalPrompts | None:
    return session.scalars(
        select(JournalPrompts)
        .where(JournalPrompts.programme_id == programme_id)
        .order_by(JournalPrompts.version.desc())
        .limit(1)
    ).first()


def current_prompts(session: Session, programme_id: int) -> JournalPrompts:
    """The programme's newest prompt sets (the defaults as version 1 while it has none)."""
    found = latest(session, programme_id)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            made = JournalPrompts(
                programme_id=programme_id, version=1, sets=default_sets(), created_by="system"
            )
            session.add(made)
            session.flush()
        return made
    except IntegrityError:
        found = latest(session, programme_id)
        if found is None:
            raise
        return found


def save_prompts(
    session: Session, programme_id: int, sets: list[dict[str, Any]], *, actor: str
) -> JournalPrompts:
    """A new version of the programme's prompt sets (the caller commits; a concurrent save of
    the same version number fails on the unique constraint, which the caller reports)."""
    current = session.scalar(
        select(func.max(JournalPrompts.version)).where(JournalPrompts.programme_id == programme_id)
    )
    made = JournalPrompts(
        programme_id=programme_id, version=int(current or 0) + 1, sets=sets, created_by=actor
    )
    session.add(made)
    session.flush()
    return made


def prompt_sets(prompts: JournalPrompts, language: str) -> list[PromptSet]:
    return [_one(raw, language) for raw in prompts.sets]


def prompt_set(prompts: JournalPrompts, key: str, language: str) -> PromptSet | None:
    for raw in prompts.sets:
        if raw.get("key") == key:
            return _one(raw, language)
    return None


def _one(raw: dict[str, Any], language: str) -> PromptSet:
    return PromptSet(
        key=str(raw.get("key", "")),
        title=pick(raw.get("title"), language),
        intro=pick(raw.get("intro"), language),
        prompts=[
            Prompt(
                key=str(p.get("key", "")),
                label=pick(p.get("label"), language),
                help=pick(p.get("help"), language),
                phase=pick(p.get("phase"), language),
            )
            for p in raw.get("prompts", [])
        ],
    )
