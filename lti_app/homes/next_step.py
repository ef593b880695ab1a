"""The student's next step, chosen from what is true of her placements (a pure function).

Who needs it: a student opening Driehoek on her phone between lessons, who came to do one thing
(sign, fix, log) and gives up when the page makes her look for it among links to things that are
not there yet. Her home shows this step as its only primary button.

In order: a returned proposal; an agreement waiting for her signature (again, when a change voided
the one she gave); hours her mentor returned; logging hours on a running placement; then what is
not hers to do (a proposal with the coach, a placement not started or already ended); and with no
placement at all, proposing one.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


class StepKind(enum.StrEnum):
    PROPOSE_AGAIN = "propose_again"  # the coach returned her proposal
    SIGN = "sign"  # an agreement waits for her signature
    SIGN_AGAIN = "sign_again"  # her signature was voided by a change; sign the new text
    FIX_HOURS = "fix_hours"  # her mentor returned hours
    LOG_HOURS = "log_hours"  # an approved placement that is running
    WAIT_FOR_COACH = "wait_for_coach"  # her proposal is with the coach
    STARTS_LATER = "starts_later"  # approved, not started yet
    ENDED = "ended"  # approved, its period is over
    PROPOSE = "propose"  # no placement at all


@dataclass(frozen=True)
class PlacementFacts:
    """What the home knows of one of her placements."""

    placement_id: int
    state: str  # "proposed", "returned" or "approved" (PlacementState values)
    start: date | None = None
    end: date | None = None
    agreement_to_sign: int | None = None  # an agreement whose document waits for her signature
    voided_by: str | None = None  # who changed the text she had signed (her signature is void)
    returned_hours: int = 0  # entries her mentor returned and she has not sent again


@dataclass(frozen=True)
class Step:
    kind: StepKind
    placement_id: int | None = None
    agreement_id: int | None = None
    starts: date | None = None
    changed_by: str = ""
    count: int = 0


def _running(facts: PlacementFacts, today: date) -> bool:
    started = facts.start is None or facts.start <= today
    ended = facts.end is not None and facts.end < today
    return started and not ended


def next_step(placements: Sequence[PlacementFacts], today: date) -> Step:
    """Her one next step: the first that applies, in the order of the module's docstring."""
    for f in placements:
        if f.state == "returned":
            return Step(StepKind.PROPOSE_AGAIN, f.placement_id)
    for f in placements:
        if f.agreement_to_sign is not None:
            if f.voided_by is not None:
                return Step(
                    StepKind.SIGN_AGAIN, f.placement_id, f.agreement_to_sign, changed_by=f.voided_by
                )
            return Step(StepKind.SIGN, f.placement_id, f.agreement_to_sign)
    for f in placements:
        if f.returned_hours:
            return Step(StepKind.FIX_HOURS, f.placement_id, count=f.returned_hours)
    approved = [f for f in placements if f.state == "approved"]
    for f in approved:
        if _running(f, today):
            return Step(StepKind.LOG_HOURS, f.placement_id)
    for f in placements:
        if f.state == "proposed":
            return Step(StepKind.WAIT_FOR_COACH, f.placement_id)
    later = sorted(
        (f for f in approved if f.start is not None and f.start > today),
        key=lambda f: f.start or today,
    )
    if later:
        return Step(StepKind.STARTS_LATER, later[0].placement_id, starts=later[0].start)
    if approved:
        return Step(StepKind.ENDED, approved[0].placement_id)
    return Step(StepKind.PROPOSE)
