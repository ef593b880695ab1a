"""Imports every feedback view module, so that their routes are on the blueprint."""

from lti_app.feedback import attachment_views, form_views  # noqa: F401
from lti_app.feedback.blueprint import bp

__all__ = ["bp"]
