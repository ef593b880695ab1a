"""A form as it is shown: its template version's blocks and scale in the reader's language, the
competencies it names (from the framework version of that template), its answers, and every
version of it (a correction is a new version; all stay readable)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.feedback import blocks
from lti_app.feedback.blocks import Block, Competency, Level
from lti_app.feedback.models import FeedbackForm, FeedbackTemplate, FormState


@dataclass(frozen=True)
class FormView:
    form: FeedbackForm
    title: str
    blocks: list[Block]
    levels: list[Level]
    competencies: dict[str, Competency]  # key → the template's framework version's
    answers: dict[str, Any]
    versions: list[FeedbackForm]  # every version of this form, oldest first


def form_view(session: Session, form: FeedbackForm, language: str) -> FormView:
    template: FeedbackTemplate = form.template
    return FormView(
        form=form,
        title=blocks.pick(template.title, language),
        blocks=blocks.blocks(template.blocks, language),
        levels=blocks.levels(template.scale, language),
        competencies={
            c.key: c for c in blocks.competencies(template.framework.competencies, language)
        },
        answers=dict(form.answers or {}),
        versions=series(session, form),
    )


def series(session: Session, form: FeedbackForm) -> list[FeedbackForm]:
    """The submitted versions of the form's series and the form itself, oldest first."""
    if form.series_id is None:
        return [form]
    rows = session.scalars(
        select(FeedbackForm)
        .where(FeedbackForm.series_id == form.series_id)
        .order_by(FeedbackForm.version)
    )
    return [f for f in rows if f.state == FormState.SUBMITTED or f.id == form.id]
