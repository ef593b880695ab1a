"""The sandbox LMS's blueprint, shared by its view modules (views.py imports them all)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")


@bp.after_request
def _may_frame_the_tool(response: Response) -> Response:
    """The course page frames the tool, which may live on another origin than the sandbox."""
    tool = urlsplit(str(current_app.config["BASE_URL"]))
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        f"form-action *; frame-src 'self' {tool.scheme}://{tool.netloc}; frame-ancestors *; "
        "base-uri 'none'"
    )
    return response
