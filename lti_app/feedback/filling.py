"""Filling in a feedback form: a draft started (or reopened) for a request or unasked, saved as
its author types, submitted once what is required is there, corrected as a new version.

Nothing typed is ever overwritten by accident: every save names the revision it was based on,
and a save based on an older revision than the one stored is a ``Conflict`` (another device of
the author saved in between); the author decides which text stays. Takes a session, never the
request: views (form_views.py) read the browser, this decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_app import clock
from lti_app.feedback import requesting, telling, versions
from lti_app.feedback.blocks import NOT_OBSERVED
from lti_app.feedback.levels import record_levels
from lti_app.feedback.models import (
    FeedbackForm,
    FeedbackRequest,
    FeedbackTemplate,
    FilledBy,
    FormKind,
    FormState,
    RequestState,
)
from lti_app.placements.models import Placement

MAX_TEXT = 20_000  # characters of one answer: pages of text, far beyond a lesson's feedback
MAX_REASON = 1_000
LESSON_KINDS = frozenset({FormKind.LESSON_OBSERVATION, FormKind.LESSON_PLAN, FormKind.VISIT})


class FillError(Exception):
    """Something the author has to hear about; ``reason`` is for the log and for JSON."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class BadAnswers(FillError):
    """What was sent is not answers to this form (a wrong type, an unknown item): 400."""


class Conflict(FillError):
    """The form was saved meanwhile (another device): its stored revision is newer."""

    def __init__(self, form: FeedbackForm):
        super().__init__(f"stored revision {form.revision} is newer")
        self.form = form


class NotDraft(FillError):
    """The form was submitted already: it changes only through a correction."""


class NotCurrent(FillError):
    """Only the current submitted version of a form can be corrected."""


class Incomplete(FillError):
    """Required items are empty; ``missing`` names their block keys, in the form's order."""

    def __init__(self, missing: list[str]):
        super().__init__("required items missing: " + ", ".join(missing))
        self.missing = missing


class NotAllowed(FillError):
    """This person does not fill in this kind of form (a mentor and a visit report)."""


class RequestClosed(FillError):
    """The request was answered or withdrawn: no new form for it."""

    def __init__(self, request: FeedbackRequest):
        super().__init__(f"request {request.id} is {request.state}")
        self.request = request


@dataclass(frozen=True)
class Author:
    """Who writes: a mentor (``mentor_id``) or a coach (``person_id``), and their key."""

    key: str  # mentor:<id> or person:<id>
    mentor_id: int | None = None
    person_id: int | None = None

    @property
    def fills(self) -> FilledBy:
        return FilledBy.MENTOR if self.mentor_id is not None else FilledBy.COACH

    def wrote(self, form: FeedbackForm) -> bool:
        if self.mentor_id is not None:
            return form.author_mentor_id == self.mentor_id
        return form.author_person_id == self.person_id


@dataclass(frozen=True)
class Lesson:
    lesson_date: date | None = None
    class_name: str = ""
    subject: str = ""


# -- starting -----------------------------------------------------------------------------------


def start(
    session: Session,
    placement: Placement,
    author: Author,
    kind: FormKind,
    request: FeedbackRequest | None = None,
) -> FeedbackForm:
    """The author's open draft for ``request`` if there is one, else a new draft from the
    programme's current template of the request's kind (or ``kind``, unasked).

    :raise NotAllowed: the template of that kind is not one this author fills in.
    :raise RequestClosed: the request was answered or withdrawn (and no draft of theirs waits).
    """
    if request is not None:
        # Two taps on the button at once: the second waits here and finds the first's draft.
        session.scalars(
            select(FeedbackRequest.id).where(FeedbackRequest.id == request.id).with_for_update()
        ).all()
        kind = request.kind
        open_draft = _open_draft(session, placement, author, request_id=request.id)
        if open_draft is not None:
            return open_draft
        if request.state != RequestState.OPEN:
            raise RequestClosed(request)
    else:
        # A double tap on "start": the untouched draft of a moment ago, not a second one.
        open_draft = _open_draft(session, placement, author, kind=kind, untouched=True)
        if open_draft is not None:
            return open_draft
    programme = versions.programme_of(session, placement.course)
    if programme is None:
        raise NotAllowed("the course has no programme")
    template = versions.template_for(session, programme, kind)
    if template.filled_by != author.fills:
        raise NotAllowed(f"{kind} is filled in by the {template.filled_by}")
    lesson = (
        Lesson(request.lesson_date, request.class_name, request.subject) if request else Lesson()
    )
    form = FeedbackForm(
        placement_id=placement.id,
        request_id=request.id if request else None,
        template_id=template.id,
        author_mentor_id=author.mentor_id,
        author_person_id=author.person_id,
        lesson_date=lesson.lesson_date,
        class_name=lesson.class_name,
        subject=lesson.subject,
        answers={},
        revision=0,
        state=FormState.DRAFT,
        version=1,
    )
    session.add(form)
    session.flush()
    form.series_id = form.id
    session.flush()
    return form


def _open_draft(
    session: Session,
    placement: Placement,
    author: Author,
    *,
    request_id: int | None = None,
    kind: FormKind | None = None,
    untouched: bool = False,
) -> FeedbackForm | None:
    query = select(FeedbackForm).where(
        FeedbackForm.placement_id == placement.id,
        FeedbackForm.state == FormState.DRAFT,
        FeedbackForm.version == 1,
        FeedbackForm.author_mentor_id == author.mentor_id
        if author.mentor_id is not None
        else FeedbackForm.author_person_id == author.person_id,
    )
    if request_id is not None:
        query = query.where(FeedbackForm.request_id == request_id)
    else:
        query = query.where(FeedbackForm.request_id.is_(None))
    if kind is not None:
        query = query.join(FeedbackTemplate).where(FeedbackTemplate.kind == kind)
    if untouched:
        query = query.where(FeedbackForm.revision == 0)
    return session.scalars(query.order_by(FeedbackForm.id.desc()).limit(1)).first()


# -- answers ------------------------------------------------------------------------------------


def clean_answers(template: FeedbackTemplate, raw: Any) -> dict[str, Any]:
    """``raw`` checked against the template: known items only, each of its type; empty answers
    left out, checklists in the template's order.

    :raise BadAnswers: not a mapping, an unknown item, a wrong type, an unknown level or option,
        a text longer than MAX_TEXT.
    """
    if not isinstance(raw, dict):
        raise BadAnswers("answers must be an object")
    by_key = {str(b["key"]): b for b in template.blocks}
    levels = {str(s["key"]) for s in template.scale} | {NOT_OBSERVED}
    cleaned: dict[str, Any] = {}
    for key, value in raw.items():
        block_key, _, part = str(key).partition(":")
        block = by_key.get(block_key)
        kind = block.get("type") if block else None
        if block is None or kind == "heading" or (part and (part != "comment" or kind != "scale")):
            raise BadAnswers(f"no item {key!r} on this form")
        if part == "comment" or kind == "text":
            text = _text(key, value)
            if text.strip():
                cleaned[key] = text
        elif kind == "scale":
            if value in (None, ""):
                continue
            if not isinstance(value, str) or value not in levels:
                raise BadAnswers(f"{key!r}: not a level of this form's scale")
            cleaned[key] = value
        elif kind == "checklist":
            options = [str(o["key"]) for o in block.get("options", [])]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise BadAnswers(f"{key!r}: a checklist is a list of option keys")
            if set(value) - set(options):
                raise BadAnswers(f"{key!r}: not an option of this item")
            if value:
                cleaned[key] = [o for o in options if o in value]
        else:
            raise BadAnswers(f"{key!r}: an item of an unknown type")
    return cleaned


def _text(key: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadAnswers(f"{key!r}: text expected")
    if len(value) > MAX_TEXT:
        raise BadAnswers(f"{key!r}: longer than {MAX_TEXT} characters")
    return value


def missing_items(template: FeedbackTemplate, answers: dict[str, Any]) -> list[str]:
    """The required items without an answer ("not observed" answers a scale item)."""
    return [
        str(b["key"])
        for b in template.blocks
        if b.get("required") and b.get("type") != "heading" and not answers.get(str(b["key"]))
    ]


# -- saving and submitting ----------------------------------------------------------------------


def save(
    session: Session,
    form: FeedbackForm,
    author: Author,
    *,
    base_revision: int,
    answers: Any,
    lesson: Lesson,
) -> FeedbackForm:
    """Store the whole of what the author has now, as the next revision.

    :raise NotDraft: submitted already.
    :raise Conflict: ``base_revision`` is not the stored one: another save came in between.
    :raise BadAnswers: see ``clean_answers``.
    """
    if form.state != FormState.DRAFT:
        raise NotDraft(f"form {form.id} is {form.state}")
    cleaned = clean_answers(form.template, answers)
    # The row is locked so that two saves of one revision cannot both pass the check.
    session.refresh(form, with_for_update=True)
    if form.revision != base_revision:
        raise Conflict(form)
    form.answers = cleaned
    form.lesson_date = lesson.lesson_date
    form.class_name = lesson.class_name
    form.subject = lesson.subject
    form.revision = form.revision + 1
    form.updated_at = clock.now()
    session.flush()
    return form


def submit(session: Session, form: FeedbackForm, author: Author) -> FeedbackForm:
    """Make the (saved) draft final: read-only from now on, its request answered, the version it
    corrects superseded, the student told.

    :raise NotDraft: submitted already.
    :raise Incomplete: a required item is empty (nothing changes).
    """
    if form.state != FormState.DRAFT:
        raise NotDraft(f"form {form.id} is {form.state}")
    missing = missing_items(form.template, dict(form.answers or {}))
    if missing:
        raise Incomplete(missing)
    now = clock.now()
    form.state = FormState.SUBMITTED
    form.submitted_at = now
    record_levels(session, form)
    for older in session.scalars(
        select(FeedbackForm).where(
            FeedbackForm.series_id == form.series_id,
            FeedbackForm.version < form.version,
            FeedbackForm.state == FormState.SUBMITTED,
            FeedbackForm.superseded_at.is_(None),
        )
    ):
        older.superseded_at = now
    if form.request is not None and form.request.state == RequestState.OPEN:
        requesting.answered(session, form.request, now)
    session.flush()
    telling.given(session, form, author.key)
    return form


# -- corrections --------------------------------------------------------------------------------


def correct(session: Session, form: FeedbackForm, author: Author, reason: str) -> FeedbackForm:
    """A new draft version of a submitted form, its answers copied, with why it is corrected;
    the author's open correction of it if there is one already.

    :raise NotCurrent: the form is a draft or was superseded: nothing to correct.
    :raise BadAnswers: no reason, or a reason too long.
    """
    if form.state != FormState.SUBMITTED or form.superseded_at is not None:
        raise NotCurrent(f"form {form.id} is not the current submitted version")
    series = form.series_id or form.id
    waiting = session.scalars(
        select(FeedbackForm).where(
            FeedbackForm.series_id == series, FeedbackForm.state == FormState.DRAFT
        )
    ).first()
    if waiting is not None:
        return waiting
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise BadAnswers("a correction needs a reason")
    latest = session.scalar(
        select(func.max(FeedbackForm.version)).where(FeedbackForm.series_id == series)
    )
    draft = FeedbackForm(
        placement_id=form.placement_id,
        request_id=form.request_id,
        template_id=form.template_id,  # the answers fit the version they were given on
        author_mentor_id=form.author_mentor_id,
        author_person_id=form.author_person_id,
        lesson_date=form.lesson_date,
        class_name=form.class_name,
        subject=form.subject,
        answers=dict(form.answers or {}),
        revision=0,
        state=FormState.DRAFT,
        series_id=series,
        version=int(latest or form.version) + 1,
        correction_reason=reason,
    )
    session.add(draft)
    session.flush()
    return draft
