"""Feedback requests and what a placement's feedback page lists (a service: it takes a session).

A student asks one mentor of her placement for feedback on a lesson; the mentor is told
(telling.py) until a submitted form answers the request (``answered``, called by the form's
submit) or the student withdraws it. The overview reads a placement's requests and forms in a
fixed number of statements, however many there are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from lti_app import clock
from lti_app.feedback import blocks, telling
from lti_app.feedback.blocks import Competency
from lti_app.feedback.defaults import DEFAULT_TEMPLATES, default_competencies
from lti_app.feedback.models import (
    FeedbackForm,
    FeedbackRequest,
    FeedbackTemplate,
    FormKind,
    FormState,
    RequestState,
)
from lti_app.feedback.versions import latest_framework, programme_of
from lti_app.placements.models import Placement, PlacementMentor
from lti_app.schools.models import Mentor

MAX_NOTE = 2000
MAX_RESPONSE = 5000
# The forms a mentor starts; the coach starts a visit report.
MENTOR_KINDS = (FormKind.LESSON_OBSERVATION, FormKind.LESSON_PLAN, FormKind.MIDTERM, FormKind.FINAL)
COACH_KINDS = (FormKind.VISIT,)


class NotAMentorOfThePlacement(ValueError):
    """The mentor named is not a mentor of this placement (a tampered form)."""


class RequestClosed(ValueError):
    """The request was answered or withdrawn already."""


# -- what the pages offer -------------------------------------------------------------------------


def mentors_of(session: Session, placement_id: int) -> list[Mentor]:
    """The placement's mentors, in the order they were added: the only ones a student may ask."""
    return list(
        session.scalars(
            select(Mentor)
            .join(PlacementMentor, PlacementMentor.mentor_id == Mentor.id)
            .where(PlacementMentor.placement_id == placement_id)
            .order_by(PlacementMentor.id)
        )
    )


def current_competencies(session: Session, placement: Placement, language: str) -> list[Competency]:
    """The competencies of the programme's current framework (the defaults while it has none);
    reading them saves nothing."""
    programme = programme_of(session, placement.course)
    framework = latest_framework(session, programme.id) if programme is not None else None
    raw = framework.competencies if framework is not None else default_competencies()
    return blocks.competencies(raw, language)


def kind_titles(session: Session, placement: Placement, language: str) -> dict[FormKind, str]:
    """Each kind's name: the title of the programme's newest template of it (one statement),
    the shipped default's while the programme has none."""
    titles = {kind: blocks.pick(DEFAULT_TEMPLATES[kind][1], language) for kind in FormKind}
    programme = programme_of(session, placement.course)
    if programme is None:
        return titles
    rows = session.execute(
        select(FeedbackTemplate.kind, FeedbackTemplate.title)
        .where(FeedbackTemplate.programme_id == programme.id)
        .order_by(FeedbackTemplate.kind, FeedbackTemplate.version.desc())
    )
    seen: set[FormKind] = set()
    for kind, title in rows:
        if kind not in seen:
            seen.add(kind)
            titles[FormKind(kind)] = blocks.pick(title, language)
    return titles


# -- requests -------------------------------------------------------------------------------------


def create_request(
    session: Session,
    placement: Placement,
    *,
    student_id: int,
    mentor_id: int,
    lesson_date: date | None,
    class_name: str,
    subject: str,
    focus: Iterable[str],
    note: str,
) -> FeedbackRequest:
    """The student's request to one of her placement's mentors; that mentor is told.

    :raise NotAMentorOfThePlacement: ``mentor_id`` is not a mentor of this placement.
    """
    if mentor_id not in {m.id for m in mentors_of(session, placement.id)}:
        raise NotAMentorOfThePlacement(mentor_id)
    request = FeedbackRequest(
        placement_id=placement.id,
        mentor_id=mentor_id,
        kind=FormKind.LESSON_OBSERVATION,
        lesson_date=lesson_date,
        class_name=class_name.strip(),
        subject=subject.strip(),
        focus=list(dict.fromkeys(focus)),
        note=note.strip()[:MAX_NOTE],
        created_by_id=student_id,
        created_at=clock.now(),
    )
    session.add(request)
    session.flush()
    telling.requested(session, request, placement)
    return request


def withdraw(session: Session, request: FeedbackRequest) -> None:
    """The student takes an open request back; the mentor's notice is settled.

    :raise RequestClosed: it was answered or withdrawn already.
    """
    if request.state != RequestState.OPEN:
        raise RequestClosed(request.id)
    request.state = RequestState.WITHDRAWN
    telling.closed(session, request)


def answered(session: Session, request: FeedbackRequest, when: datetime) -> None:
    """A form for the request was submitted (the form's submit calls this): the request is
    answered and nothing waits for the mentor any more. A withdrawn request stays withdrawn;
    answering twice keeps the first moment."""
    if request.state == RequestState.OPEN:
        request.state = RequestState.ANSWERED
        request.answered_at = when
    telling.closed(session, request)


# -- the student's response -----------------------------------------------------------------------


def respond(session: Session, form: FeedbackForm, response: str, follow_up: str) -> None:
    """The student's response and follow-up actions on a submitted form (saved again: edited).

    :raise ValueError: the form is not submitted.
    """
    if form.state != FormState.SUBMITTED:
        raise ValueError("only a submitted form gets a response")
    form.student_response = response.strip()[:MAX_RESPONSE]
    form.follow_up = follow_up.strip()[:MAX_RESPONSE]
    form.responded_at = clock.now()


# -- the overview ---------------------------------------------------------------------------------


@dataclass
class Overview:
    requests: list[FeedbackRequest]  # newest first
    forms: list[FeedbackForm]  # submitted, the newest version of each, newest first
    drafts: list[FeedbackForm]  # the reader's own
    mentors: dict[int, Mentor]  # every mentor a request names
    kinds: dict[FormKind, str]
    focus: dict[str, str] = field(default_factory=dict)  # competency key → title

    def open_requests(self) -> list[FeedbackRequest]:
        return [r for r in self.requests if r.state == RequestState.OPEN]


def overview(
    session: Session,
    placement: Placement,
    *,
    language: str,
    mentor_id: int | None = None,
    author: Any = None,
) -> Overview:
    """The placement's requests (only those to ``mentor_id`` when given), its submitted forms
    and the drafts ``author`` (a Reader) writes. Statements do not grow with requests or forms."""
    wanted = select(FeedbackRequest).where(FeedbackRequest.placement_id == placement.id)
    if mentor_id is not None:
        wanted = wanted.where(FeedbackRequest.mentor_id == mentor_id)
    requests = list(
        session.scalars(wanted.order_by(FeedbackRequest.created_at.desc(), FeedbackRequest.id))
    )
    forms = list(
        session.scalars(
            select(FeedbackForm)
            .where(FeedbackForm.placement_id == placement.id)
            .options(
                selectinload(FeedbackForm.template),
                selectinload(FeedbackForm.author_mentor),
                selectinload(FeedbackForm.author_person),
            )
            .order_by(FeedbackForm.submitted_at.desc(), FeedbackForm.id.desc())
        )
    )
    submitted = [f for f in forms if f.state == FormState.SUBMITTED and f.superseded_at is None]
    drafts = [f for f in forms if f.state == FormState.DRAFT and author and author.wrote(f)]
    mentor_ids = {r.mentor_id for r in requests}
    mentors = (
        {m.id: m for m in session.scalars(select(Mentor).where(Mentor.id.in_(mentor_ids)))}
        if mentor_ids
        else {}
    )
    focus = {c.key: c.title for c in current_competencies(session, placement, language)}
    return Overview(
        requests=requests,
        forms=submitted,
        drafts=drafts,
        mentors=mentors,
        kinds=kind_titles(session, placement, language),
        focus=focus,
    )


def form_title(form: FeedbackForm, language: str) -> str:
    """A form's name: its own template version's title."""
    return blocks.pick(form.template.title, language)


def counts(session: Session, placement_id: int, mentor_id: int | None = None) -> dict[str, int]:
    """For a placement page's link: open requests (to ``mentor_id`` when given), submitted
    forms, and how many of those the student has not responded to yet ("new" for her)."""
    open_filter = [
        FeedbackRequest.placement_id == placement_id,
        FeedbackRequest.state == RequestState.OPEN,
    ]
    if mentor_id is not None:
        open_filter.append(FeedbackRequest.mentor_id == mentor_id)
    # One statement: the open requests as a scalar subquery beside the forms' counts.
    open_count = select(func.count(FeedbackRequest.id)).where(*open_filter).scalar_subquery()
    form_count, responded, open_requests = session.execute(
        select(
            func.count(FeedbackForm.id), func.count(FeedbackForm.responded_at), open_count
        ).where(
            FeedbackForm.placement_id == placement_id,
            FeedbackForm.state == FormState.SUBMITTED,
            FeedbackForm.superseded_at.is_(None),
        )
    ).one()
    forms = int(form_count or 0)
    return {"open": int(open_requests or 0), "forms": forms, "new": forms - int(responded or 0)}
