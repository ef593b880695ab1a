"""The student's journal to take away: every entry she submitted (the version last submitted,
named), in the order she submitted them, with its prompts, answers, competencies and dates; as
a standalone web page (templates/journals/export.html) and as a PDF (fpdf2, Noto Sans like the
agreement PDFs, so every name on a Flemish class list prints).

A revised entry (a draft again) appears as it was last submitted: a draft is not yet part of
the journal anyone reads.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

import fontpkg_noto_sans
from babel.dates import format_datetime
from flask_babel import gettext as _
from fpdf import FPDF
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_app import clock
from lti_app.feedback import blocks, versions
from lti_app.journals import prompts as prompt_store
from lti_app.journals.models import JournalEntry, JournalEntryVersion
from lti_app.journals.sanitize import clean_html, plain_text
from lti_app.placements.models import Placement

FAMILY = "NotoSans"


@dataclass(frozen=True)
class Answer:
    phase: str
    label: str
    html: str  # sanitised
    text: str


@dataclass(frozen=True)
class ExportEntry:
    title: str
    set_title: str
    number: int  # the version shown
    submitted_at: datetime
    is_final: bool
    starting_point: str
    from_feedback: bool
    answers: list[Answer]
    competencies: list[str]


@dataclass(frozen=True)
class JournalExport:
    student: str
    school: str
    course: str
    made_at: datetime
    entries: list[ExportEntry] = field(default_factory=list)


def journal_export(session: Session, placement: Placement, language: str) -> JournalExport:
    newest = (
        select(
            JournalEntryVersion.entry_id,
            func.max(JournalEntryVersion.number).label("number"),
        )
        .join(JournalEntry, JournalEntry.id == JournalEntryVersion.entry_id)
        .where(JournalEntry.placement_id == placement.id)
        .group_by(JournalEntryVersion.entry_id)
        .subquery()
    )
    rows = session.execute(
        select(JournalEntryVersion, JournalEntry)
        .join(
            newest,
            (newest.c.entry_id == JournalEntryVersion.entry_id)
            & (newest.c.number == JournalEntryVersion.number),
        )
        .join(JournalEntry, JournalEntry.id == JournalEntryVersion.entry_id)
        .order_by(JournalEntryVersion.submitted_at, JournalEntry.id)
    ).all()
    titles = _competency_titles(session, placement, language)
    entries = []
    for version, entry in rows:
        found = prompt_store.prompt_set(entry.prompts, entry.prompt_set, language)
        answers = []
        for p in found.prompts if found else []:
            html = clean_html(str((version.answers or {}).get(p.key, "")))
            answers.append(Answer(p.phase, p.label, html, plain_text(html)))
        entries.append(
            ExportEntry(
                title=version.title,
                set_title=found.title if found else entry.prompt_set,
                number=version.number,
                submitted_at=version.submitted_at,
                is_final=entry.is_final,
                starting_point=entry.starting_point,
                from_feedback=entry.feedback_form_id is not None,
                answers=answers,
                competencies=[titles.get(k, k) for k in version.competencies or []],
            )
        )
    return JournalExport(
        student=placement.student.display_name,
        school=placement.school.name,
        course=placement.course.title,
        made_at=clock.now(),
        entries=entries,
    )


def _competency_titles(session: Session, placement: Placement, language: str) -> dict[str, str]:
    programme = versions.programme_of(session, placement.course)
    if programme is None:
        return {}
    framework = versions.framework_for(session, programme)
    return {c.key: c.title for c in blocks.competencies(framework.competencies, language)}


def file_name(export: JournalExport, extension: str) -> str:
    name = _("Reflection journal %(student)s", student=export.student)
    cleaned = "".join(" " if c in "/\\" or unicodedata.category(c)[0] == "C" else c for c in name)
    return " ".join(cleaned.split()) + "." + extension


# -- the PDF ------------------------------------------------------------------------------------


@cache
def _font_file() -> str:
    files = Path(fontpkg_noto_sans.ROOT) / "files"
    found = sorted(p for p in files.glob("NotoSans*.ttf") if "Italic" not in p.name)
    if not found:
        raise RuntimeError(f"Noto Sans is missing from {files}")
    return str(found[0])


def _when(value: datetime, language: str) -> str:
    return str(format_datetime(clock.in_brussels(value), "d MMMM yyyy HH:mm", locale=language))


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")


def _text(pdf: FPDF, text: str, size: float = 10, height: float = 5.2) -> None:
    pdf.set_font(FAMILY, "", size)
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT", align="L")


def render_pdf(export: JournalExport, language: str) -> bytes:
    title = _("Reflection journal of %(student)s", student=export.student)
    pdf = _Pdf(format="A4")
    pdf.footer_text = f"Driehoek · {title}"
    pdf.set_title(title)
    pdf.set_author(export.student)
    pdf.set_creator("Driehoek")
    pdf.set_lang(language)
    pdf.add_font(FAMILY, "", _font_file())  # one weight: headings stand out by size and colour
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(18, 18, 18)
    pdf.add_page()
    pdf.set_text_color(11, 110, 79)
    _text(pdf, title, 16, 8)
    pdf.set_text_color(20, 20, 20)
    _text(pdf, f"{export.school} · {export.course}")
    _text(pdf, _("Made %(when)s (Brussels time)", when=_when(export.made_at, language)), 9)
    if not export.entries:
        pdf.ln(4)
        _text(pdf, _("Nothing submitted yet."))
    for number, entry in enumerate(export.entries, start=1):
        pdf.ln(6)
        pdf.set_text_color(11, 110, 79)
        heading = entry.title or _("Untitled entry")
        _text(pdf, f"{number}. {heading}", 13, 7)
        pdf.set_text_color(90, 90, 90)
        facts = [
            entry.set_title,
            _("submitted %(moment)s", moment=_when(entry.submitted_at, language)),
            _("version %(num)d", num=entry.number),
        ]
        if entry.is_final:
            facts.append(_("final reflection"))
        _text(pdf, " · ".join(facts), 9)
        pdf.set_text_color(20, 20, 20)
        if entry.starting_point:
            started = (
                _("Started from feedback received")
                if entry.from_feedback
                else _("Started from what you would try next")
            )
            _text(pdf, started + ": " + entry.starting_point, 9)
        phase = ""
        for answer in entry.answers:
            if answer.phase and answer.phase != phase:
                pdf.ln(2)
                pdf.set_text_color(11, 110, 79)
                _text(pdf, answer.phase, 11, 6)
                pdf.set_text_color(20, 20, 20)
            phase = answer.phase
            pdf.ln(1.5)
            pdf.set_text_color(60, 60, 60)
            _text(pdf, answer.label, 10.5, 5.5)
            pdf.set_text_color(20, 20, 20)
            _text(pdf, answer.text or "—")
        if entry.competencies:
            pdf.ln(1.5)
            _text(pdf, _("Competencies") + ": " + "; ".join(entry.competencies), 9)
    return bytes(pdf.output())
