"""A placement's feedback page (``feedback.placement``): what each of its people comes for.

- The student, on her phone or laptop: asks a mentor for feedback ("Vraag feedback"), follows
  her requests (open, answered, withdrawn; adds her lesson plan while one is open) and reads the
  forms that came in, newest first, a "new" tag on those she has not responded to yet.
- A mentor, a busy teacher on a phone right after a lesson, signed in as a guest: the requests
  addressed to them with one button that starts the form for it, the drafts they left ("verder
  invullen"), the forms already given, and a button per kind of form to start one unasked.
  They give up when they must hunt: what waits for them comes first.
- The coach, following forty students from the LMS: every request still open and every form
  submitted, and a button to start a visit report.

It reads in a fixed number of statements (requesting.overview), however many forms there are.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request, url_for
from flask_babel import get_locale

from lti_app import db
from lti_app.feedback import requesting
from lti_app.feedback.attachment_views import preload
from lti_app.feedback.blueprint import bp
from lti_app.feedback.models import FormKind
from lti_app.feedback.readers import placement_and_reader
from lti_app.security import Permission, requires


def endpoint_url(endpoint: str, fallback_path: str, **values: Any) -> str:
    """The URL of a feedback endpoint another part of the work adds (the form's start): its
    contracted path while that endpoint is not on this app yet."""
    if endpoint in current_app.view_functions:
        return url_for(endpoint, **values)
    return request.script_root + fallback_path


@bp.route("/feedback/placements/<int:placement_id>")
@requires(Permission.READ_FEEDBACK)
def placement(placement_id: int) -> Any:
    """:raise 404: the signed-in person has no part in this placement."""
    found, reader = placement_and_reader(placement_id)
    language = str(get_locale() or "nl")
    s = db.session()
    view = requesting.overview(
        s,
        found,
        language=language,
        mentor_id=reader.mentor_id if reader.kind == "mentor" else None,
        author=reader,
    )
    preload("request", [r.id for r in view.requests])
    start_kinds: tuple[FormKind, ...]
    if reader.kind == "mentor":
        start_kinds = requesting.MENTOR_KINDS
    elif reader.kind == "coach":
        start_kinds = requesting.COACH_KINDS
    else:
        start_kinds = ()
    return render_template(
        "feedback/placement.html",
        placement=found,
        reader=reader,
        view=view,
        language=language,
        form_title=lambda form: requesting.form_title(form, language),
        start_kinds=start_kinds,
        mentors=requesting.mentors_of(s, found.id) if reader.kind == "student" else [],
        new_form_url=endpoint_url(
            "feedback.new_form",
            f"/feedback/placements/{found.id}/forms",
            placement_id=found.id,
        ),
        guest_layout=reader.guest,
    )


@bp.app_template_global()
def feedback_counts(placement_id: int, mentor_id: int | None = None) -> dict[str, int]:
    """For the placement pages' link to feedback: open requests (to ``mentor_id`` when given)
    and submitted forms. The page showing it has already checked who may see the placement."""
    return requesting.counts(db.session(), placement_id, mentor_id)
