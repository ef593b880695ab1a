"""Imports every feedback view module, so that their routes are on the blueprint."""

from lti_app.feedback import form_views  # noqa: F401
from lti_app.feedback import overview_views, request_views  # noqa: F401
from lti_app.feedback.blueprint import bp

__all__ = ["bp"]
