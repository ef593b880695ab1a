"""Downloading a journal: the student's own (to keep, or for her portfolio), or one of her
course's students' for the coach. Nobody else: 404.

Who: a student at the end of her placement, on a laptop, putting her portfolio together; she
gives up when the file leaves out what she wrote or mangles her paragraphs. A coach, who wants
one student's journal on paper before the tripartite meeting.
"""

from __future__ import annotations

from typing import Any

from flask import Response, render_template

from lti_app import db
from lti_app.agreements.pdf import attachment
from lti_app.journals import export
from lti_app.journals.access import placement_and_reader, student_or_coach
from lti_app.journals.blueprint import bp
from lti_app.journals.journal_views import language


def _download(body: bytes | str, mimetype: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": attachment(filename),
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/journals/placements/<int:placement_id>/export.html")
@student_or_coach
def export_html(placement_id: int) -> Any:
    """:raise 404: not her journal, nor one of the coach's course."""
    placement, _reader = placement_and_reader(placement_id)
    found = export.journal_export(db.session(), placement, language())
    page = render_template("journals/export.html", export=found, lang=language())
    return _download(page, "text/html", export.file_name(found, "html"))


@bp.route("/journals/placements/<int:placement_id>/export.pdf")
@student_or_coach
def export_pdf(placement_id: int) -> Any:
    """:raise 404: not her journal, nor one of the coach's course."""
    placement, _reader = placement_and_reader(placement_id)
    found = export.journal_export(db.session(), placement, language())
    return _download(
        export.render_pdf(found, language()), "application/pdf", export.file_name(found, "pdf")
    )
