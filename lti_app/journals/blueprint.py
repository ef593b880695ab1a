"""The journals blueprint: its views live in the package's *_views modules, which register on it
when lti_app/journals/views.py imports them."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("journals", __name__)
