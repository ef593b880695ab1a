"""The framework and form templates a programme uses now, and saving a new version of them.

A programme that never had a framework or a template of a kind gets the defaults saved as
version 1 the first time one is needed, so forms made from them keep pointing at one text. Two
requests doing that at once make one version 1 (the unique version per programme decides; the
loser reads the winner's row).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_app.colleges.models import Programme
from lti_app.feedback.defaults import DEFAULT_SCALE, DEFAULT_TEMPLATES, default_competencies
from lti_app.feedback.models import CompetencyFramework, FeedbackTemplate, FilledBy, FormKind
from lti_app.roster.models import Course

T = TypeVar("T")


def programme_of(session: Session, course: Course) -> Programme | None:
    """The course's programme; while nobody said, the college's only programme (else None)."""
    if course.programme is not None:
        return course.programme
    college_id = course.platform.college_id
    found = list(
        session.scalars(select(Programme).where(Programme.college_id == college_id).limit(2))
    )
    return found[0] if len(found) == 1 else None


def latest_framework(session: Session, programme_id: int) -> CompetencyFramework | None:
    return session.scalars(
        select(CompetencyFramework)
        .where(CompetencyFramework.programme_id == programme_id)
        .order_by(CompetencyFramework.version.desc())
        .limit(1)
    ).first()


def latest_template(session: Session, programme_id: int, kind: FormKind) -> FeedbackTemplate | None:
    return session.scalars(
        select(FeedbackTemplate)
        .where(FeedbackTemplate.programme_id == programme_id, FeedbackTemplate.kind == kind)
        .order_by(FeedbackTemplate.version.desc())
        .limit(1)
    ).first()


def _first(session: Session, read: Callable[[], T | None], make: Callable[[], T]) -> T:
    """``read()``, or ``make()`` inside a savepoint; if another request made it first, theirs."""
    found = read()
    if found is not None:
        return found
    try:
        with session.begin_nested():
            made = make()
            session.flush()
        return made
    except IntegrityError:
        found = read()
        if found is None:
            raise
        return found


def framework_for(session: Session, programme: Programme) -> CompetencyFramework:
    """The programme's newest framework (the defaults as version 1 while it has none)."""
    return _first(
        session,
        lambda: latest_framework(session, programme.id),
        lambda: save_framework(session, programme, default_competencies(), actor="system"),
    )


def template_for(session: Session, programme: Programme, kind: FormKind) -> FeedbackTemplate:
    """The programme's newest template of ``kind`` (the default as version 1 while none)."""

    def make() -> FeedbackTemplate:
        filled_by, title, blocks = DEFAULT_TEMPLATES[kind]
        return save_template(
            session,
            programme,
            kind,
            title=title,
            scale=DEFAULT_SCALE,
            blocks=blocks,
            filled_by=filled_by,
            actor="system",
        )

    return _first(session, lambda: latest_template(session, programme.id, kind), make)


def save_framework(
    session: Session, programme: Programme, competencies: list[dict[str, Any]], *, actor: str
) -> CompetencyFramework:
    """A new version of the programme's framework. Forms keep the version they were made with
    (through their template); templates saved from now on refer to this one."""
    current = session.scalar(
        select(func.max(CompetencyFramework.version)).where(
            CompetencyFramework.programme_id == programme.id
        )
    )
    framework = CompetencyFramework(
        programme_id=programme.id,
        version=int(current or 0) + 1,
        competencies=competencies,
        created_by=actor,
    )
    session.add(framework)
    session.flush()
    return framework


def save_template(
    session: Session,
    programme: Programme,
    kind: FormKind,
    *,
    title: dict[str, str],
    scale: list[dict[str, Any]],
    blocks: list[dict[str, Any]],
    filled_by: FilledBy,
    actor: str,
) -> FeedbackTemplate:
    """A new version of the programme's template of ``kind``, on its newest framework."""
    framework = framework_for(session, programme)
    current = session.scalar(
        select(func.max(FeedbackTemplate.version)).where(
            FeedbackTemplate.programme_id == programme.id, FeedbackTemplate.kind == kind
        )
    )
    template = FeedbackTemplate(
        programme_id=programme.id,
        kind=kind,
        version=int(current or 0) + 1,
        framework_id=framework.id,
        filled_by=filled_by,
        title=title,
        scale=scale,
        blocks=blocks,
        created_by=actor,
    )
    session.add(template)
    session.flush()
    return template
