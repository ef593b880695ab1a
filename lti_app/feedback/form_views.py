"""A feedback form's page: read-only once submitted, for everyone of the placement (readers.py)."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import get_locale

from lti_app import db
from lti_app.feedback.blueprint import bp
from lti_app.feedback.readers import form_and_reader
from lti_app.feedback.reading import form_view
from lti_app.security import Permission, requires


@bp.route("/feedback/forms/<int:form_id>")
@requires(Permission.READ_FEEDBACK)
def form(form_id: int) -> Any:
    found, placement, reader = form_and_reader(form_id)
    view = form_view(db.session(), found, str(get_locale() or "nl"))
    return render_template(
        "feedback/form.html",
        view=view,
        placement=placement,
        reader=reader,
        guest_layout=reader.guest,
    )
