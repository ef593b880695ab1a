"""Sofie's reflection journal in the demo course: six submitted entries (ALACT and STARR, one
started from a growth point her mentor gave), a submitted final reflection and a draft; the
course's assignment "Reflectiejournaal" (six entries and a final reflection, out of 20), which
she handed in, so the coach finds it waiting in the grading queue.

The assignment's gradebook column exists as if the coach had added it through the content
picker: a link "Reflectiejournaal" in the sandbox course with its line item, and the tool's
line item pointing at it, so a grade the coach releases arrives in the sandbox's gradebook.

Entries use the programme's current prompt sets: ``lti_app.journals.prompts.current_prompts``
where that module exists, else a version 1 of the sets below (ALACT, STARR, free), written once.
Rows are written directly, as they would be stored; dates fall in Sofie's semester.
"""

from __future__ import annotations

import importlib
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app import clock
from lti_app.feedback.models import FeedbackForm
from lti_app.grading.models import LineItem
from lti_app.journals.models import (
    EntryState,
    JournalAssignment,
    JournalEntry,
    JournalEntryVersion,
    JournalPrompts,
    JournalReview,
    ReviewState,
)
from lti_app.placements.models import Placement
from lti_app.roster.models import Person
from lti_app.sandbox import ags_store, demo_feedback, platform
from lti_app.sandbox.demo import MAIN

TITLE = "Reflectiejournaal"
TAG = "reflectiejournaal"
MAX_SCORE = 20.0


def _prompt(key: str, nl: str, en: str) -> dict[str, Any]:
    return {"key": key, "label": {"nl": nl, "en": en}, "help": {"nl": "", "en": ""}}


# Only when the programme has no prompt sets yet and the journals package offers no defaults.
DEMO_SETS: list[dict[str, Any]] = [
    {
        "key": "alact",
        "title": {"nl": "ALACT (Korthagen)", "en": "ALACT (Korthagen)"},
        "intro": {"nl": "Reflecteer in vijf fasen.", "en": "Reflect in five phases."},
        "prompts": [
            _prompt("p1", "Handelen: wat gebeurde er?", "Action: what happened?"),
            _prompt("p2", "Terugblikken: wat dacht, voelde, wilde je?", "Looking back"),
            _prompt("p3", "Bewustwording van essentiële aspecten", "Awareness of essentials"),
            _prompt("p4", "Alternatieven ontwikkelen", "Creating alternatives"),
            _prompt("p5", "Uitproberen: wat doe je volgende keer?", "Trial: what next time?"),
        ],
    },
    {
        "key": "starr",
        "title": {"nl": "STARR", "en": "STARR"},
        "intro": {"nl": "Beschrijf één situatie.", "en": "Describe one situation."},
        "prompts": [
            _prompt("p1", "Situatie", "Situation"),
            _prompt("p2", "Taak", "Task"),
            _prompt("p3", "Actie", "Action"),
            _prompt("p4", "Resultaat", "Result"),
            _prompt("p5", "Reflectie", "Reflection"),
        ],
    },
    {
        "key": "free",
        "title": {"nl": "Vrije reflectie", "en": "Free reflection"},
        "intro": {"nl": "", "en": ""},
        "prompts": [_prompt("p1", "Je reflectie", "Your reflection")],
    },
]

ALACT_TEXTS = (
    "In 4ECa liet ik de klas in groepjes een marktevenwicht berekenen.",
    "Ik wilde dat iedereen meedeed, maar voelde onrust toen twee groepjes al na vijf minuten klaar "
    "waren.",
    "De opdracht was voor iedereen even moeilijk: ik had geen uitbreiding voorzien.",
    "Een uitbreidingskaart klaarleggen, of snelle leerlingen een groepje laten helpen.",
    "Volgende les leg ik drie uitbreidingsopdrachten klaar en kijk ik wie ze kiest.",
)
STARR_TEXTS = (
    "Een leerling weigerde mee te werken tijdens de instructie over vraag en aanbod.",
    "Ik moest de les gaande houden en de leerling toch betrekken.",
    "Ik gaf de klas een korte opdracht en sprak de leerling rustig apart aan.",
    "Hij werkte de rest van de les mee; de klas verloor weinig tijd.",
    "Rustig blijven en apart aanspreken werkt beter dan voor de klas corrigeren.",
)
FINAL_TEXT = (
    "Dit semester groeide ik vooral in differentiëren: van één opdracht voor iedereen naar "
    "lessen met uitbreiding en ondersteuning. Mijn mentor zag het verschil in haar lesobservaties; "
    "mijn volgende groeipunt is formatief evalueren."
)
# (prompt set, title, competencies, from the mentor's feedback): the six entries, oldest first.
ENTRIES = (
    ("alact", "Groepswerk marktevenwicht", ["fg1"], False),
    ("starr", "Een leerling die niet meewerkt", ["fg2", "fg4"], False),
    ("alact", "Differentiëren: uitbreidingsopdrachten", ["fg1"], True),
    ("alact", "Instructie over elasticiteit", ["fg1", "fg3"], False),
    ("starr", "Klassenraad en oudercontact", ["fg6", "fg7"], False),
    ("alact", "Formatief evalueren met exit tickets", ["fg1", "fg5"], False),
)


def current_prompts(session: Session, programme_id: int) -> JournalPrompts:
    """The programme's prompt sets: the journals package's own when it has them (and writes its
    defaults), else a version 1 of ``DEMO_SETS`` made here once."""
    try:
        prompts = importlib.import_module("lti_app.journals.prompts")
    except ImportError:
        prompts = None
    found = getattr(prompts, "current_prompts", None)
    if found is not None:
        row = found(session, programme_id)
        if isinstance(row, JournalPrompts):
            return row
    row = session.scalars(
        select(JournalPrompts)
        .where(JournalPrompts.programme_id == programme_id)
        .order_by(JournalPrompts.version.desc())
    ).first()
    if row is None:
        row = JournalPrompts(
            programme_id=programme_id, version=1, sets=DEMO_SETS, created_by="demo"
        )
        session.add(row)
        session.flush()
    return row


def _answers(prompts: JournalPrompts, set_key: str, texts: tuple[str, ...]) -> dict[str, str]:
    chosen = next((s for s in prompts.sets if s.get("key") == set_key), prompts.sets[0])
    keys = [str(p["key"]) for p in chosen.get("prompts", [])]
    return {key: f"<p>{text}</p>" for key, text in zip(keys, texts, strict=False)}


def _set_key(prompts: JournalPrompts, wanted: str) -> str:
    keys = [str(s.get("key")) for s in prompts.sets]
    return wanted if wanted in keys else keys[0]


def _moment(day: date) -> datetime:
    return min(datetime.combine(day, time(20, 15), clock.BRUSSELS), clock.now())


class _Journal:
    def __init__(self, session: Session, placement: Placement, student: Person, coach: Person):
        self.s = session
        self.placement = placement
        self.student = student
        self.coach = coach
        assert placement.course.programme_id is not None, "the demo course names its programme"
        self.prompts = current_prompts(session, placement.course.programme_id)
        self.today = clock.today()

    def entry(
        self, set_key: str, title: str, texts: tuple[str, ...], day: date | None, **more: Any
    ) -> JournalEntry:
        """An entry; submitted on ``day`` (with its first version), or a draft when None."""
        key = _set_key(self.prompts, set_key)
        entry = JournalEntry(
            placement_id=self.placement.id,
            student_id=self.student.id,
            prompts_id=self.prompts.id,
            prompt_set=key,
            title=title,
            answers=_answers(self.prompts, key, texts),
            state=EntryState.DRAFT if day is None else EntryState.SUBMITTED,
            revision=4,
            submitted_at=None if day is None else _moment(day),
            created_at=_moment(day or self.today) - timedelta(days=1),
            **more,
        )
        self.s.add(entry)
        self.s.flush()
        if day is not None:
            self.s.add(
                JournalEntryVersion(
                    entry_id=entry.id,
                    number=1,
                    title=entry.title,
                    answers=entry.answers,
                    competencies=entry.competencies,
                    submitted_at=entry.submitted_at,
                )
            )
        return entry

    def write(self) -> datetime:
        """The entries, the final reflection and a draft; returns when the last was submitted."""
        start = demo_feedback.semester_start(self.today)
        grown = self._growth_form()
        for i, (set_key, title, competencies, from_feedback) in enumerate(ENTRIES):
            day = demo_feedback.weekday_before(start + timedelta(days=14 + 17 * i))
            texts = ALACT_TEXTS if set_key == "alact" else STARR_TEXTS
            more: dict[str, Any] = {"competencies": competencies}
            if from_feedback and grown is not None:
                more |= {
                    "feedback_form_id": grown.id,
                    "starting_point": demo_feedback.TEXTS["growth"],
                }
            self.entry(set_key, title, texts, day, **more)
        final_day = demo_feedback.weekday_before(self.today - timedelta(days=3))
        self.entry("free", "Eindreflectie", (FINAL_TEXT,), final_day, is_final=True)
        self.entry("starr", "Oudercontact (nog niet af)", STARR_TEXTS[:2], None)
        return _moment(final_day)

    def _growth_form(self) -> FeedbackForm | None:
        """Her mentor's form from a month into the semester: its growth point starts an entry."""
        forms = list(
            self.s.scalars(
                select(FeedbackForm)
                .where(FeedbackForm.placement_id == self.placement.id)
                .order_by(FeedbackForm.lesson_date)
            )
        )
        return forms[min(2, len(forms) - 1)] if forms else None

    def assignment(self, handed_in: datetime) -> JournalAssignment:
        assignment = JournalAssignment(
            course_id=self.placement.course_id,
            title=TITLE,
            instructions=(
                "Schrijf zes reflecties (ALACT of STARR) en een eindreflectie over je groei "
                "dit semester."
            ),
            entries_required=6,
            final_required=True,
            due_date=self.today + timedelta(days=14),
            max_score=MAX_SCORE,
            rubric=[
                {"key": "r1", "label": "Diepgang van de reflectie", "points": 8},
                {"key": "r2", "label": "Koppeling aan de basiscompetenties", "points": 6},
                {"key": "r3", "label": "Concrete acties en opvolging", "points": 6},
            ],
            created_by_id=self.coach.id,
            created_at=handed_in - timedelta(days=90),
        )
        self.s.add(assignment)
        self.s.flush()
        self.s.add(
            JournalReview(
                assignment_id=assignment.id,
                student_id=self.student.id,
                placement_id=self.placement.id,
                state=ReviewState.SUBMITTED,
                attempt=1,
                submitted_at=handed_in,
            )
        )
        assignment.line_item = self._column(assignment)
        self.s.flush()
        return assignment

    def _column(self, assignment: JournalAssignment) -> LineItem:
        """The gradebook column, as the content picker would have made it in the sandbox."""
        resource_id = f"driehoek-journal-{assignment.id}"
        course_id = MAIN.course["id"]
        with ags_store.connect(write=True) as con:
            found = ags_store.line_items(con, course_id, resource_id=resource_id)
            if found:
                item = found[0]
            else:
                link = ags_store.add_link(
                    con,
                    course_id,
                    TITLE,
                    platform.tool_launch_url(),
                    {"driehoek_view": "journal", "driehoek_resource": resource_id},
                )
                item = ags_store.add_line_item(
                    con,
                    course_id,
                    label=TITLE,
                    score_maximum=MAX_SCORE,
                    resource_id=resource_id,
                    tag=TAG,
                    resource_link_id=link.id,
                )
        base = str(platform.issuer())
        line_item = LineItem(
            course_id=assignment.course_id,
            resource_id=resource_id,
            tag=TAG,
            label=TITLE,
            score_maximum=MAX_SCORE,
            resource_link_id=item.resource_link_id,
            url=f"{base}/ags/{course_id}/lineitems/{item.id}",
        )
        self.s.add(line_item)
        return line_item


def write_journal(session: Session, placement: Placement, student: Person, coach: Person) -> None:
    """Sofie's journal and her handed-in assignment (the caller commits)."""
    journal = _Journal(session, placement, student, coach)
    handed_in = journal.write()
    journal.assignment(handed_in + timedelta(hours=1))
