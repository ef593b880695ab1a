"""Imports every feedback view module, so that their routes are on the blueprint."""

from lti_app.feedback import course_views, form_views, growth_views  # noqa: F401
from lti_app.feedback.blueprint import bp

__all__ = ["bp"]
