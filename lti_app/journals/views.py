"""Imports every journals view module, so that their routes are on the blueprint."""

from lti_app.journals import deep_link_views  # noqa: F401
from lti_app.journals.blueprint import bp

__all__ = ["bp"]
