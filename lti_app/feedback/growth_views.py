"""A student's growth per competency (GET /feedback/placements/<id>/growth): one small chart per
competency she was rated on, each point one click from its form, and the same points as tables.

Who opens it: the student herself, on her phone or laptop, before a talk with her mentor or
before writing a reflection: she wants to see whether the Werkpunt of September became a
Voldoende. Her mentor, to recall what was said before filling in the next form. Her coach
(stagebegeleider), before a visit or the tripartite meeting and when grading, on a laptop. They
give up when a chart needs a script that did not load, when a point cannot be traced to the form
that gave it, or when the page scrolls sideways on a phone; a screen reader user when the chart
is a picture without its data.

So: SVG made here (chart.py), the same dates across the page's charts, a link on every point,
a table under every chart, a fixed number of statements (growth.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lti_app import db
from lti_app.core.formats import LONG_DATE, format_day
from lti_app.feedback.blueprint import bp
from lti_app.feedback.chart import chart
from lti_app.feedback.growth import Point, growth
from lti_app.feedback.models import FormKind
from lti_app.feedback.readers import placement_and_reader
from lti_app.security import Permission, requires

KIND_LABELS = {
    FormKind.LESSON_OBSERVATION: _l("Lesson observation"),
    FormKind.LESSON_PLAN: _l("Lesson-plan feedback"),
    FormKind.MIDTERM: _l("Mid-term evaluation"),
    FormKind.FINAL: _l("Final evaluation"),
    FormKind.VISIT: _l("Visit report"),
}


class Words:
    """A page's words for its points, each made once: formatting a date and translating are
    the costly part of a page with thousands of points (the course view)."""

    def __init__(self) -> None:
        self.pattern = _("%(day)s: %(level)s (%(kind)s)")
        self.form_prefix = url_for("feedback.form", form_id=0)[:-1]
        self.kinds = {kind: str(label) for kind, label in KIND_LABELS.items()}
        self.days: dict[tuple[date, str], str] = {}

    def day(self, day: date, format: str = "medium") -> str:
        key = (day, format)
        if key not in self.days:
            self.days[key] = format_day(day, format)
        return self.days[key]

    def long_day(self, day: date) -> str:
        return self.day(day, LONG_DATE)

    def kind(self, kind: FormKind) -> str:
        return self.kinds.get(kind, str(kind))

    def form_url(self, form_id: int) -> str:
        return f"{self.form_prefix}{form_id}"

    def describe(self, point: Point) -> str:
        """What a point's <title> says (and a screen reader reads on its link)."""
        return self.pattern % {
            "day": self.day(point.day),
            "level": point.label,
            "kind": self.kind(point.kind),
        }


@bp.route("/feedback/placements/<int:placement_id>/growth", endpoint="growth")
@requires(Permission.READ_FEEDBACK)
def growth_page(placement_id: int) -> Any:
    placement, reader = placement_and_reader(placement_id)
    language = str(get_locale() or "nl")
    found = growth(db.session(), placement.id, language)
    days = [p.day for line in found.rated for p in line.points]
    first: date | None = min(days) if days else None
    last: date | None = max(days) if days else None
    words = Words()
    charts = {}
    if first is not None and last is not None:
        for line in found.rated:
            charts[line.competency.key] = chart(
                line,
                found.levels,
                first,
                last,
                chart_id=f"chart-{line.competency.key}",
                title=_(
                    "%(competency)s over time: %(count)d points",
                    competency=line.competency.title,
                    count=len(line.points),
                ),
                href=words.form_url,
                describe=words.describe,
                day_label=lambda d: words.day(d, "d MMM"),
            )
    return render_template(
        "feedback/growth.html",
        placement=placement,
        reader=reader,
        growth=found,
        charts=charts,
        words=words,
        guest_layout=reader.guest,
    )
