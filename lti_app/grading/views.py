"""Imports every grading view module, so that their routes are on the blueprint."""

from lti_app.grading.blueprint import bp

__all__ = ["bp"]
