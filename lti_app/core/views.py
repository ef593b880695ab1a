"""Pages that belong to no capability: the front door, health, and the language switch."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from lti_app import db
from lti_app.security import public

bp = Blueprint("core", __name__)


@bp.route("/")
@public
def index() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("placements.home"))
    return render_template("core/index.html")


@bp.route("/healthz")
@public
def healthz() -> Any:
    """Liveness with a database round trip; 503 when the database does not answer."""
    try:
        db.session().execute(text("SELECT 1"))
    except Exception:
        current_app.logger.exception("health check: database unreachable")
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}


@bp.route("/language", methods=["POST"])
@public
def language() -> Any:
    choice = request.form.get("language")
    if choice in current_app.config["LANGUAGES"]:
        session["locale"] = choice
    target = request.form.get("next") or url_for("core.index")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("core.index")
    return redirect(target, code=303)
