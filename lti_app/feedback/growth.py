"""Growth: each competency's levels over time, read from a placement's submitted forms (and,
for the coach's course view, from all of a course's), plus the pipeline's feedback facts.

A point is one form's judgement of one competency: the level of the form's scale items tied to
it (several items on one competency — a lesson observation rates fg1 four times — make one
point: the level nearest their mean, the lower one on a tie, so a point never flatters). "Not
observed" and empty answers make no point; a form replaced by a submitted correction makes
none either (its correction does). Each level is read from THAT form's template version, so a
later change of the scale never moves an old point.

A fixed number of statements whatever the number of forms or students: the forms in one, the
template versions they use (with their framework) in one. The course view reads the same points
from the levels table instead (levels.py), written when each form is submitted.
"""

from __future__ import annotations

import json
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, and_, cast, exists, func, null, select
from sqlalchemy.orm import Session, aliased

from lti_app import clock
from lti_app.feedback import blocks
from lti_app.feedback.blocks import Competency, Level
from lti_app.feedback.defaults import DEFAULT_SCALE, default_competencies
from lti_app.feedback.models import (
    CompetencyFramework,
    FeedbackForm,
    FeedbackTemplate,
    FormKind,
    FormState,
)


@dataclass(frozen=True, slots=True)
class Point:
    form_id: int
    day: date  # the lesson's date, else the Brussels date it was submitted
    level: str  # the level's key in that form's scale
    label: str
    value: int
    kind: FormKind


@dataclass(slots=True)
class Line:
    """One competency's points, oldest first."""

    competency: Competency
    points: list[Point] = field(default_factory=list)

    @property
    def latest(self) -> Point | None:
        return self.points[-1] if self.points else None


@dataclass(frozen=True)
class Growth:
    lines: list[Line]  # every competency of the framework, in its order
    levels: list[Level]  # the y axis, highest first (the newest scale's labels per value)
    form_count: int
    last_day: date | None

    @property
    def rated(self) -> list[Line]:
        return [line for line in self.lines if line.points]


@dataclass(frozen=True, slots=True)
class _Template:
    kind: FormKind
    framework_version: int
    levels: dict[str, Level]  # by key
    rated: tuple[tuple[str, tuple[str, ...]], ...]  # (competency, its scale blocks' keys)
    competencies: list[Competency]
    nearest: dict[tuple[int, int], Level] = field(default_factory=dict)  # (sum, n) → level

    def level(self, total: int, count: int) -> Level:
        """The level nearest the mean of ``count`` values adding up to ``total``; the lower
        one on a tie (remembered: a course view asks thousands of times)."""
        found = self.nearest.get((total, count))
        if found is None:
            mean = total / count
            found = min(self.levels.values(), key=lambda lv: (abs(lv.value - mean), lv.value))
            self.nearest[(total, count)] = found
        return found


def current_submitted() -> ColumnElement[bool]:
    """A submitted form that no submitted correction replaced (whatever ``superseded_at``
    says while a correction is still a draft)."""
    newer = aliased(FeedbackForm)
    replaced = exists().where(
        newer.series_id == FeedbackForm.series_id,
        newer.version > FeedbackForm.version,
        newer.state == FormState.SUBMITTED,
    )
    return and_(FeedbackForm.state == FormState.SUBMITTED, ~replaced)


def facts_query(placements: Any) -> Any:
    """(placement id, submitted forms, when the last came) per placement that ``placements``
    (a SELECT of placement ids) selects and that has current submitted forms; the columns are
    named (placement_id, forms, last) for a statement that joins it in as a subquery."""
    return (
        select(
            FeedbackForm.placement_id,
            func.count().label("forms"),
            func.max(FeedbackForm.submitted_at).label("last"),
        )
        .where(FeedbackForm.placement_id.in_(placements), current_submitted())
        .group_by(FeedbackForm.placement_id)
    )


def facts_of(rows: Iterable[Any]) -> dict[int, tuple[int, datetime]]:
    """``facts_query``'s rows as {placement id: (forms, last)}."""
    # A submitted form has its moment: the maximum is never empty.
    return {pid: (int(count), last) for pid, count, last in rows if last is not None}


def pipeline_facts(session: Session, course_placements: Any) -> dict[int, tuple[int, datetime]]:
    """{placement id: (submitted forms, when the last came)} for the placements ``course_placements``
    (a SELECT of placement ids) selects, in one statement; a placement without forms is absent."""
    return facts_of(session.execute(facts_query(course_placements)))


def answers_of(form: Any) -> dict[str, Any]:
    """A form row's answers (``form_rows`` reads them as text)."""
    raw = form.answers
    if isinstance(raw, dict):
        return raw
    found = json.loads(raw) if raw else {}
    return found if isinstance(found, dict) else {}


def form_rows(session: Session, placements: Any) -> list[Any]:
    """The current submitted forms of the placements ``placements`` (a SELECT of ids, or one
    id), oldest first, their answers as JSON text: one statement."""
    where = (
        FeedbackForm.placement_id == placements
        if isinstance(placements, int)
        else FeedbackForm.placement_id.in_(placements)
    )
    return list(
        session.execute(
            select(
                FeedbackForm.id,
                FeedbackForm.placement_id,
                FeedbackForm.template_id,
                FeedbackForm.lesson_date,
                FeedbackForm.submitted_at,
                # As text, decoded only where a point may come of it (answers_of): for a course
                # view, decoding every form's JSON is most of the page's time.
                cast(FeedbackForm.answers, Text).label("answers"),
            )
            .where(where, current_submitted())
            .order_by(FeedbackForm.submitted_at, FeedbackForm.id)
        )
    )


def templates_of(
    session: Session,
    template_ids: Iterable[int] | Select[Any],
    language: str,
    *,
    items: bool = True,
) -> dict[int, _Template]:
    """The template versions (with their framework version) by id (or those a SELECT of ids
    selects), read once each: one statement, none when a list of ids is empty. Without
    ``items`` their blocks are left unread (``rated`` is empty): the course view needs none."""
    wanted = template_ids if isinstance(template_ids, Select) else sorted(set(template_ids))
    if not isinstance(wanted, Select) and not wanted:
        return {}
    return {
        t.id: template_of(t.kind, t.version, t.scale, t.blocks or [], t.competencies, language)
        for t in session.execute(
            select(
                FeedbackTemplate.id,
                FeedbackTemplate.kind,
                FeedbackTemplate.scale,
                FeedbackTemplate.blocks if items else null().label("blocks"),
                CompetencyFramework.version,
                CompetencyFramework.competencies,
            )
            .join(CompetencyFramework, FeedbackTemplate.framework_id == CompetencyFramework.id)
            .where(FeedbackTemplate.id.in_(wanted))
        )
    }


def template_of(
    kind: str,
    framework_version: int,
    scale: list[dict[str, Any]],
    items: list[dict[str, Any]],
    competencies: list[dict[str, Any]],
    language: str,
) -> _Template:
    """A template version's JSON, read for growth in ``language``."""
    return _Template(
        kind=FormKind(kind),
        framework_version=framework_version,
        levels={level.key: level for level in blocks.levels(scale, language)},
        rated=_rated(blocks.blocks(items, language)),
        competencies=blocks.competencies(competencies, language),
    )


def day_of(lesson_date: date | None, submitted_at: datetime | None) -> date:
    if lesson_date is not None:
        return lesson_date
    return clock.in_brussels(submitted_at or clock.now()).date()


def _rated(items: list[blocks.Block]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    keys: dict[str, list[str]] = {}
    for b in items:
        if b.type == "scale" and b.competency:
            keys.setdefault(b.competency, []).append(b.key)
    return tuple((competency, tuple(found)) for competency, found in keys.items())


def rated_level(
    answers: dict[str, Any], template: _Template, keys: tuple[str, ...]
) -> Level | None:
    """The level the form's ``keys`` (one competency's scale items) give together, if any."""
    total = count = 0
    for key in keys:
        answer = answers.get(key)
        # Not observed, empty, or a level the scale lacks: no value.
        level = template.levels.get(answer) if answer.__class__ is str else None
        if level is not None:
            total += level.value
            count += 1
    return template.level(total, count) if count else None


def points_of(form: Any, template: _Template, skip: Container[str] = ()) -> dict[str, Point]:
    """The form's point per competency it rated (see the module's docstring), leaving out the
    competencies in ``skip``."""
    answers = answers_of(form)
    points = {}
    day: date | None = None
    for competency, keys in template.rated:
        if competency in skip:
            continue
        level = rated_level(answers, template, keys)
        if level is None:
            continue
        day = day or day_of(form.lesson_date, form.submitted_at)
        points[competency] = Point(form.id, day, level.key, level.label, level.value, template.kind)
    return points


def framework_competencies(templates: Iterable[_Template], language: str) -> list[Competency]:
    """The competencies of the newest framework version the forms use, then any that only an
    older version had; the default framework's when there are no forms."""
    ordered = sorted(templates, key=lambda t: -t.framework_version)
    if not ordered:
        return blocks.competencies(default_competencies(), language)
    seen: dict[str, Competency] = {}
    for template in ordered:
        for competency in template.competencies:
            seen.setdefault(competency.key, competency)
    return list(seen.values())


def axis(templates: Iterable[_Template], language: str) -> list[Level]:
    """One level per value, highest first, labelled as the newest framework's forms say."""
    by_value: dict[int, Level] = {}
    for template in sorted(templates, key=lambda t: -t.framework_version):
        for level in template.levels.values():
            by_value.setdefault(level.value, level)
    if not by_value:
        by_value = {level.value: level for level in blocks.levels(DEFAULT_SCALE, language)}
    return sorted(by_value.values(), key=lambda lv: -lv.value)


def growth(session: Session, placement_id: int, language: str) -> Growth:
    """The placement's growth per competency: two statements (none more for more forms)."""
    forms = form_rows(session, placement_id)
    templates = templates_of(session, (f.template_id for f in forms), language)
    lines = {c.key: Line(c) for c in framework_competencies(templates.values(), language)}
    for form in forms:
        for key, point in points_of(form, templates[form.template_id]).items():
            if key in lines:
                lines[key].points.append(point)
    for line in lines.values():
        line.points.sort(key=lambda p: (p.day, p.form_id))
    days = [day_of(f.lesson_date, f.submitted_at) for f in forms]
    return Growth(
        lines=list(lines.values()),
        levels=axis(templates.values(), language),
        form_count=len(forms),
        last_day=max(days) if days else None,
    )


def quiet(
    last: date | None, start: date | None, end: date | None, *, today: date, weeks: int
) -> bool:
    """An active placement (started, not ended) with no feedback for ``weeks`` weeks: counted
    from its last form, else from its start (a placement that just began is not quiet yet)."""
    if start is not None and start > today:
        return False
    if end is not None and end < today:
        return False
    since = last or start
    return since is None or today - since >= timedelta(weeks=weeks)
