"""Imports every journals view module, so that their routes are on the blueprint."""

from lti_app.journals import (  # noqa: F401
    assignment_views,
    autosave_views,
    deep_link_views,
    entry_views,
    export_views,
    hand_in_views,
    journal_views,
    prompt_views,
    queue_views,
    review_views,
)
from lti_app.journals.blueprint import bp

__all__ = ["bp"]
