"""Writing a reflection: an entry started from a prompt set (perhaps from feedback received),
saved as the student types, submitted (a version is written), revised while no hand-in of hers
waits for or has the coach's grade.

Nothing typed is overwritten by accident: every save names the revision it was based on, and a
save based on another revision than the stored one is a ``Conflict`` (another tab or device
saved in between); the student decides which text stays. Answers arrive as the plain text of
the textareas and are stored as sanitised HTML (sanitize.py). Takes a session, never the
request: the views read the browser, this decides.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_app import clock
from lti_app.feedback import versions
from lti_app.feedback.models import FeedbackForm, FormState
from lti_app.journals import prompts as prompt_store
from lti_app.journals.models import (
    EntryState,
    JournalAssignment,
    JournalEntry,
    JournalEntryVersion,
    JournalReview,
    ReviewState,
)
from lti_app.journals.sanitize import one_line, plain_text, text_to_html
from lti_app.placements.models import Placement

MAX_TEXT = 50_000  # characters of one answer: far beyond any reflection
TITLE_MAX = 200
QUOTE_MAX = 2_000
GROWTH_BLOCK = "growth"  # the feedback forms' "groeipunten" item (feedback/defaults.py)


class WritingError(Exception):
    """Something the student has to hear about; ``reason`` is for the log and for JSON."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class BadEntry(WritingError):
    """What was sent is not an entry of this prompt set (a wrong type, an unknown prompt): 400."""


class Conflict(WritingError):
    """The entry was saved meanwhile (another tab or device): its stored revision is newer."""

    def __init__(self, entry: JournalEntry):
        super().__init__(f"stored revision {entry.revision} is newer")
        self.entry = entry


class NotDraft(WritingError):
    """The entry was submitted: it changes only after "revise"."""


class Empty(WritingError):
    """Nothing written yet: there is nothing to submit."""


class NoProgramme(WritingError):
    """The course has no programme, so no prompt sets (a coach names it first)."""


class MayNotRevise(WritingError):
    """A hand-in of hers waits for the coach or was graded: the entry stays as submitted."""


# -- starting -----------------------------------------------------------------------------------


def programme_id_of(session: Session, placement: Placement) -> int:
    """:raise NoProgramme: the placement's course has none (and its college has several)."""
    programme = versions.programme_of(session, placement.course)
    if programme is None:
        raise NoProgramme(f"course {placement.course_id} has no programme")
    return programme.id


def starting_points(form: FeedbackForm) -> list[str]:
    """The growth points of a submitted form, one per line of its "groeipunten" answer."""
    raw = (form.answers or {}).get(GROWTH_BLOCK)
    if not isinstance(raw, str):
        return []
    points = [one_line(line.strip().lstrip("-•* "), QUOTE_MAX) for line in raw.splitlines()]
    return [p for p in points if p]


def feedback_to_start_from(
    session: Session, placement: Placement, form_id: int, quoted: str
) -> tuple[FeedbackForm, str]:
    """The placement's submitted form and the growth point quoted from it (or "").

    :raise BadEntry: not a submitted form of this placement, or a quote it does not hold.
    """
    form = session.get(FeedbackForm, form_id)
    if form is None or form.placement_id != placement.id or form.state != FormState.SUBMITTED:
        raise BadEntry(f"form {form_id} is not a submitted form of this placement")
    quote = one_line(quoted, QUOTE_MAX)
    if quote and quote not in starting_points(form):
        raise BadEntry("the starting point is not a growth point of that form")
    return form, quote


NEXT_CYCLE_FROM = "trial"  # ALACT's fifth phase: what she tries next starts the next cycle


def next_cycle_from(session: Session, placement: Placement, student_id: int, entry_id: int) -> str:
    """What she will try, from her submitted ALACT entry: the start of her next cycle.

    :raise BadEntry: not her submitted ALACT entry on this placement.
    """
    entry = session.get(JournalEntry, entry_id)
    if (
        entry is None
        or entry.placement_id != placement.id
        or entry.student_id != student_id
        or entry.state != EntryState.SUBMITTED
        or entry.prompt_set != "alact"
    ):
        raise BadEntry(f"entry {entry_id} is not a submitted ALACT entry of hers")
    return one_line(plain_text(str((entry.answers or {}).get(NEXT_CYCLE_FROM, ""))), QUOTE_MAX)


def start(
    session: Session,
    placement: Placement,
    student_id: int,
    prompt_set: str,
    *,
    feedback_form: FeedbackForm | None = None,
    starting_point: str = "",
    is_final: bool = False,
) -> JournalEntry:
    """A new draft from the programme's current prompts.

    :raise NoProgramme: see ``programme_id_of``.
    :raise BadEntry: no prompt set of that key.
    """
    current = prompt_store.current_prompts(session, programme_id_of(session, placement))
    if not any(s.get("key") == prompt_set for s in current.sets):
        raise BadEntry(f"no prompt set {prompt_set!r}")
    entry = JournalEntry(
        placement_id=placement.id,
        student_id=student_id,
        prompts_id=current.id,
        prompt_set=prompt_set,
        title="",
        answers={},
        competencies=[],
        feedback_form_id=feedback_form.id if feedback_form else None,
        starting_point=starting_point,
        is_final=is_final,
        state=EntryState.DRAFT,
        revision=0,
    )
    session.add(entry)
    session.flush()
    return entry


# -- what an entry holds ------------------------------------------------------------------------


def prompt_keys(entry: JournalEntry) -> list[str]:
    for raw in entry.prompts.sets:
        if raw.get("key") == entry.prompt_set:
            return [str(p.get("key")) for p in raw.get("prompts", [])]
    return []


def competency_keys(session: Session, placement: Placement) -> list[str]:
    """The keys of the programme's current competency framework, in its order."""
    programme = versions.programme_of(session, placement.course)
    if programme is None:
        return []
    framework = versions.framework_for(session, programme)
    return [str(c["key"]) for c in framework.competencies]


def texts_of(entry: JournalEntry | JournalEntryVersion) -> dict[str, str]:
    """The stored answers as the textareas show them."""
    return {key: plain_text(str(html)) for key, html in (entry.answers or {}).items()}


def clean_entry(
    session: Session, entry: JournalEntry, title: Any, answers: Any, competencies: Any
) -> tuple[str, dict[str, str], list[str]]:
    """What was sent, checked: the title one line, the answers as sanitised HTML (empty ones
    left out), the competencies known keys in the framework's order.

    :raise BadEntry: a wrong type, an unknown prompt or competency, a text too long.
    """
    if title is None:
        title = ""
    if not isinstance(title, str) or len(title) > TITLE_MAX * 4:
        raise BadEntry("title must be text")
    if not isinstance(answers, dict):
        raise BadEntry("answers must be an object")
    known = set(prompt_keys(entry))
    cleaned: dict[str, str] = {}
    for key, value in answers.items():
        if key not in known:
            raise BadEntry(f"no prompt {key!r} in this entry")
        if value is None:
            continue
        if not isinstance(value, str):
            raise BadEntry(f"{key!r}: text expected")
        if len(value) > MAX_TEXT:
            raise BadEntry(f"{key!r}: longer than {MAX_TEXT} characters")
        html = text_to_html(value)
        if html:
            cleaned[str(key)] = html
    if competencies is None:
        competencies = []
    if not isinstance(competencies, list) or not all(isinstance(c, str) for c in competencies):
        raise BadEntry("competencies must be a list of keys")
    offered = competency_keys(session, entry.placement)
    if set(competencies) - set(offered) - set(entry.competencies or []):
        raise BadEntry("not a competency of this programme")
    chosen = [c for c in offered if c in competencies]
    chosen += [c for c in (entry.competencies or []) if c in competencies and c not in chosen]
    return one_line(title, TITLE_MAX), cleaned, chosen


# -- saving, submitting, revising ---------------------------------------------------------------


def save(
    session: Session,
    entry: JournalEntry,
    *,
    base_revision: int,
    title: Any,
    answers: Any,
    competencies: Any,
    is_final: Any = None,
) -> JournalEntry:
    """Store the whole of what the student has now, as the next revision.

    :raise NotDraft: submitted.
    :raise Conflict: ``base_revision`` is not the stored one: another save came in between.
    :raise BadEntry: see ``clean_entry``.
    """
    if entry.state != EntryState.DRAFT:
        raise NotDraft(f"entry {entry.id} is {entry.state}")
    clean_title, cleaned, chosen = clean_entry(session, entry, title, answers, competencies)
    if is_final is not None and not isinstance(is_final, bool):
        raise BadEntry("is_final must be true or false")
    # The row is locked so that two saves of one revision cannot both pass the check.
    session.refresh(entry, with_for_update=True)
    if entry.state != EntryState.DRAFT:
        raise NotDraft(f"entry {entry.id} is {entry.state}")
    if entry.revision != base_revision:
        raise Conflict(entry)
    entry.title = clean_title
    entry.answers = cleaned
    entry.competencies = chosen
    if is_final is not None:
        entry.is_final = is_final
    entry.revision = entry.revision + 1
    entry.updated_at = clock.now()
    session.flush()
    return entry


def submit(session: Session, entry: JournalEntry) -> JournalEntryVersion:
    """Make the (saved) draft final: read-only from now on, its text kept as a new version.

    :raise NotDraft: submitted already.
    :raise Empty: no answer written.
    """
    session.refresh(entry, with_for_update=True)
    if entry.state != EntryState.DRAFT:
        raise NotDraft(f"entry {entry.id} is {entry.state}")
    if not any(str(v).strip() for v in (entry.answers or {}).values()):
        raise Empty(f"entry {entry.id} has no answer")
    now = clock.now()
    latest = session.scalar(
        select(func.max(JournalEntryVersion.number)).where(JournalEntryVersion.entry_id == entry.id)
    )
    version = JournalEntryVersion(
        entry_id=entry.id,
        number=int(latest or 0) + 1,
        title=entry.title,
        answers=dict(entry.answers or {}),
        competencies=list(entry.competencies or []),
        submitted_at=now,
    )
    session.add(version)
    entry.state = EntryState.SUBMITTED
    entry.submitted_at = now
    entry.revision = entry.revision + 1
    entry.updated_at = now
    session.flush()
    return version


def may_revise(session: Session, entry: JournalEntry) -> bool:
    """Submitted, and no hand-in of hers in the placement's course is waiting for the coach
    (SUBMITTED) or graded (GRADED): what the coach reads does not change under her."""
    if entry.state != EntryState.SUBMITTED:
        return False
    placement = entry.placement
    locked = session.scalar(
        select(JournalReview.id)
        .join(JournalAssignment, JournalAssignment.id == JournalReview.assignment_id)
        .where(
            JournalAssignment.course_id == placement.course_id,
            JournalReview.student_id == entry.student_id,
            JournalReview.state.in_([ReviewState.SUBMITTED, ReviewState.GRADED]),
        )
        .limit(1)
    )
    return locked is None


def revise(session: Session, entry: JournalEntry) -> JournalEntry:
    """A submitted entry back to a draft (its versions stay).

    :raise MayNotRevise: see ``may_revise``.
    """
    session.refresh(entry, with_for_update=True)
    if not may_revise(session, entry):
        raise MayNotRevise(f"entry {entry.id} may not be revised now")
    entry.state = EntryState.DRAFT
    entry.submitted_at = None
    entry.revision = entry.revision + 1
    entry.updated_at = clock.now()
    session.flush()
    return entry


# -- reading ------------------------------------------------------------------------------------


def entries_of(session: Session, placement_id: int) -> list[JournalEntry]:
    """The placement's entries: drafts first (newest first), then submitted (newest first)."""
    rows = session.scalars(
        select(JournalEntry)
        .where(JournalEntry.placement_id == placement_id)
        .order_by(JournalEntry.updated_at.desc(), JournalEntry.id.desc())
    )
    found = list(rows)
    return [e for e in found if e.state == EntryState.DRAFT] + sorted(
        (e for e in found if e.state == EntryState.SUBMITTED),
        key=lambda e: (e.submitted_at or e.updated_at, e.id),
        reverse=True,
    )


def submitted_entries(session: Session, placement_id: int) -> list[JournalEntry]:
    """The placement's submitted entries, oldest submission first (a journal's reading order)."""
    return list(
        session.scalars(
            select(JournalEntry)
            .where(
                JournalEntry.placement_id == placement_id,
                JournalEntry.state == EntryState.SUBMITTED,
            )
            .order_by(JournalEntry.submitted_at, JournalEntry.id)
        )
    )


def versions_of(session: Session, entry_id: int) -> list[JournalEntryVersion]:
    return list(
        session.scalars(
            select(JournalEntryVersion)
            .where(JournalEntryVersion.entry_id == entry_id)
            .order_by(JournalEntryVersion.number)
        )
    )
