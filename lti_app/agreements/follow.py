"""Agreements follow the placement they are about: when a coach changes a placement's or a
school's details (``placement_changed``, ``school_changed``), every unsigned agreement text that
names them is made again from the new details, and signatures of the old text are voided. A
signed agreement stays as signed. Placements and schools send; they do not know who listens.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.agreements.models import Agreement, DocumentKind, DocumentState
from lti_app.agreements.revising import (
    addendum_text_of,
    agreement_text_of,
    lock,
    main_document,
    set_text,
)
from lti_app.agreements.service import LIVE_STATES, OPEN_STATES
from lti_app.placements.models import Placement
from lti_app.placements.service import placement_changed
from lti_app.schools.service import school_changed


def refresh_for_placement(
    session: Session, placement: Placement, actor: str, actor_name: str
) -> None:
    """After the placement changed: its unsigned agreement takes the new details (and loses
    the signatures of the old text). A signed agreement stays as signed."""
    _refresh(session, Agreement.placement_id == placement.id, actor, actor_name)


def refresh_for_school(session: Session, school_id: int, actor: str, actor_name: str) -> None:
    """After a school's details changed: every unsigned agreement at that school follows."""
    at_school = select(Placement.id).where(Placement.school_id == school_id)
    _refresh(session, Agreement.placement_id.in_(at_school), actor, actor_name)


def _refresh(session: Session, which: Any, actor: str, actor_name: str) -> None:
    """Unsigned texts follow the placement's and school's details: an agreement not yet active,
    and an addendum out for signing (both name the parties)."""
    for agreement in session.scalars(
        select(Agreement).where(which, Agreement.state.in_(LIVE_STATES))
    ):
        lock(session, main_document(agreement))
        for document in agreement.documents:
            if document.kind == DocumentKind.AGREEMENT and agreement.state in OPEN_STATES:
                text = agreement_text_of(session, agreement)
            elif document.kind == DocumentKind.ADDENDUM and document.state == DocumentState.SIGNING:
                text = addendum_text_of(session, document)
            else:
                continue
            set_text(session, document, text, actor, actor_name)


@placement_changed.connect
def _placement_changed(
    placement: Placement, *, session: Session, actor: str, actor_name: str, **_: Any
) -> None:
    refresh_for_placement(session, placement, actor, actor_name)


@school_changed.connect
def _school_changed(
    school_id: int, *, session: Session, actor: str, actor_name: str, **_: Any
) -> None:
    refresh_for_school(session, school_id, actor, actor_name)
