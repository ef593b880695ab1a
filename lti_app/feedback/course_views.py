"""The course's feedback at a glance for its coach (GET /feedback/course): students ×
competencies, the latest level in each cell, linked to the form that gave it.

Who opens it: a coach (stagebegeleider) following forty students, a coordinator looking at a
course of 300 — on a laptop, before planning visits or a round of tripartite meetings. They come
to see who grows, who is stuck on a Knelpunt, and above all who has had no feedback for weeks.
They give up when the table is a wall of colours they cannot tell apart, when a cell leads
nowhere, when they must open forty pages to find the three students who need a visit, or when
the page is slow for a large course.

So: every cell says its level in words as well as colour and links to its form, every name to
the student's growth; the quiet students are counted and marked first in their row; the table
scrolls in its own box on a phone; three statements whatever the course's size (course_growth).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import abort, current_app, render_template, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from lti_app import clock, db
from lti_app.feedback.blueprint import bp
from lti_app.feedback.course_growth import CourseGrowth, course_growth
from lti_app.feedback.growth_views import Words
from lti_app.roster.models import Course, Person, Role
from lti_app.security import Permission, requires

# Built once and filled in per student: url_for for each of 300 rows is a noticeable share.
MARK = 987654321


def table_rows(overview: CourseGrowth, words: Words, growth_url: Callable[[int], str]) -> Markup:
    """The table's body, made here rather than in the template: 300 students × 18 competencies
    is 5,400 cells, and a Jinja loop spends most of the page's time on them. A cell is the same
    text around its form's id, made once per day and level.
    """
    empty = Markup(
        '<td><span class="muted" aria-hidden="true">–</span>'
        '<span class="visually-hidden">{}</span></td>'
    ).format(_("no level"))
    quiet_tag = Markup(' <span class="quiet-tag">{}</span>').format(_("quiet"))
    quiet_row = '<tr class="is-quiet">'
    prefix = escape(words.form_prefix)
    # (day, label, value) → the cell's text before and after its form's id
    around: dict[tuple[date, str, int], tuple[str, str]] = {}
    keys = [c.key for c in overview.competencies]
    rows: list[str] = []
    for student in overview.students:
        latest = student.latest
        cells: list[str] = []
        for key in keys:
            point = latest.get(key)
            if point is None:
                cells.append(empty)
                continue
            found = around.get(point[1:])
            if found is None:
                found = around[point[1:]] = (
                    f'<td><a class="level-tag lv-{point.value}" href="{prefix}',
                    f'" title="{escape(words.day(point.day))}">{escape(point.label)}</a></td>',
                )
            cells.append(f"{found[0]}{point.form_id}{found[1]}")
        last = (
            f'<span class="muted small"> · {escape(words.day(student.last_day))}</span>'
            if student.last_day
            else ""
        )
        rows.append(
            (quiet_row if student.quiet else "<tr>")
            + f'<th scope="row"><a href="{escape(growth_url(student.placement_id))}">'
            f"{escape(student.name)}</a>{quiet_tag if student.quiet else ''}</th>"
            f'<td class="count">{student.form_count}{last}</td>{"".join(cells)}</tr>\n'
        )
    return Markup("".join(rows))  # noqa: S704  # every text escaped above


@bp.route("/feedback/course")
@requires(Permission.COACH_HOME)
def course() -> Any:
    """:raise 403: not a coach or coordinator of the session's course."""
    user = current_user._get_current_object()
    if not isinstance(user, Person) or session.get("role") not in (Role.COACH, Role.COORDINATOR):
        abort(403)
    course_id = session.get("course_id")
    the_course = db.session().get(Course, course_id) if course_id else None
    if the_course is None:
        return render_template("feedback/course.html", course=None, guest_layout=False)
    weeks = int(current_app.config["FEEDBACK_QUIET_WEEKS"])
    found = course_growth(
        db.session(),
        the_course.id,
        str(get_locale() or "nl"),
        today=clock.today(),
        quiet_weeks=weeks,
    )
    words = Words()
    return render_template(
        "feedback/course.html",
        course=the_course,
        overview=found,
        quiet_weeks=weeks,
        quiet_count=sum(1 for s in found.students if s.quiet),
        rows=table_rows(
            found,
            words,
            url_for("feedback.growth", placement_id=MARK).replace(str(MARK), "{}").format,
        ),
        guest_layout=False,
    )
