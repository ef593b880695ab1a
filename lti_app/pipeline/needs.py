"""What needs the coach, first on the pipeline: proposals to decide, agreements waiting for the
college's signature, placements returned to the student, and agreements nobody signed for days.

Read from the rows the pipeline already holds, plus one statement for the course's agreements
(replacing the agreement states it read before, so the page's statement count stays the same).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from lti_app.agreements.models import (
    Agreement,
    AgreementDocument,
    AgreementState,
    DocumentState,
    Party,
    Signature,
)
from lti_app.placements.models import PlacementState

if TYPE_CHECKING:
    from lti_app.pipeline.service import PipelinePlacement, PipelineRow

# The order of the "Needs you" list: the coach's own work first, then what waits on others.
KINDS = ("proposed", "college_signature", "returned", "unsigned")


@dataclass(slots=True)
class AgreementFacts:
    """A placement's newest agreement, as the pipeline shows it."""

    id: int
    state: str  # an AgreementState value
    signed: int = 0  # valid signatures on the agreement's own text (of 3)
    college_due: bool = False  # the college's (a coach's) turn to sign
    since: datetime | None = None  # its text's last change or signature


def agreements_query(course_placements: Any) -> Any:
    """Each placement's newest agreement with its valid signatures: one row per signature (at
    most three an agreement), one statement for the whole course."""
    newest = (
        select(func.max(Agreement.id))
        .where(Agreement.placement_id.in_(course_placements))
        .group_by(Agreement.placement_id)
    )
    return (
        select(
            Agreement.placement_id,
            Agreement.id,
            Agreement.state,
            Agreement.signing_order,
            AgreementDocument.state,
            AgreementDocument.updated_at,
            Signature.party,
        )
        .join(
            AgreementDocument,
            (AgreementDocument.agreement_id == Agreement.id) & (AgreementDocument.number == 0),
        )
        .outerjoin(
            Signature,
            (Signature.document_id == AgreementDocument.id) & Signature.voided_at.is_(None),
        )
        .where(Agreement.id.in_(newest))
    )


def agreement_facts(rows: Iterable[Any]) -> dict[int, AgreementFacts]:
    """placement id → its newest agreement's facts, from the rows of ``agreements_query``."""
    facts: dict[int, AgreementFacts] = {}
    signed: dict[int, set[str]] = {}
    steps: dict[int, tuple[list[list[str]], DocumentState]] = {}
    for placement_id, agreement_id, state, order, doc_state, updated_at, party in rows:
        item = facts.get(placement_id)
        if item is None:
            item = facts[placement_id] = AgreementFacts(agreement_id, state.value, since=updated_at)
            signed[placement_id] = set()
            steps[placement_id] = (order or [], doc_state)
        if party is not None:
            signed[placement_id].add(Party(party).value)
            item.signed += 1
    for placement_id, item in facts.items():
        order, doc_state = steps[placement_id]
        if item.state == AgreementState.AWAITING_SIGNATURES and doc_state == DocumentState.SIGNING:
            item.college_due = Party.COLLEGE.value in _due(order, signed[placement_id])
    return facts


def _due(order: list[list[str]], signed: set[str]) -> set[str]:
    """As agreements.parties.due_parties: the unsigned parties of the first step not done."""
    for step in order:
        waiting = set(step) - signed
        if waiting:
            return waiting
    return set()


@dataclass(slots=True)
class Need:
    """One line of "Needs you": what, for whom, and where to act."""

    kind: str  # one of KINDS
    row: PipelineRow
    placement: PipelinePlacement
    days: int = 0  # for "unsigned": days since the agreement last moved


def needs_you(rows: list[PipelineRow], now: datetime, stale_days: int) -> dict[str, list[Need]]:
    """What needs action, by kind in the order of KINDS (the coach's own work first; kinds with
    nothing left out), by name within a kind. Students who left the course are left out:
    nothing is asked of them any more."""
    found: dict[str, list[Need]] = {kind: [] for kind in KINDS}
    stale = timedelta(days=stale_days)
    for row in rows:
        if not row.active:
            continue
        for p in row.placements:
            if p.state == PlacementState.PROPOSED:
                found["proposed"].append(Need("proposed", row, p))
            elif p.state == PlacementState.RETURNED:
                found["returned"].append(Need("returned", row, p))
            elif p.agreement is None or p.agreement.state != AgreementState.AWAITING_SIGNATURES:
                continue
            elif p.agreement.college_due:
                found["college_signature"].append(Need("college_signature", row, p))
            elif p.agreement.since is not None and now - p.agreement.since > stale:
                days = (now - p.agreement.since).days
                found["unsigned"].append(Need("unsigned", row, p, days))
    return {kind: needs for kind, needs in found.items() if needs}
