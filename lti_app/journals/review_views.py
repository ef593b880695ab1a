"""The coach's review of one student's hand-in: her submitted entries with a comment box each,
the rubric, the grade and an overall comment; save as a draft, finish, ask for a resubmission,
and release (a separate, deliberate button: only then does the student see anything, and only
then does the grade go to the LMS gradebook).

Who opens it: a coach (stagebegeleider) following forty students, on a laptop, working through
the grading queue one hand-in after another — or straight from the LMS gradebook (a submission
review launch, Canvas's SpeedGrader), which lands on ``review_student``. She gives up when a
comment she typed is lost to one bad number, when she must go back to the queue between two
students, or when she cannot tell whether a grade reached the gradebook. So: a bad field shows
its message next to it and everything typed stays; next/previous are links (rel, accesskey n/p)
and j/k with journal-queue.js; each student's gradebook status is shown next to the release.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from lti_app import clock, db
from lti_app.feedback.editing import Errors, shown
from lti_app.grading.status import score_statuses
from lti_app.journals import handing, queue, reviewing
from lti_app.journals.assignments import shown_number
from lti_app.journals.blueprint import bp
from lti_app.journals.models import JournalEntry, JournalReview, ReviewState
from lti_app.journals.review_access import (
    coach_assignment,
    coach_review,
    signed_in_person,
)
from lti_app.journals.sanitize import clean_html
from lti_app.placements.models import Placement
from lti_app.roster.models import Membership, Role
from lti_app.security import Permission, requires


def shown_html(value: Any) -> Markup:
    """An entry's answer: sanitised again on the way out (it was on the way in)."""
    return Markup(clean_html(str(value or "")))  # noqa: S704  # sanitised by nh3's allow-list


def _label(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("nl") or "")
    return str(value or "")


def entry_blocks(entry: JournalEntry, lang: str) -> list[tuple[str, Markup]]:
    """The entry's answers under their prompts' labels, in the prompt set's order."""
    sets = entry.prompts.sets if entry.prompts is not None else []
    prompts: list[dict[str, Any]] = next(
        (p.get("prompts", []) for p in sets if p.get("key") == entry.prompt_set), []
    )
    labels = {str(p.get("key")): _label(p.get("label"), lang) for p in prompts}
    order = [k for k in labels if k in entry.answers] + [
        k for k in entry.answers if k not in labels
    ]
    return [
        (labels.get(k, ""), shown_html(entry.answers[k])) for k in order if entry.answers.get(k)
    ]


def _status(review: JournalReview) -> Any:
    line_item_id = review.assignment.line_item_id
    if line_item_id is None:
        return None
    return score_statuses(db.session(), line_item_id, [review.student_id]).get(review.student_id)


def _page(
    review: JournalReview,
    grading: reviewing.Grading | None = None,
    errors: Errors | None = None,
    status: int = 200,
) -> Any:
    s = db.session()
    entries = handing.submitted_entries(s, review.assignment.course_id, review.student_id)
    comments = reviewing.comments_of(s, review.id)
    lang = str(get_locale() or "nl")
    here = url_for(".review", review_id=review.id)
    return (
        render_template(
            "journals/review.html",
            review=review,
            assignment=review.assignment,
            student=review.student,
            entries=[(e, entry_blocks(e, lang), comments.get(e.id)) for e in entries],
            grading=grading or reviewing.grading_from(review, comments),
            errors=shown(errors or {}),
            rubric_total=sum(float(r["points"]) for r in review.assignment.rubric),
            points_total=sum(float(v) for v in (review.rubric_points or {}).values()),
            near=queue.neighbours(s, review),
            unreleased=reviewing.unreleased_changes(review, comments),
            progress=handing.progress(s, review.assignment, review.student_id),
            score_status=_status(review),
            here=here,
            journal_url=url_for("journals.journal", placement_id=review.placement_id)
            if review.placement_id
            else None,
            entry_url=lambda entry_id: url_for("journals.entry", entry_id=entry_id),
            shown_number=shown_number,
        ),
        status,
    )


def _entry_ids(review: JournalReview) -> list[int]:
    return [
        e.id
        for e in handing.submitted_entries(
            db.session(), review.assignment.course_id, review.student_id
        )
    ]


def _posted(review: JournalReview) -> tuple[reviewing.Grading, reviewing.Checked, Errors]:
    grading = reviewing.read_grading(request.form, review.assignment, _entry_ids(review))
    checked, errors = reviewing.check_grading(grading, review.assignment)
    return grading, checked, errors


def _save(review: JournalReview, grading: reviewing.Grading, checked: reviewing.Checked) -> None:
    reviewing.save_working_copy(
        db.session(),
        review,
        grading,
        checked,
        coach_id=signed_in_person().id,
        now=clock.now(),
    )


def _to(review: JournalReview, anchor: str = "") -> Response:
    return redirect(url_for(".review", review_id=review.id) + anchor, code=303)


@bp.route("/journals/reviews/<int:review_id>", methods=["GET", "POST"])
@requires(Permission.REVIEW_JOURNALS)
def review(review_id: int) -> Any:
    """GET the review; POST saves the working copy (``action``: ``draft``, or ``graded`` to
    finish it and go on to the next hand-in). Nothing of it reaches the student.

    :raise 404: no such review in the coach's course.
    """
    found = coach_review(review_id)
    if request.method == "GET":
        return _page(found)
    grading, checked, errors = _posted(found)
    if errors:
        return _page(found, grading, errors, status=422)
    s = db.session()
    _save(found, grading, checked)
    if request.form.get("action") == "graded":
        after = queue.neighbours(s, found).next
        reviewing.mark_graded(found, now=clock.now())
        s.commit()
        flash(
            _(
                "Saved as graded for %(name)s. The student sees nothing of it until you release it.",
                name=found.student.display_name,
            ),
            "ok",
        )
        if after is not None:
            return redirect(url_for(".review", review_id=after), code=303)
        return redirect(url_for(".queue", assignment=found.assignment_id), code=303)
    s.commit()
    flash(_("Draft saved. The student sees nothing of it until you release it."), "ok")
    return _to(found)


@bp.route("/journals/reviews/<int:review_id>/entries/<int:entry_id>/comment", methods=["POST"])
@requires(Permission.REVIEW_JOURNALS)
def comment_entry(review_id: int, entry_id: int) -> Any:
    """Save the comment on one entry (field ``comment-<entry id>`` or ``body``).

    :raise 404: no such review in the coach's course, or the entry is not in it.
    """
    found = coach_review(review_id)
    if entry_id not in _entry_ids(found):
        abort(404)
    body = (request.form.get(f"comment-{entry_id}") or request.form.get("body") or "").strip()
    if len(body) > reviewing.COMMENT_MAX:
        grading = reviewing.read_grading(request.form, found.assignment, _entry_ids(found))
        grading.comments[entry_id] = body
        message = _("At most %(limit)d characters.", limit=reviewing.COMMENT_MAX)
        return _page(found, grading, {f"comment-{entry_id}": message}, status=422)
    s = db.session()
    reviewing.set_comment(
        s,
        found,
        entry_id,
        body,
        author_id=signed_in_person().id,
        existing=reviewing.comments_of(s, found.id),
    )
    s.commit()
    flash(_("Comment saved. The student reads it once you release it."), "ok")
    return _to(found, f"#entry-{entry_id}")


@bp.route("/journals/reviews/<int:review_id>/resubmit", methods=["POST"])
@requires(Permission.REVIEW_JOURNALS)
def ask_resubmission(review_id: int) -> Any:
    """Send the hand-in back with a reason (``reason``); the entry comments go with it.

    :raise 404: no such review in the coach's course.
    """
    found = coach_review(review_id)
    grading, checked, errors = _posted(found)
    if not grading.reason and "reason" not in errors:
        errors["reason"] = _("Say what the student should change before handing in again.")
    if found.state not in (ReviewState.SUBMITTED, ReviewState.GRADED):
        errors[""] = [_("Only work that was handed in can be sent back.")]
    if errors:
        return _page(found, grading, errors, status=422)
    s = db.session()
    after = queue.neighbours(s, found).next
    _save(found, grading, checked)
    reviewing.ask_resubmission(
        s, found, grading.reason, now=clock.now(), coach_id=signed_in_person().id
    )
    s.commit()
    flash(
        _(
            "Sent back to %(name)s with your reason and your comments on the entries. "
            "It returns to the queue when it is handed in again.",
            name=found.student.display_name,
        ),
        "ok",
    )
    if after is not None:
        return redirect(url_for(".review", review_id=after), code=303)
    return _to(found)


@bp.route("/journals/reviews/<int:review_id>/release", methods=["POST"])
@requires(Permission.REVIEW_JOURNALS)
def release(review_id: int) -> Any:
    """Save what is typed, then release it: the student sees the grade, the rubric points and
    the comments, and the grade goes to the gradebook (a score row in the same transaction).

    :raise 404: no such review in the coach's course.
    """
    found = coach_review(review_id)
    grading, checked, errors = _posted(found)
    if not errors and checked.grade is None:
        errors["grade"] = _("Give a grade (or rubric points) before releasing.")
    if errors:
        return _page(found, grading, errors, status=422)
    s = db.session()
    _save(found, grading, checked)
    again = found.released_at is not None
    reviewing.release(
        s,
        found,
        coach=signed_in_person(),
        # The tool's public address (BASE_URL), not this request's host: the LMS opens it.
        review_url=str(current_app.config["BASE_URL"]).rstrip("/")
        + url_for(
            ".review_student", assignment_id=found.assignment_id, student_id=found.student_id
        ),
        now=clock.now(),
    )
    s.commit()
    values = {"name": found.student.display_name, "grade": shown_number(found.released_grade)}
    if again:
        flash(
            _("Released again: %(name)s now sees %(grade)s; the gradebook gets it.", **values), "ok"
        )
    else:
        flash(_("Released: %(name)s sees %(grade)s; the gradebook gets it.", **values), "ok")
    return _to(found)


@bp.route("/journals/assignments/<int:assignment_id>/students/<int:student_id>")
@requires(Permission.REVIEW_JOURNALS)
def review_student(assignment_id: int, student_id: int) -> Any:
    """The review of that student's hand-in, made on the first visit if there is none yet:
    where a submission review launch from the LMS gradebook lands.

    :raise 404: no such assignment in the coach's course, or not a student of it.
    """
    assignment = coach_assignment(assignment_id)
    s = db.session()
    member = s.scalar(
        select(Membership.id).where(
            Membership.course_id == assignment.course_id,
            Membership.person_id == student_id,
            Membership.role == Role.STUDENT,
        )
    )
    placed = s.scalar(
        select(Placement.id).where(
            Placement.course_id == assignment.course_id, Placement.student_id == student_id
        )
    )
    if member is None and placed is None:
        abort(404)
    found = handing.review_made(s, assignment, student_id)
    s.commit()
    return _to(found)
