"""Agreement templates: one per programme, every save a new version that is never changed.

Agreements keep the version they were made from; new agreements take a programme's newest.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_app.agreements.defaults import DEFAULT_ORDER, default_sections, parse_order
from lti_app.agreements.models import AgreementTemplate

DEFAULT_PROGRAMME = "Lerarenopleiding secundair onderwijs"


def latest_templates(session: Session) -> list[AgreementTemplate]:
    """The newest version of each programme's template, by programme."""
    newest = select(func.max(AgreementTemplate.id)).group_by(AgreementTemplate.programme)
    return list(
        session.scalars(
            select(AgreementTemplate)
            .where(AgreementTemplate.id.in_(newest))
            .order_by(AgreementTemplate.programme)
        )
    )


def template_versions(session: Session, programme: str) -> list[AgreementTemplate]:
    return list(
        session.scalars(
            select(AgreementTemplate)
            .where(AgreementTemplate.programme == programme)
            .order_by(AgreementTemplate.version.desc())
        )
    )


def save_template(
    session: Session,
    *,
    programme: str,
    language: str,
    college_name: str,
    sections: list[dict[str, Any]],
    signing_order: str,
    actor: str,
) -> AgreementTemplate:
    """A new version of ``programme``'s template (version 1 for a new programme).

    Agreements keep the version they were made from; new agreements take this one.
    """
    programme = " ".join(programme.split())
    current = session.scalar(
        select(func.max(AgreementTemplate.version)).where(AgreementTemplate.programme == programme)
    )
    template = AgreementTemplate(
        programme=programme,
        version=int(current or 0) + 1,
        language=language,
        college_name=college_name.strip(),
        sections=sections,
        signing_order=parse_order(signing_order),
        created_by=actor,
    )
    session.add(template)
    session.flush()
    return template


def default_template(session: Session) -> AgreementTemplate:
    """The template new agreements use when the coordinator has made none: the defaults in
    Dutch, saved as version 1 so agreements made from it keep pointing at one text."""
    templates = latest_templates(session)
    if templates:
        return templates[0]
    return save_template(
        session,
        programme=DEFAULT_PROGRAMME,
        language="nl",
        college_name=str(current_app.config.get("COLLEGE_NAME") or ""),
        sections=default_sections("nl"),
        signing_order=DEFAULT_ORDER,
        actor="system",
    )
