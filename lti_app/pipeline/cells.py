"""The pipeline's table cells, made once per request and reused: 300 students repeat the same
labels, dates, mentors and hours, and formatting and escaping them (not the database) was most of
the page's time (~6,500 escaped values, ~1,000 formatted strings a request).

The labels are escaped once per language (process-wide: a catalogue does not change while the
app runs); values that recur (a placement's state and period, a mentor with their invitation, an
agreement state, hours against a plan) are made once per request; only what is each placement's
own (its school and link) once per placement. Cells are joined with f-strings from pieces that
are escaped already (``escape`` of a str, or a label made here), then marked safe: Jinja then
writes a placement's five cells as one value. Three cells carry their column's name for the
phone, where rows become cards (``.cl``, not displayed, so not read either, where the table's
headers are seen); the state, school and period say what they are.
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
from lti_app.pipeline.service import PipelineMentor, PipelinePlacement, PipelineRow
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


def _e(value: Any) -> str:
    """``value`` escaped for HTML, as a plain str to put in an f-string."""
    return str(escape(str(value)))


class Labels:
    """Every label of the pipeline in one language, escaped once."""

    def __init__(self) -> None:
        self.column = {
            "placement": _e(_("Placement")),
            "school": _e(_("School")),
            "mentors": _e(_("Mentors and invitation")),
            "agreement": _e(_("Agreement")),
            "hours": _e(_("Hours logged / planned")),
        }
        self.state = {k: _e(v) for k, v in STATE_LABELS.items()}
        self.track = {k: _e(v) for k, v in TRACK_LABELS.items()}
        self.invitation = {
            k: f'<span class="tag invitation-{k}">{_e(v)}</span>'
            for k, v in INVITATION_LABELS.items()
        }
        self.agreement = {
            k: f'<span class="tag agreement-{k}">{_e(v)}</span>'
            for k, v in AGREEMENT_LABELS.items()
        }
        self.state_tag = {
            k: f'<span class="tag state-{k}">{v}</span>' for k, v in self.state.items()
        }
        self.no_mentor = _e(_("no mentor yet"))
        self.no_plan = _e(_("no plan"))
        self.no_period = _e(_("period not set"))
        # A cell's opening, with its column's name for the phone where the header is not seen.
        self.open = {
            column: "<td>" + (f'<span class="cl">{label}</span>' if column in LABELLED else "")
            for column, label in self.column.items()
        }
        left = _e(_("left the course"))  # not inside the f-string: the extractor skips those
        self.left = f'<span class="tag">{left}</span>'


# The cells whose content does not say what it is (a tag "draft", "0 min", a name).
LABELLED = ("mentors", "agreement", "hours")
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

    def __init__(self, placement_url: str) -> None:
        """``placement_url``: a placement's URL without its id (the id is appended)."""
        self.labels = labels()
        self.locale = _locale()
        self.placement_url = _e(placement_url)
        self._memo: dict[tuple[Any, ...], str] = {}

    def _once(self, key: tuple[Any, ...], make: Callable[[], str]) -> str:
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = make()
        return found

    def day(self, value: date) -> str:
        return self._once(
            ("day", value), lambda: str(dates.format_date(value, "short", locale=self.locale))
        )

    def period(self, start: date | None, end: date | None) -> str:
        if start and end:
            return _e(f"{self.day(start)} – {self.day(end)}")
        if start:
            return _e(_("from %(day)s", day=self.day(start)))
        if end:
            return _e(_("until %(day)s", day=self.day(end)))
        return self.labels.no_period

    def placement(self, p: PipelinePlacement) -> str:
        def make() -> str:
            state = self.labels.state_tag[p.state.value]
            track = self.labels.track[p.track.value]
            period = self.period(p.start_date, p.end_date)
            return (
                f"{self.labels.open['placement']}{state}<br>"
                f'<span class="small">{track} · {period}</span></td>'
            )

        return self._once(("placement", p.state, p.track, p.start_date, p.end_date), make)

    def school(self, p: PipelinePlacement) -> str:
        city = f'<br><span class="muted small">{_e(p.school_city)}</span>' if p.school_city else ""
        link = f'<a href="{self.placement_url}{p.id}">{_e(p.school_name)}</a>'
        return f"{self.labels.open['school']}{link}{city}</td>"

    def _mentor(self, m: PipelineMentor) -> str:
        def make() -> str:
            subject = f' <span class="muted small">· {_e(m.subject)}</span>' if m.subject else ""
            return f"<div>{_e(m.name)} {self.labels.invitation[m.invitation]}{subject}</div>"

        return self._once(("mentor", m.name, m.invitation, m.subject), make)

    def mentors(self, p: PipelinePlacement) -> str:
        if p.mentors:
            content = "".join(self._mentor(m) for m in p.mentors)
        else:
            content = f'<span class="muted">{self.labels.no_mentor}</span>'
        return f"{self.labels.open['mentors']}{content}</td>"

    def agreement(self, p: PipelinePlacement) -> str:
        state, signed = p.agreement_state, p.agreement_signed

        def make() -> str:
            tag = self.labels.agreement[state]
            if state == "awaiting_signatures":
                count = _e(ngettext("%(num)d of 3 signed", "%(num)d of 3 signed", signed))
                tag += f'<br><span class="small muted">{count}</span>'
            return f"{self.labels.open['agreement']}{tag}</td>"

        return self._once(("agreement", state, signed), make)

    def hours(self, p: PipelinePlacement) -> str:
        logged, planned, pending = p.logged_minutes, p.planned_hours, p.pending_minutes

        def make() -> str:
            if planned:
                text = _e(
                    _(
                        "%(done)s of %(planned)s",
                        done=duration(logged),
                        planned=duration(planned * 60),
                    )
                )
                value = round(min(logged / 60, planned), 2)
                content = f'{text}<meter min="0" max="{planned}" value="{value}"></meter>'
            else:
                content = (
                    f'{_e(duration(logged))} <span class="muted small">{self.labels.no_plan}</span>'
                )
            if pending:
                waiting = _e(_("%(pending)s awaiting the mentor", pending=duration(pending)))
                content += f'<br><span class="muted small">{waiting}</span>'
            return f"{self.labels.open['hours']}{content}</td>"

        return self._once(("hours", logged, planned, pending), make)

    def student(self, row: PipelineRow) -> Markup:
        """The row group's header: the student's name (a link to the placement that most needs
        attention), whether they left the course, their address."""
        focus = row.focus
        assert focus is not None, "students without a placement are not in the table"
        left = f" {self.labels.left}" if not row.active else ""
        email = f'<br><span class="muted small">{_e(row.email)}</span>' if row.email else ""
        html = (
            f'<th scope="rowgroup" rowspan="{len(row.placements)}" class="student">'
            f'<a href="{self.placement_url}{focus.id}">{_e(row.name)}</a>{left}{email}</th>'
        )
        return Markup(html)  # noqa: S704 (built from escaped pieces only)

    def row(self, p: PipelinePlacement) -> Markup:
        """A placement's five cells, in the order of the table's columns, safe to write: every
        value in them went through ``_e`` or is a label escaped in ``Labels``."""
        cells = (
            self.placement(p) + self.school(p) + self.mentors(p) + self.agreement(p) + self.hours(p)
        )
        return Markup(cells)  # noqa: S704 (built from escaped pieces only, see above)
