"""The student's next step (lti_app/homes/next_step.py): one step, in the order that matters to
her — a returned proposal, a signature due (again after a change), returned hours, logging hours
on a running placement — and what is not hers to do otherwise."""

from __future__ import annotations

from datetime import date

from lti_app.homes.next_step import PlacementFacts, Step, StepKind, next_step

TODAY = date(2027, 3, 10)
RUNNING = {"start": date(2027, 2, 8), "end": date(2027, 5, 28)}


def test_no_placement_proposes_one() -> None:
    assert next_step([], TODAY) == Step(StepKind.PROPOSE)


def test_a_returned_proposal_comes_before_everything_else() -> None:
    facts = [
        PlacementFacts(1, "approved", **RUNNING, agreement_to_sign=7, returned_hours=2),
        PlacementFacts(2, "returned"),
    ]
    assert next_step(facts, TODAY) == Step(StepKind.PROPOSE_AGAIN, 2)


def test_a_signature_due_comes_before_returned_hours_and_logging() -> None:
    facts = [
        PlacementFacts(1, "approved", **RUNNING, returned_hours=2),
        PlacementFacts(3, "approved", **RUNNING, agreement_to_sign=7),
    ]
    assert next_step(facts, TODAY) == Step(StepKind.SIGN, 3, 7)


def test_a_voided_signature_asks_to_sign_again_and_says_who_changed_it() -> None:
    facts = [PlacementFacts(1, "approved", **RUNNING, agreement_to_sign=7, voided_by="An Peeters")]
    assert next_step(facts, TODAY) == Step(StepKind.SIGN_AGAIN, 1, 7, changed_by="An Peeters")


def test_returned_hours_come_before_logging_new_ones() -> None:
    facts = [PlacementFacts(1, "approved", **RUNNING, returned_hours=3)]
    assert next_step(facts, TODAY) == Step(StepKind.FIX_HOURS, 1, count=3)


def test_a_running_approved_placement_logs_hours_its_first_and_last_day_included() -> None:
    facts = [PlacementFacts(1, "approved", **RUNNING)]
    assert next_step(facts, TODAY).kind is StepKind.LOG_HOURS
    assert next_step(facts, RUNNING["start"]).kind is StepKind.LOG_HOURS
    assert next_step(facts, RUNNING["end"]).kind is StepKind.LOG_HOURS
    assert next_step([PlacementFacts(1, "approved")], TODAY).kind is StepKind.LOG_HOURS


def test_before_the_start_the_step_says_when_it_starts() -> None:
    facts = [
        PlacementFacts(1, "approved", start=date(2027, 9, 1), end=date(2027, 12, 1)),
        PlacementFacts(2, "approved", start=date(2027, 4, 1), end=date(2027, 5, 1)),
    ]
    assert next_step(facts, TODAY) == Step(StepKind.STARTS_LATER, 2, starts=date(2027, 4, 1))


def test_a_proposal_with_the_coach_waits_unless_a_placement_runs() -> None:
    proposed = PlacementFacts(2, "proposed")
    assert next_step([proposed], TODAY) == Step(StepKind.WAIT_FOR_COACH, 2)
    running = PlacementFacts(1, "approved", **RUNNING)
    assert next_step([proposed, running], TODAY) == Step(StepKind.LOG_HOURS, 1)


def test_after_the_end_the_step_is_to_look_at_the_hours() -> None:
    facts = [PlacementFacts(1, "approved", start=date(2026, 10, 1), end=date(2027, 1, 31))]
    assert next_step(facts, TODAY) == Step(StepKind.ENDED, 1)
