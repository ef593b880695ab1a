"""Deep linking (LTI DL 2.0, https://www.imsglobal.org/spec/lti-dl/v2p0): what a coach places in
the course from the LMS's content picker.

The flow: the platform's LtiDeepLinkingRequest is verified by the launch (``launch.launch``),
which keeps its claims and sends the coach here. The coach picks "Reflectiejournaal" (graded:
one of the course's journal assignments, or a new one) and/or "Stage-overzicht" (not graded);
the answer is a signed LtiDeepLinkingResponse (``Tool.deep_link_response``) auto-posted to the
platform's return URL. The journal's content item carries its gradebook column (``lineItem``:
label, maximum, resource id, tag) the first time only (grading/deep_links.py), so the column
exists at once and never twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, render_template, request, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectMultipleField, StringField
from wtforms.validators import Length, Optional

from lti_app import db
from lti_app.core.input import one_line
from lti_app.errors import LaunchError
from lti_app.grading.deep_links import JOURNAL_TAG, column_for_deep_link, journal_resource_id
from lti_app.journals.blueprint import bp
from lti_app.journals.models import JournalAssignment
from lti_app.lti.tool import DL_SETTINGS, ContentItem, GradebookColumn, current_tool
from lti_app.roster.models import Course
from lti_app.security import Permission, current_college_id, requires

JOURNAL, OVERVIEW = "journal", "overview"
NEW = "new"
MAX_TITLE = 200
MAX_SCORE = 1000.0
# When the platform may launch a coach back to a student's submission (LTI SR 1.0).
REVIEWABLE = ("Submitted", "Completed")


class DeepLinkForm(FlaskForm):
    choice = SelectMultipleField(_l("What to add"), validate_choice=False)
    assignment = StringField(_l("Which journal assignment"))
    title = StringField(
        _l("Title of the new journal assignment"),
        validators=[Optional(), Length(max=MAX_TITLE), one_line],
    )
    max_score = StringField(_l("Maximum score"))


@dataclass(frozen=True)
class JournalChoice:
    assignment: JournalAssignment | None  # None: a new one
    title: str
    max_score: float


@bp.route("/lti/deep-link", methods=["GET", "POST"])
@requires(Permission.DEEP_LINK)
def deep_link() -> Any:
    """The coach picks what to place in the course; we answer with a signed deep-linking response.

    :raise LaunchError: no deep-linking launch of this session is waiting for an answer.
    """
    tool = current_tool()
    claims = tool.deep_link_request(session.get("launch_id"))
    if claims is None:
        raise LaunchError(
            "deep-link page without a deep-linking launch",
            _("This page only works right after choosing Driehoek in the course's content picker."),
        )
    settings = claims[DL_SETTINGS]
    multiple = settings.get("accept_multiple") is True
    course = _course()
    assignments = _assignments(course)
    form = DeepLinkForm()
    if request.method == "GET":
        form.choice.data = [OVERVIEW]
        form.assignment.data = str(assignments[-1].id) if assignments else NEW
        form.title.data = _("Reflection journal")
        form.max_score.data = "20"
    elif form.validate_on_submit():
        chosen = _chosen(form, course, assignments, multiple)
        if chosen is not None:
            items = _content_items(chosen, course, asks_line_items=settings.get("accept_lineitem"))
            token, return_url = tool.deep_link_response(claims, items)
            db.session().commit()
            session.pop("launch_id", None)  # answered: the same launch cannot be answered again
            return render_template("lti/autopost.html", action=return_url, fields={"JWT": token})
    status = 400 if request.method == "POST" else 200
    return render_template(
        "lti/deep_link.html",
        form=form,
        settings=settings,
        multiple=multiple,
        course=course,
        assignments=assignments,
        new=NEW,
    ), status


def _course() -> Course | None:
    """The course of the deep-linking launch (None when the platform sent no context)."""
    course_id = session.get("course_id")
    if not course_id:
        return None
    course = db.session().get(Course, int(course_id))
    if course is None or course.platform.college_id != current_college_id():
        abort(404)
    return course


def _assignments(course: Course | None) -> list[JournalAssignment]:
    if course is None:
        return []
    return list(
        db.session().scalars(
            select(JournalAssignment)
            .where(
                JournalAssignment.course_id == course.id, JournalAssignment.archived_at.is_(None)
            )
            .order_by(JournalAssignment.created_at, JournalAssignment.id)
        )
    )


def _chosen(
    form: DeepLinkForm,
    course: Course | None,
    assignments: list[JournalAssignment],
    multiple: bool,
) -> list[str | JournalChoice] | None:
    """What the coach chose, in the form's order; None (with the form's errors set) if unclear."""
    picked = [c for c in (form.choice.data or []) if c]
    if not picked or any(c not in (JOURNAL, OVERVIEW) for c in picked):
        form.choice.errors = [_("Choose what to add to the course.")]
        return None
    if len(set(picked)) > 1 and not multiple:
        form.choice.errors = [
            _(
                "This course's content picker takes one item at a time: choose one, then add the other."
            )
        ]
        return None
    chosen: list[str | JournalChoice] = []
    if JOURNAL in picked:
        journal = _journal_choice(form, course, assignments)
        if journal is None:
            return None
        chosen.append(journal)
    if OVERVIEW in picked:
        chosen.append(OVERVIEW)
    return chosen


def _journal_choice(
    form: DeepLinkForm, course: Course | None, assignments: list[JournalAssignment]
) -> JournalChoice | None:
    if course is None:
        form.choice.errors = [_("A reflection journal can only be added inside a course.")]
        return None
    which = (form.assignment.data or "").strip()
    if which != NEW:
        found = next((a for a in assignments if str(a.id) == which), None)
        if found is None:
            form.assignment.errors = [
                _("Choose one of this course's journal assignments, or a new one.")
            ]
            return None
        return JournalChoice(found, found.title, found.max_score)
    title = (form.title.data or "").strip()
    if not title:
        form.title.errors = [_("Give the new journal assignment a title.")]
    score = _score(form.max_score.data)
    if score is None:
        form.max_score.errors = [
            _("Enter a maximum score from 1 to %(most)s, like 20.", most=int(MAX_SCORE))
        ]
    if not title or score is None:
        return None
    return JournalChoice(None, title[:MAX_TITLE], score)


def _score(raw: str | None) -> float | None:
    text = (raw or "").strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 1 <= value <= MAX_SCORE else None


def _content_items(
    chosen: list[str | JournalChoice], course: Course | None, *, asks_line_items: Any
) -> list[ContentItem]:
    items = []
    for choice in chosen:
        if isinstance(choice, JournalChoice):
            assert course is not None
            items.append(_journal_item(choice, course, asks_line_items=asks_line_items))
        else:
            items.append(ContentItem(_("Placement overview"), {"driehoek_view": OVERVIEW}))
    return items


def _journal_item(choice: JournalChoice, course: Course, *, asks_line_items: Any) -> ContentItem:
    """The journal's content item; a new assignment is made, and its column recorded."""
    s = db.session()
    assignment = choice.assignment
    if assignment is None:
        assignment = JournalAssignment(
            course_id=course.id,
            title=choice.title,
            max_score=choice.max_score,
            entries_required=6,
            final_required=True,
            created_by_id=current_user.id,
        )
        s.add(assignment)
        s.flush()
    resource_id = journal_resource_id(assignment.id)
    if assignment.line_item_id is not None and assignment.line_item is not None:
        line_item, ask = assignment.line_item, False
        resource_id = line_item.resource_id
    else:
        column = column_for_deep_link(
            s,
            course=course,
            resource_id=resource_id,
            label=assignment.title,
            score_maximum=assignment.max_score,
        )
        line_item, ask = column.line_item, column.ask_platform
        assignment.line_item_id = line_item.id
    # A platform that says it ignores line items (accept_lineitem false) gets none; grading
    # then finds or creates the column by resource id before the first grade.
    if asks_line_items is False:
        ask = False
    custom = {"driehoek_view": JOURNAL, "driehoek_resource": resource_id}
    column_claim = (
        GradebookColumn(
            label=line_item.label or assignment.title,
            score_maximum=line_item.score_maximum,
            resource_id=resource_id,
            tag=line_item.tag or JOURNAL_TAG,
            reviewable_status=REVIEWABLE,
        )
        if ask
        else None
    )
    return ContentItem(assignment.title, custom, column_claim)
