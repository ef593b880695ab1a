"""One journal entry: the editor for the student's own draft, read-only once submitted (for her
and for the coach of the course), with its versions; starting, saving without script,
submitting, revising.

Who opens it: a student, on a phone right after a lesson or on a laptop at home, to write down
what happened while she still remembers it. She gives up the first time a paragraph she wrote
is lost — a sign-in that ran out in the evening, a tab closed by accident — and then writes the
bare minimum forever after. So every change is saved a second after she stops typing
(static/journal-entry.js), kept on the device while it cannot be sent, the page says honestly
which of the two it is, and without script the buttons still save every word.
A coach reads the submitted entry of one of her forty students: the prompts and answers, the
competencies, the dates and every submitted version, nothing to edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from lti_app import db
from lti_app.core.formats import format_moment
from lti_app.feedback import blocks, versions
from lti_app.journals import prompts as prompt_store
from lti_app.journals import writing
from lti_app.journals.access import (
    Reader,
    entry_and_reader,
    placement_and_reader,
    student_or_coach,
    writer_of,
)
from lti_app.journals.blueprint import bp
from lti_app.journals.journal_views import language
from lti_app.journals.models import EntryComment, EntryState, JournalEntry, JournalEntryVersion
from lti_app.journals.prompts import Prompt
from lti_app.placements.models import Placement
from lti_app.security import Permission, requires


@dataclass(frozen=True)
class Group:
    """Consecutive prompts of one phase (ALACT's looking back), or one prompt alone."""

    phase: str
    prompts: list[Prompt]


def groups(prompts: list[Prompt]) -> list[Group]:
    found: list[Group] = []
    for p in prompts:
        if p.phase and found and found[-1].phase == p.phase:
            found[-1].prompts.append(p)
        else:
            found.append(Group(p.phase, [p]))
    return found


def saved_text(entry: JournalEntry) -> str:
    return format_moment(entry.updated_at, "HH:mm")


def competency_choices(placement: Placement) -> list[blocks.Competency]:
    s = db.session()
    programme = versions.programme_of(s, placement.course)
    if programme is None:
        return []
    framework = versions.framework_for(s, programme)
    return blocks.competencies(framework.competencies, language())


def _page_of(entry: JournalEntry) -> dict[str, Any]:
    found = prompt_store.prompt_set(entry.prompts, entry.prompt_set, language())
    return {
        "set": found,
        "groups": groups(found.prompts if found else []),
        "competencies": competency_choices(entry.placement),
    }


def render_editor(
    entry: JournalEntry,
    placement: Placement,
    reader: Reader,
    *,
    title: str | None = None,
    texts: dict[str, str] | None = None,
    chosen: list[str] | None = None,
    is_final: bool | None = None,
    problems: list[str] | None = None,
    conflict: JournalEntry | None = None,
    status: int = 200,
) -> Any:
    page = render_template(
        "journals/entry.html",
        entry=entry,
        placement=placement,
        reader=reader,
        title=entry.title if title is None else title,
        texts=writing.texts_of(entry) if texts is None else texts,
        chosen=set((entry.competencies or []) if chosen is None else chosen),
        is_final=entry.is_final if is_final is None else is_final,
        problems=problems or [],
        conflict=conflict,
        conflict_texts=writing.texts_of(conflict) if conflict is not None else {},
        saved_at=saved_text(entry) if entry.revision else "",
        versions=writing.versions_of(db.session(), entry.id),
        **_page_of(entry),
    )
    # What someone typed, shown back to them: kept in no cache.
    return page, status, {"Cache-Control": "no-store"}


def render_read(entry: JournalEntry, placement: Placement, reader: Reader) -> Any:
    s = db.session()
    comments = list(
        s.scalars(
            select(EntryComment)
            .where(EntryComment.entry_id == entry.id, EntryComment.released_at.is_not(None))
            .order_by(EntryComment.released_at)
        )
    )
    every = writing.versions_of(s, entry.id)
    shown: JournalEntry | JournalEntryVersion = entry
    if entry.state == EntryState.DRAFT and every:  # the coach of a revised entry: the last one
        shown = every[-1]
    page = render_template(
        "journals/entry_read.html",
        entry=entry,
        shown=shown,
        placement=placement,
        reader=reader,
        versions=every,
        comments=comments,
        may_revise=reader.student and writing.may_revise(s, entry),
        next_cycle=reader.student
        and entry.state == EntryState.SUBMITTED
        and entry.prompt_set == "alact",
        **_page_of(entry),
    )
    return page, 200, {"Cache-Control": "no-store"}


# -- the pages ----------------------------------------------------------------------------------


@bp.route("/journals/entries/<int:entry_id>")
@student_or_coach
def entry(entry_id: int) -> Any:
    """:raise 404: no such entry, or not one the signed-in person may read."""
    found, placement, reader = entry_and_reader(entry_id)
    if reader.student and found.state == EntryState.DRAFT:
        return render_editor(found, placement, reader)
    return render_read(found, placement, reader)


@bp.route("/journals/entries/<int:entry_id>/versions/<int:number>")
@student_or_coach
def entry_version(entry_id: int, number: int) -> Any:
    found, placement, reader = entry_and_reader(entry_id)
    s = db.session()
    version = s.scalars(
        select(JournalEntryVersion).where(
            JournalEntryVersion.entry_id == found.id, JournalEntryVersion.number == number
        )
    ).first()
    if version is None:
        abort(404)
    return render_template(
        "journals/entry_version.html",
        entry=found,
        version=version,
        placement=placement,
        reader=reader,
        versions=writing.versions_of(s, found.id),
        **_page_of(found),
    )


# -- starting an entry --------------------------------------------------------------------------


@bp.route("/journals/placements/<int:placement_id>/entries", methods=["POST"])
@requires(Permission.WRITE_JOURNAL)
def new_entry(placement_id: int) -> Any:
    """A new draft from a prompt set; from a feedback form (and a growth point quoted from it)
    when ``feedback_form_id`` says so; ALACT's next cycle from her submitted ALACT entry
    (``next_cycle_of``: what she would try, quoted as its start).

    :raise 400: an unknown prompt set, or a form (or quote) that is not one of her placement's
        submitted forms; nothing is stored.
    """
    placement, reader = placement_and_reader(placement_id)
    student_id = writer_of(reader)
    s = db.session()
    form = None
    quote = ""
    raw_form = request.form.get("feedback_form_id", "").strip()
    if raw_form:
        if not raw_form.isdigit():
            abort(400)
        try:
            form, quote = writing.feedback_to_start_from(
                s, placement, int(raw_form), request.form.get("starting_point", "")
            )
        except writing.BadEntry:
            s.rollback()
            abort(400)
    raw_previous = request.form.get("next_cycle_of", "").strip()
    if raw_previous and not form:
        if not raw_previous.isdigit():
            abort(400)
        try:
            quote = writing.next_cycle_from(s, placement, student_id, int(raw_previous))
        except writing.BadEntry:
            s.rollback()
            abort(400)
    try:
        made = writing.start(
            s,
            placement,
            student_id,
            request.form.get("prompt_set", "free" if form else ""),
            feedback_form=form,
            starting_point=quote,
            is_final=request.form.get("is_final") == "1",
        )
    except writing.BadEntry:
        s.rollback()
        abort(400)
    except writing.NoProgramme:
        s.rollback()
        flash(_("Your course has no programme yet, so there are no reflection prompts."), "error")
        return redirect(url_for("journals.journal", placement_id=placement.id), code=303)
    s.commit()
    return redirect(url_for("journals.entry", entry_id=made.id), code=303)


# -- saving without script ----------------------------------------------------------------------


def texts_from(entry: JournalEntry, fields: Any) -> dict[str, str]:
    """The editor's textareas (``a-<prompt key>``) as the student typed them."""
    return {key: fields.get(f"a-{key}", "") for key in writing.prompt_keys(entry)}


@bp.route("/journals/entries/<int:entry_id>", methods=["POST"])
@requires(Permission.WRITE_JOURNAL)
def save_entry(entry_id: int) -> Any:
    """The editor's buttons: "save" keeps the draft, "submit" saves and submits it."""
    found, placement, reader = entry_and_reader(entry_id)
    writer_of(reader, found)
    if found.state != EntryState.DRAFT:
        flash(_("This entry was submitted already; nothing was changed."), "error")
        return redirect(url_for("journals.entry", entry_id=found.id), code=303)
    action = request.form.get("action", "save")
    raw_revision = request.form.get("revision", "")
    if action not in ("save", "submit") or not raw_revision.isdigit():
        abort(400)
    s = db.session()
    title = request.form.get("title", "")
    texts = texts_from(found, request.form)
    chosen = request.form.getlist("competency")
    is_final = request.form.get("is_final") == "1"
    try:
        writing.save(
            s,
            found,
            base_revision=int(raw_revision),
            title=title,
            answers=texts,
            competencies=chosen,
            is_final=is_final,
        )
    except writing.BadEntry:
        s.rollback()
        abort(400)
    except (writing.Conflict, writing.NotDraft):
        s.rollback()
        stored = s.get(JournalEntry, found.id)
        assert stored is not None
        problem = _(
            "This entry was saved from another tab or device meanwhile. Nothing was saved from "
            "this page yet, and nothing you typed is lost: it is below, with the other version "
            "under it. Save again to keep what is on this page."
        )
        return render_editor(
            stored,
            placement,
            reader,
            title=title,
            texts=texts,
            chosen=chosen,
            is_final=is_final,
            problems=[problem],
            conflict=stored,
            status=409,
        )
    if action == "submit":
        return _submit(found, placement, reader)
    s.commit()
    flash(_("Saved at %(time)s.", time=saved_text(found)), "ok")
    return redirect(url_for("journals.entry", entry_id=found.id), code=303)


def _submit(found: JournalEntry, placement: Placement, reader: Reader) -> Any:
    s = db.session()
    try:
        version = writing.submit(s, found)
    except writing.Empty:
        s.commit()  # what was typed (a title, competencies) is saved; only the submitting waits
        problem = _("Write at least one answer before you submit. Your entry is saved.")
        return render_editor(found, placement, reader, problems=[problem], status=422)
    except writing.NotDraft:
        s.rollback()
        flash(_("This entry was submitted already; nothing was changed."), "error")
        return redirect(url_for("journals.entry", entry_id=found.id), code=303)
    s.commit()
    flash(
        _(
            "Submitted (version %(number)d). Your coach can read it now; it no longer changes.",
            number=version.number,
        ),
        "ok",
    )
    return redirect(url_for("journals.entry", entry_id=found.id), code=303)


@bp.route("/journals/entries/<int:entry_id>/submit", methods=["POST"])
@requires(Permission.WRITE_JOURNAL)
def submit_entry(entry_id: int) -> Any:
    """Submit the draft as it is stored (its revision must be the one the page showed)."""
    found, placement, reader = entry_and_reader(entry_id)
    writer_of(reader, found)
    raw_revision = request.form.get("revision", "")
    if not raw_revision.isdigit():
        abort(400)
    if found.state == EntryState.DRAFT and int(raw_revision) != found.revision:
        flash(_("This entry was saved meanwhile: read it once more and submit again."), "error")
        return redirect(url_for("journals.entry", entry_id=found.id), code=303)
    return _submit(found, placement, reader)


@bp.route("/journals/entries/<int:entry_id>/revise", methods=["POST"])
@requires(Permission.WRITE_JOURNAL)
def revise_entry(entry_id: int) -> Any:
    """A submitted entry back to a draft, while no hand-in of hers waits for a grade."""
    found, _placement, reader = entry_and_reader(entry_id)
    writer_of(reader, found)
    s = db.session()
    try:
        writing.revise(s, found)
    except writing.MayNotRevise:
        s.rollback()
        flash(
            _(
                "This entry cannot be changed now: your journal is with your coach for a grade. "
                "Your coach can ask you for a resubmission."
            ),
            "error",
        )
        return redirect(url_for("journals.entry", entry_id=found.id), code=303)
    s.commit()
    flash(_("Your entry is a draft again. Submit it once more when you are done."), "ok")
    return redirect(url_for("journals.entry", entry_id=found.id), code=303)
