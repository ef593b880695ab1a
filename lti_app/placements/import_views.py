"""The CSV import page: a coach imports the placements of a whole course from one file, checked
row by row first (nothing is imported while one row is wrong). On the placements blueprint."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from lti_app import db
from lti_app.placements import csv_file, csv_import
from lti_app.placements.forms import ImportForm
from lti_app.placements.views import bp, course_id_in_session, me
from lti_app.schools.views import saving
from lti_app.security import Permission, requires


@bp.route("/placements/import", methods=["GET", "POST"])
@requires(Permission.MANAGE_PLACEMENTS)
def import_placements() -> Any:
    course_id = course_id_in_session()
    form = ImportForm()
    checked: csv_import.CheckedFile | None = None
    file_error: str | None = None
    if form.validate_on_submit():
        s = db.session()
        try:
            checked = csv_import.check(s, course_id, form.file.data.read())
        except csv_file.CsvFileError as exc:
            file_error = str(exc)
        if checked is not None and checked.clean:
            with saving(form) as saved:
                placements = csv_import.import_checked(s, course_id, checked, me())
            if saved.ok:
                message = ngettext(
                    "Imported %(num)d placement.", "Imported %(num)d placements.", len(placements)
                )
                if checked.ignored_columns:
                    message += " " + _(
                        "Columns not used: %(columns)s.",
                        columns=", ".join(checked.ignored_columns),
                    )
                flash(message, "ok")
                return redirect(url_for("placements.coach_home"), code=303)
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "placements/import.html",
            form=form,
            checked=checked,
            file_error=file_error,
            columns=csv_file.COLUMNS,
        ),
        status,
    )


@bp.route("/placements/import/example.csv")
@requires(Permission.MANAGE_PLACEMENTS)
def import_example() -> Any:
    return Response(
        csv_file.example_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=driehoek-placements-example.csv"},
    )
