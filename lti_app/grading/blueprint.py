"""The grading blueprint: its views live in the package's *_views modules, which register on it
when lti_app/grading/views.py imports them."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("grading", __name__)
