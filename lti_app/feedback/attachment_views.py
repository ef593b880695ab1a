"""Attachments on feedback: uploading one to a request or a draft form, downloading one, and the
template helpers that list them (templates/feedback/_attachments.html).

Who uploads: a student attaching her lesson plan to the feedback request she is writing, on a
laptop the evening before the lesson; a mentor adding a photo of the blackboard or a marked-up
lesson plan to the form they are filling in, on a phone right after the lesson. Who downloads:
the placement's people (the student, her mentors, the course's coaches), to read the plan before
the lesson or the photo with the feedback. They give up when a refused file says nothing of why
(too big? wrong kind?), when an upload takes them off the page they were on, or when what they
typed elsewhere on the page is lost — so every outcome comes back as one message on the page
they came from, and a body far over the limit is cut off early with a page that says the limit.

Only the placement's people see that an attachment exists: anyone else gets 404 for its URL. A
download is always a download (never shown inline, never sniffed, no scripts, no caching), with
the type its content proved, so a file cannot act as a page of ours.
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import quote, urlsplit

from babel.numbers import format_decimal
from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import BuildError

from lti_app import db
from lti_app.core.formats import format_locale
from lti_app.errors import STATUS_TEXT, render_error
from lti_app.feedback import attachments
from lti_app.feedback.blueprint import bp
from lti_app.feedback.models import (
    FeedbackAttachment,
    FeedbackForm,
    FeedbackRequest,
    FormState,
    RequestState,
)
from lti_app.feedback.readers import Reader, placement_and_reader
from lti_app.placements.models import Placement
from lti_app.security import Permission, current_permissions, requires

# Bodies up to this many times the limit are read and refused with the limit on the page the
# sender came from; bigger ones are cut off before being read (413).
BODY_FACTOR = 2
FORM_OVERHEAD = 64 * 1024  # the multipart wrapping and the other fields of the upload form


HOMES = {
    "student": "placements.student_home",
    "mentor": "mentors.portal",
    "coach": "placements.coach_home",
}


def limit_bytes() -> int:
    return int(current_app.config["ATTACHMENT_MAX_MB"]) * attachments.MB


@bp.url_value_preprocessor
def _upload_body_limit(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # URL value preprocessors run before every before-request hook, and the CSRF check (one of
    # those) reads the form: the upload's own body limit (above the app's MAX_CONTENT_LENGTH for
    # other pages) has to be set before it.
    if endpoint == "feedback.upload":
        request.max_content_length = BODY_FACTOR * limit_bytes() + FORM_OVERHEAD


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> Any:
    if request.endpoint != "feedback.upload":
        title, advice = STATUS_TEXT[413]
        return render_error(413, title, None, advice, exc.name)
    return render_error(
        413,
        _l("This file is too large"),
        _(
            "An attachment may be at most %(limit)d MB; nothing was stored.",
            limit=limit_bytes() // attachments.MB,
        ),
        _l(
            "Go back, make the file smaller (a PDF rather than photos of pages, or a smaller "
            "photo) and try again."
        ),
        "attachment body too large",
    )


@bp.route("/feedback/placements/<int:placement_id>/attachments", methods=["POST"])
@requires(Permission.READ_FEEDBACK)  # and below: the student's open request, the author's draft
def upload(placement_id: int) -> Any:
    """:raise 404: not of the placement's people, or no such request or form of this placement
    that they may see.
    :raise 403: a request attached to by anyone but its student, a form by anyone but its author.
    :raise 400: neither (or both) of ``request_id`` and ``form_id``.
    """
    placement, reader = placement_and_reader(placement_id)
    s = db.session()
    request_id, form_id = _target_ids()
    back = _back(placement, reader, request_id, form_id)
    closed = _closed_target(s, placement, reader, request_id, form_id)
    if closed is not None:
        flash(closed, "error")
        return redirect(back, code=303)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a file to attach first."), "error")
        return redirect(back, code=303)
    data = upload.stream.read(limit_bytes() + 1)  # enough to know it is too big
    try:
        stored = attachments.store(
            s,
            placement,
            upload.filename,
            data,
            reader.key,
            max_bytes=limit_bytes(),
            request_id=request_id,
            form_id=form_id,
        )
    except attachments.AttachmentRefused as refused:
        s.rollback()
        current_app.logger.info("attachment refused on placement %s: %s", placement.id, refused)
        name = attachments.shown_name(upload.filename)
        flash(_("%(name)s was not attached.", name=name) + " " + str(refused.message), "error")
        return redirect(back, code=303)
    s.commit()
    flash(_("%(name)s is attached.", name=stored.filename), "ok")
    return redirect(back, code=303)


def _target_ids() -> tuple[int | None, int | None]:
    """:raise 400: not exactly one of request_id and form_id, as a number."""
    raw_request, raw_form = request.form.get("request_id", ""), request.form.get("form_id", "")
    if bool(raw_request) == bool(raw_form) or not (raw_request or raw_form).isdigit():
        abort(400)
    return (int(raw_request), None) if raw_request else (None, int(raw_form))


def _closed_target(
    s: Session,
    placement: Placement,
    reader: Reader,
    request_id: int | None,
    form_id: int | None,
) -> str | None:
    """Why nothing more may be attached to this request or form (a page opened before it was
    answered or submitted), or None when it is open.

    :raise 404: no such request or form of the placement that the reader may see.
    :raise 403: the reader may see it but is not the one who attaches to it.
    """
    if request_id is not None:
        found_request = s.get(FeedbackRequest, request_id)
        if found_request is None or found_request.placement_id != placement.id:
            abort(404)
        if not _sees_request(reader, found_request):
            abort(404)
        if reader.kind != "student" or Permission.REQUEST_FEEDBACK not in current_permissions():
            abort(403)
        if found_request.state != RequestState.OPEN:
            return _("This request is no longer open: nothing can be attached to it now.")
        return None
    form = s.get(FeedbackForm, form_id)
    if form is None or form.placement_id != placement.id or not reader.may_read(form):
        abort(404)
    if not reader.wrote(form) or Permission.GIVE_FEEDBACK not in current_permissions():
        abort(403)
    if form.state != FormState.DRAFT:
        return _("This form is submitted and can no longer change: nothing was attached.")
    return None


def _sees_request(reader: Reader, found: FeedbackRequest) -> bool:
    """A mentor sees the requests addressed to them; the student and the coaches all of them."""
    return reader.mentor_id is None or found.mentor_id == reader.mentor_id


def _back(placement: Placement, reader: Reader, request_id: int | None, form_id: int | None) -> str:
    """Where the upload came from: ``next`` when it is a path of ours, else the form's or the
    placement's feedback page (or, while that page is not there, the reader's home)."""
    wanted = request.form.get("next", "")
    parts = urlsplit(wanted)
    if (
        wanted.startswith("/")
        and not wanted.startswith("//")
        and "\\" not in wanted
        and not parts.scheme
        and not parts.netloc
    ):
        return wanted
    try:
        if form_id is not None:
            return url_for("feedback.form", form_id=form_id)
        return url_for("feedback.placement", placement_id=placement.id)
    except BuildError:
        return url_for(HOMES[reader.kind])


@bp.route("/feedback/attachments/<int:attachment_id>")
@requires(Permission.READ_FEEDBACK)
def attachment(attachment_id: int) -> Any:
    """The file, as a download.

    :raise 404: no such attachment, or not one the signed-in person may see.
    """
    s = db.session()
    found = s.get(FeedbackAttachment, attachment_id)
    _placement, reader = placement_and_reader(found.placement_id if found else 0)
    if found is None or not _may_download(s, reader, found):
        abort(404)
    return Response(
        found.content,
        mimetype=found.mime,
        headers={
            "Content-Disposition": content_disposition(found.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            # Opened directly anyway, it runs nothing and loads nothing.
            "Content-Security-Policy": "default-src 'none'; sandbox",
            # No other site may embed it (an <img> would carry the cookie inside an LMS frame).
            "Cross-Origin-Resource-Policy": "same-origin",
        },
    )


def _may_download(s: Session, reader: Reader, found: FeedbackAttachment) -> bool:
    if found.form_id is not None:
        form = s.get(FeedbackForm, found.form_id)
        return (
            form is not None and form.placement_id == found.placement_id and reader.may_read(form)
        )
    if found.request_id is not None:
        owner = s.get(FeedbackRequest, found.request_id)
        return (
            owner is not None
            and owner.placement_id == found.placement_id
            and _sees_request(reader, owner)
        )
    return found.uploaded_by == reader.key


def content_disposition(filename: str) -> str:
    """RFC 6266: the UTF-8 name (RFC 5987 ``filename*``) and an ASCII stand-in ("Celine" for
    "Céline") for browsers that do not read it."""
    plain = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    plain = plain.replace('"', "'").replace("\\", "") or "attachment"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def preload(kind: str, owner_ids: list[int]) -> None:
    """Read the attachments of many requests or forms in one statement, for a page that lists
    them (the list's include then reads no more)."""
    loaded = g.setdefault("feedback_attachments", {})
    for owner, items in attachments.attachments_of_many(db.session(), kind, owner_ids).items():
        loaded[(kind, owner)] = items


@bp.app_template_global("feedback_attachments")
def feedback_attachments(kind: str, owner_id: int) -> list[FeedbackAttachment]:
    """The attachments of a request (``kind`` "request") or form ("form"); the page including
    the list has checked that its reader may see that request or form."""
    loaded = g.get("feedback_attachments", {})
    if (kind, owner_id) in loaded:
        return list(loaded[(kind, owner_id)])
    return attachments.attachments_of(db.session(), kind, owner_id)


@bp.app_template_global("feedback_attachment_rules")
def feedback_attachment_rules() -> dict[str, Any]:
    """What the upload form tells: the kinds taken (and the chooser's accept list), the limit."""
    return {
        "accept": attachments.ACCEPT,
        "kinds": attachments.kinds_taken(),
        "limit_mb": limit_bytes() // attachments.MB,
    }


@bp.app_template_filter("file_size")
def file_size(size: int) -> str:
    """1234567 → "1,2 MB" (nl) or "1.2 MB" (en); under a megabyte in kB."""
    if size < attachments.MB:
        return _(
            "%(size)s kB", size=format_decimal(max(1, round(size / 1024)), locale=format_locale())
        )
    return _(
        "%(size)s MB",
        size=format_decimal(size / attachments.MB, "#,##0.0", locale=format_locale()),
    )
