"""Imports every grading view module, so that their routes are on the blueprint."""

from lti_app.grading import status_views  # noqa: F401
from lti_app.grading.blueprint import bp

__all__ = ["bp"]
