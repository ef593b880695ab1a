"""The pipeline's table cells, made once per request and reused: 300 students repeat the same
labels, dates, mentors and hours, and formatting and escaping them (not the database) was most of
the page's time (~6,500 escaped values, ~1,000 formatted strings a request).

The labels (and the patterns of hours and durations) are translated and escaped once per
language (process-wide: a catalogue does not change while the app runs), and a day is written
short once per locale and process (it never changes either); values that recur (a placement's
state and period, a mentor with their invitation, an agreement state, hours against a plan, a
school's name and city) are made once per request; only what is each placement's own (its link)
once per placement. Cells are joined with f-strings from pieces that are escaped already (``escape`` of a
str, or a label made here), then marked safe: the template writes the whole table's row groups,
the list of students without a placement and the school filter's options as one value each (a
Jinja loop over 300 rows cost as much as making them). Three cells carry their column's name for
the phone, where rows become cards (``.cl``, not displayed, so not read either, where the table's
headers are seen); the state, school and period say what they are.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from babel import Locale, dates
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from lti_app import clock
from lti_app.agreements.views import STATE_LABELS as AGREEMENT_LABELS
from lti_app.core.formats import duration_writer, format_locale
from lti_app.guests.models import InvitationState
from lti_app.pipeline.service import PipelineMentor, PipelinePlacement, PipelineRow
from lti_app.placements.models import PlacementState
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
            "feedback": _e(_("Feedback")),
            "journal": _e(_("Reflection journal")),
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
        self.create = _e(_("Create placement"))
        # Patterns, not text: filled in (then escaped) per value, as gettext with variables does.
        self.hours_of = _("%(done)s of %(planned)s")
        self.awaiting = _("%(pending)s awaiting the mentor")
        self.no_feedback = _e(_("none yet"))
        self.last_feedback = _("last %(day)s")
        quiet = _e(_("no feedback lately"))
        self.quiet = f'<span class="tag feedback-quiet">{quiet}</span>'
        self.no_entries = _e(_("no entries yet"))
        self.last_entry = _("last %(day)s")


# The cells whose content does not say what it is (a tag "draft", "0 min", a name).
LABELLED = ("mentors", "agreement", "hours", "feedback", "journal")
_LABELS: dict[str, Labels] = {}
_LOCALES: dict[str, Locale] = {}


def labels() -> Labels:
    """The labels in the reader's language (made once per language and process)."""
    language = str(get_locale() or "nl")
    found = _LABELS.get(language)
    if found is None:
        found = _LABELS[language] = Labels()
    return found


def _locale(name: str) -> Locale:
    found = _LOCALES.get(name)
    if found is None:
        found = _LOCALES[name] = Locale.parse(name)
    return found


@lru_cache(maxsize=4096)
def _short_day(value: date, locale: str) -> str:
    """A day as the table writes it: the same in every request (a few hundred days a course)."""
    return str(dates.format_date(value, "short", locale=_locale(locale)))


class Cells:
    """One request's cells of the pipeline table (see the module's docstring)."""

    def __init__(self, placement_url: str, feedback_url: str, journal_url: str) -> None:
        """``placement_url``, ``feedback_url``, ``journal_url``: a placement's page, its feedback
        page and its journal, each without the id (the id is appended)."""
        self.labels = labels()
        self.feedback_url = _e(feedback_url)
        self.journal_url = _e(journal_url)
        self.locale_name = format_locale()
        self.duration = duration_writer()
        self.placement_url = _e(placement_url)
        # Made once per request: (kind, what it depends on) → the escaped cell or piece.
        self._memo: dict[tuple[Any, ...], str] = {}

    def day(self, value: date) -> str:
        return _short_day(value, self.locale_name)

    def period(self, start: date | None, end: date | None) -> str:
        if start and end:
            return _e(f"{self.day(start)} – {self.day(end)}")
        if start:
            return _e(_("from %(day)s", day=self.day(start)))
        if end:
            return _e(_("until %(day)s", day=self.day(end)))
        return self.labels.no_period

    def placement(self, p: PipelinePlacement) -> str:
        key = ("placement", p.state, p.track, p.start_date, p.end_date)
        found = self._memo.get(key)
        if found is None:
            state = self.labels.state_tag[p.state.value]
            track = self.labels.track[p.track.value]
            period = self.period(p.start_date, p.end_date)
            found = self._memo[key] = (
                f"{self.labels.open['placement']}{state}<br>"
                f'<span class="small">{track} · {period}</span></td>'
            )
        return found

    def school(self, p: PipelinePlacement) -> str:
        key = ("school", p.school_name, p.school_city)
        rest = self._memo.get(key)  # the link's text and the city: shared by a school's placements
        if rest is None:
            city = p.school_city
            city = f'<br><span class="muted small">{_e(city)}</span>' if city else ""
            rest = self._memo[key] = f"{_e(p.school_name)}</a>{city}</td>"
        return f'{self.labels.open["school"]}<a href="{self.placement_url}{p.id}">{rest}'

    def _mentor(self, m: PipelineMentor) -> str:
        key = ("mentor", m.name, m.invitation, m.subject)
        found = self._memo.get(key)
        if found is None:
            subject = f' <span class="muted small">· {_e(m.subject)}</span>' if m.subject else ""
            invitation = self.labels.invitation[m.invitation]
            found = self._memo[key] = f"<div>{_e(m.name)} {invitation}{subject}</div>"
        return found

    def mentors(self, p: PipelinePlacement) -> str:
        if p.mentors:
            content = "".join([self._mentor(m) for m in p.mentors])
        else:
            content = f'<span class="muted">{self.labels.no_mentor}</span>'
        return f"{self.labels.open['mentors']}{content}</td>"

    def agreement(self, p: PipelinePlacement) -> str:
        facts = p.agreement
        state, signed = (facts.state, facts.signed) if facts else ("none", 0)
        key = ("agreement", state, signed)
        found = self._memo.get(key)
        if found is None:
            tag = self.labels.agreement[state]
            if state == "awaiting_signatures":
                count = _e(ngettext("%(num)d of 3 signed", "%(num)d of 3 signed", signed))
                tag += f'<br><span class="small muted">{count}</span>'
            found = self._memo[key] = f"{self.labels.open['agreement']}{tag}</td>"
        return found

    def hours(self, p: PipelinePlacement) -> str:
        planned, pending = p.planned_hours, p.pending_minutes
        logged = p.approved_minutes + pending
        key = ("hours", logged, planned, pending)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._hours(logged, planned, pending)
        return found

    def _hours(self, logged: int, planned: int, pending: int) -> str:
        duration, labels = self.duration, self.labels
        if planned:
            text = _e(
                labels.hours_of % {"done": duration(logged), "planned": duration(planned * 60)}
            )
            value = round(min(logged / 60, planned), 2)
            content = f'{text}<meter min="0" max="{planned}" value="{value}"></meter>'
        else:
            content = f'{_e(duration(logged))} <span class="muted small">{labels.no_plan}</span>'
        if pending:
            waiting = _e(labels.awaiting % {"pending": duration(pending)})
            content += f'<br><span class="muted small">{waiting}</span>'
        return f"{labels.open['hours']}{content}</td>"

    def feedback(self, p: PipelinePlacement) -> str:
        """How many feedback forms came (a link to the placement's feedback) and when the last;
        flagged when a running placement has had none for FEEDBACK_QUIET_WEEKS."""
        labels = self.labels
        if p.state != PlacementState.APPROVED:
            return f'{labels.open["feedback"]}<span class="muted">–</span></td>'
        flag = f"<br>{labels.quiet}" if p.feedback_quiet else ""
        if not p.feedback_forms:
            return (
                f'{labels.open["feedback"]}<a href="{self.feedback_url}{p.id}">'
                f"{labels.no_feedback}</a>{flag}</td>"
            )
        key = ("feedback", p.feedback_forms)
        count = self._memo.get(key)
        if count is None:
            forms = ngettext("%(num)d form", "%(num)d forms", p.feedback_forms)
            count = self._memo[key] = _e(forms)
        last = ""
        if p.feedback_last is not None:
            day = self.day(clock.in_brussels(p.feedback_last).date())
            last = f'<br><span class="muted small">{_e(labels.last_feedback % {"day": day})}</span>'
        return (
            f'{labels.open["feedback"]}<a href="{self.feedback_url}{p.id}">{count}</a>'
            f"{last}{flag}</td>"
        )

    def journal(self, p: PipelinePlacement) -> str:
        """How many reflection entries the student submitted (a link to her journal), how many
        she is writing, and when the last came."""
        labels = self.labels
        if p.state != PlacementState.APPROVED:
            return f'{labels.open["journal"]}<span class="muted">–</span></td>'
        key = ("journal", p.journal_submitted, p.journal_drafts)
        count = self._memo.get(key)
        if count is None:
            if p.journal_submitted or p.journal_drafts:
                parts = [ngettext("%(num)d submitted", "%(num)d submitted", p.journal_submitted)]
                if p.journal_drafts:
                    parts.append(ngettext("%(num)d draft", "%(num)d drafts", p.journal_drafts))
                count = _e(", ".join(parts))
            else:
                count = labels.no_entries
            self._memo[key] = count
        last = ""
        if p.journal_last is not None:
            day = self.day(clock.in_brussels(p.journal_last).date())
            last = f'<br><span class="muted small">{_e(labels.last_entry % {"day": day})}</span>'
        return f'{labels.open["journal"]}<a href="{self.journal_url}{p.id}">{count}</a>{last}</td>'

    def student(self, row: PipelineRow) -> str:
        """The row group's header: the student's name (a link to the placement that most needs
        attention), whether they left the course, their address."""
        focus = row.focus
        assert focus is not None, "students without a placement are not in the table"
        left = f" {self.labels.left}" if not row.active else ""
        email = f'<br><span class="muted small">{_e(row.email)}</span>' if row.email else ""
        return (
            f'<th scope="rowgroup" rowspan="{len(row.placements)}" class="student">'
            f'<a href="{self.placement_url}{focus.id}">{_e(row.name)}</a>{left}{email}</th>'
        )

    def row(self, p: PipelinePlacement) -> str:
        """A placement's seven cells, in the order of the table's columns."""
        return (
            self.placement(p)
            + self.school(p)
            + self.mentors(p)
            + self.agreement(p)
            + self.hours(p)
            + self.feedback(p)
            + self.journal(p)
        )

    def table(self, rows: list[PipelineRow]) -> Markup:
        """The table's row groups: one <tbody> a student (greyed if they left), one <tr> a
        placement, the student's header in the first. Safe to write: every value in it went
        through ``_e`` or is a label escaped in ``Labels``."""
        parts: list[str] = []
        add = parts.append
        placement, school, mentors = self.placement, self.school, self.mentors
        agreement, hours, feedback = self.agreement, self.hours, self.feedback
        journal = self.journal
        for row in rows:
            add("\n<tbody>" if row.active else '\n<tbody class="inactive">')
            student = self.student(row)
            for p in row.placements:
                add(
                    f"\n<tr>{student}{placement(p)}{school(p)}{mentors(p)}{agreement(p)}"
                    f"{hours(p)}{feedback(p)}{journal(p)}</tr>"
                )
                student = ""
            add("\n</tbody>")
        return Markup("".join(parts))  # noqa: S704 (built from escaped pieces only, see above)

    def unplaced(self, rows: list[PipelineRow], new_url: str) -> Markup:
        """The list items of the students without a placement: name, whether they left, address,
        and (while they are in the course) a link to create their placement."""
        labels, url = self.labels, _e(new_url)
        parts: list[str] = []
        add = parts.append
        for row in rows:
            name = _e(row.name)
            email = f'<span class="muted small">{_e(row.email)}</span>' if row.email else ""
            if row.active:
                add(
                    f'\n<li class="unplaced-student">\n{name}\n{email}\n'
                    f'<a class="small" href="{url}?student={row.person_id}"'
                    f' aria-label="{labels.create}: {name}">{labels.create}</a>\n</li>'
                )
            else:
                add(
                    f'\n<li class="unplaced-student inactive">\n{name} {labels.left}\n{email}\n</li>'
                )
        return Markup("".join(parts))  # noqa: S704 (built from escaped pieces only)

    @staticmethod
    def school_options(schools: list[tuple[int, str]], selected: int | None) -> Markup:
        """The school filter's options (the "all" option is the template's)."""
        parts = [
            f'<option value="{school_id}"{" selected" if school_id == selected else ""}>'
            f"{_e(name)}</option>"
            for school_id, name in schools
        ]
        return Markup("\n".join(parts))  # noqa: S704 (built from escaped pieces only)
