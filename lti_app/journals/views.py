"""Imports every journals view module, so that their routes are on the blueprint."""

from lti_app.journals import (  # noqa: F401
    autosave_views,
    deep_link_views,
    entry_views,
    export_views,
    journal_views,
    prompt_views,
)
from lti_app.journals.blueprint import bp

__all__ = ["bp"]
