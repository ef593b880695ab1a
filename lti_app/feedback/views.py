"""Imports every feedback view module, so that their routes are on the blueprint."""

from lti_app.feedback import (  # noqa: F401
    attachment_views,
    autosave_views,
    course_views,
    form_views,
    framework_views,
    growth_views,
    overview_views,
    request_views,
    template_views,
)
from lti_app.feedback.blueprint import bp

__all__ = ["bp"]
