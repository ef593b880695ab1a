"""Agreement templates: one per programme, every save a new version that is never changed.

Agreements keep the version they were made from; new agreements take their programme's newest.
A programme belongs to one college, so a coordinator sees and changes only their college's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_app.agreements.defaults import DEFAULT_ORDER, default_sections, parse_order
from lti_app.agreements.models import AgreementTemplate
from lti_app.colleges.models import Programme


def latest_templates(session: Session, college_id: int) -> list[AgreementTemplate]:
    """The newest version of each of the college's programmes' templates, by programme."""
    newest = (
        select(func.max(AgreementTemplate.id))
        .join(Programme, Programme.id == AgreementTemplate.programme_id)
        .where(Programme.college_id == college_id)
        .group_by(AgreementTemplate.programme_id)
    )
    return list(
        session.scalars(
            select(AgreementTemplate)
            .join(Programme, Programme.id == AgreementTemplate.programme_id)
            .where(AgreementTemplate.id.in_(newest))
            .order_by(Programme.name)
        )
    )


def template_versions(session: Session, programme_id: int) -> list[AgreementTemplate]:
    return list(
        session.scalars(
            select(AgreementTemplate)
            .where(AgreementTemplate.programme_id == programme_id)
            .order_by(AgreementTemplate.version.desc())
        )
    )


def get_template(session: Session, template_id: int, college_id: int) -> AgreementTemplate | None:
    """A template of one of the college's programmes (None for another college's)."""
    return session.scalars(
        select(AgreementTemplate)
        .join(Programme, Programme.id == AgreementTemplate.programme_id)
        .where(AgreementTemplate.id == template_id, Programme.college_id == college_id)
    ).first()


def save_template(
    session: Session,
    *,
    programme: Programme,
    language: str,
    college_name: str,
    sections: list[dict[str, Any]],
    signing_order: str,
    actor: str,
) -> AgreementTemplate:
    """A new version of ``programme``'s template (version 1 for a new programme).

    Agreements keep the version they were made from; new agreements take this one.
    """
    current = session.scalar(
        select(func.max(AgreementTemplate.version)).where(
            AgreementTemplate.programme_id == programme.id
        )
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


def template_for(session: Session, programme: Programme) -> AgreementTemplate:
    """The template a new agreement of the programme takes: its newest, or, while the
    coordinator has made none, the defaults in Dutch saved as version 1 (so agreements made
    from them keep pointing at one text)."""
    versions = template_versions(session, programme.id)
    if versions:
        return versions[0]
    return save_template(
        session,
        programme=programme,
        language="nl",
        college_name=programme.college.name,
        sections=default_sections("nl"),
        signing_order=DEFAULT_ORDER,
        actor="system",
    )
