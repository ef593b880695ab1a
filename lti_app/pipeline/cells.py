"""The pipeline's table cells, made once per request and reused: 300 students repeat the same
labels, dates, mentors and hours, and formatting and escaping them (not the database) was most of
the page's time (~6,500 escaped values, ~1,000 formatted strings a request).

Each cell is ``Markup``: the labels are escaped once per language (process-wide: a catalogue does
not change while the app runs), values that recur (a period, a mentor with their invitation, an
agreement state, hours against a plan) once per request, and only what is each placement's own
(its school and link) once per placement. Each cell carries its column's name for the phone,
where rows become cards (``.cell-label``, hidden from screen readers, which have the headers).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from babel import Locale, dates
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from lti_app.agreements.views import STATE_LABELS as AGREEMENT_LABELS
from lti_app.core.formats import duration, format_locale
from lti_app.guests.models import InvitationState
from lti_app.pipeline.service import PipelineMentor, PipelinePlacement
from lti_app.placements.views import STATE_LABELS, TRACK_LABELS

INVITATION_LABELS = {
    "not_invited": _l("not invited"),
    InvitationState.SENT.value: _l("invitation sent"),
    InvitationState.OPENED.value: _l("invitation opened"),
    InvitationState.ACTIVE.value: _l("signed in"),
    InvitationState.EXPIRED.value: _l("invitation expired"),
    InvitationState.REVOKED.value: _l("invitation revoked"),
    InvitationState.BOUNCED.value: _l("invitation bounced"),
}


class Labels:
    """Every label of the pipeline in one language, escaped once."""

    def __init__(self) -> None:
        self.state = {k: escape(str(v)) for k, v in STATE_LABELS.items()}
        self.track = {k: escape(str(v)) for k, v in TRACK_LABELS.items()}
        self.invitation = {k: escape(str(v)) for k, v in INVITATION_LABELS.items()}
        self.agreement = {k: escape(str(v)) for k, v in AGREEMENT_LABELS.items()}
        self.column = {
            "placement": escape(_("Placement")),
            "school": escape(_("School")),
            "mentors": escape(_("Mentors and invitation")),
            "agreement": escape(_("Agreement")),
            "hours": escape(_("Hours logged / planned")),
        }
        self.no_mentor = escape(_("no mentor yet"))
        self.no_plan = escape(_("no plan"))
        self.no_period = escape(_("period not set"))
        self.state_tag = {
            k: Markup('<span class="tag state-{}">{}</span>').format(k, v)
            for k, v in self.state.items()
        }


_LABELS: dict[str, Labels] = {}
_LOCALES: dict[str, Locale] = {}


def labels() -> Labels:
    """The labels in the reader's language (made once per language and process)."""
    language = str(get_locale() or "nl")
    found = _LABELS.get(language)
    if found is None:
        found = _LABELS[language] = Labels()
    return found


def _locale() -> Locale:
    name = format_locale()
    found = _LOCALES.get(name)
    if found is None:
        found = _LOCALES[name] = Locale.parse(name)
    return found


class Cells:
    """One request's cells of the pipeline table (see the module's docstring)."""

    def __init__(self, placement_url: Callable[[int], str]) -> None:
        self.labels = labels()
        self.locale = _locale()
        self.placement_url = placement_url
        self._memo: dict[tuple[Any, ...], Markup] = {}

    def _once(self, key: tuple[Any, ...], make: Callable[[], Markup]) -> Markup:
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = make()
        return found

    def _cell(self, column: str, content: Markup) -> Markup:
        return Markup(
            '<td class="c-{}"><span class="cell-label" aria-hidden="true">{}</span>'
            '<div class="cell">{}</div></td>'
        ).format(column, self.labels.column[column], content)

    def day(self, value: date) -> str:
        return str(dates.format_date(value, "short", locale=self.locale))

    def period(self, start: date | None, end: date | None) -> Markup:
        if start and end:
            return escape(f"{self.day(start)} – {self.day(end)}")
        if start:
            return escape(_("from %(day)s", day=self.day(start)))
        if end:
            return escape(_("until %(day)s", day=self.day(end)))
        return self.labels.no_period

    def placement(self, p: PipelinePlacement) -> Markup:
        key = ("placement", p.state, p.track, p.start_date, p.end_date)
        return self._once(
            key,
            lambda: self._cell(
                "placement",
                Markup('{}<br><span class="small">{} · {}</span>').format(
                    self.labels.state_tag[p.state.value],
                    self.labels.track[p.track.value],
                    self.period(p.start_date, p.end_date),
                ),
            ),
        )

    def school(self, p: PipelinePlacement) -> Markup:
        city = (
            Markup('<br><span class="muted small">{}</span>').format(p.school_city)
            if p.school_city
            else Markup()
        )
        return self._cell(
            "school",
            Markup('<a href="{}">{}</a>{}').format(self.placement_url(p.id), p.school_name, city),
        )

    def _mentor(self, m: PipelineMentor) -> Markup:
        def make() -> Markup:
            subject = (
                Markup(' <span class="muted small">· {}</span>').format(m.subject)
                if m.subject
                else Markup()
            )
            return Markup('<div>{} <span class="tag invitation-{}">{}</span>{}</div>').format(
                m.name, m.invitation, self.labels.invitation[m.invitation], subject
            )

        return self._once(("mentor", m.name, m.invitation, m.subject), make)

    def mentors(self, p: PipelinePlacement) -> Markup:
        if not p.mentors:
            content = Markup('<span class="muted">{}</span>').format(self.labels.no_mentor)
        else:
            content = Markup("").join(self._mentor(m) for m in p.mentors)
        return self._cell("mentors", content)

    def agreement(self, p: PipelinePlacement) -> Markup:
        state, signed = p.agreement_state, p.agreement_signed

        def make() -> Markup:
            tag = Markup('<span class="tag agreement-{}">{}</span>').format(
                state, self.labels.agreement[state]
            )
            if state == "awaiting_signatures":
                count = ngettext("%(num)d of 3 signed", "%(num)d of 3 signed", signed)
                tag += Markup('<br><span class="small muted">{}</span>').format(count)
            return self._cell("agreement", tag)

        return self._once(("agreement", state, signed), make)

    def hours(self, p: PipelinePlacement) -> Markup:
        logged, planned, pending = p.logged_minutes, p.planned_hours, p.pending_minutes

        def make() -> Markup:
            if planned:
                text = _(
                    "%(logged)s of %(planned)s",
                    logged=duration(logged),
                    planned=duration(planned * 60),
                )
                content = Markup('{}<meter min="0" max="{}" value="{}"></meter>').format(
                    text, planned, round(min(logged / 60, planned), 2)
                )
            else:
                content = Markup('{} <span class="muted small">{}</span>').format(
                    duration(logged), self.labels.no_plan
                )
            if pending:
                waiting = _("%(pending)s awaiting the mentor", pending=duration(pending))
                content += Markup('<br><span class="muted small">{}</span>').format(waiting)
            return self._cell("hours", content)

        return self._once(("hours", logged, planned, pending), make)

    def row(self, p: PipelinePlacement) -> Markup:
        """A placement's five cells, in the order of the table's columns."""
        return (
            self.placement(p) + self.school(p) + self.mentors(p) + self.agreement(p) + self.hours(p)
        )
