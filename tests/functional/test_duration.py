"""Hours are written one way everywhere, "3 u 50 min" / "3 h 50 min": ``duration`` lives in
lti_app/core/formats.py and is the ``duration`` filter of every template, whichever package
renders it (the pipeline, the hours log, the mentor's portal)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import force_locale

from lti_app.core.formats import duration, duration_writer


@pytest.mark.parametrize(
    ("minutes", "english", "dutch"),
    [
        (230, "3 h 50 min", "3 u 50 min"),
        (120, "2 h", "2 u"),
        (45, "45 min", "45 min"),
        (0, "0 min", "0 min"),
        (None, "0 min", "0 min"),
    ],
)
def test_a_duration_in_both_languages(
    app: Flask, minutes: int | None, english: str, dutch: str
) -> None:
    with app.test_request_context():
        with force_locale("en"):
            assert duration(minutes) == english
            assert app.jinja_env.from_string("{{ m|duration }}").render(m=minutes) == english
            assert duration_writer()(minutes) == english  # the pipeline's, patterns read once
        with force_locale("nl"):
            assert duration(minutes) == dutch
            assert duration_writer()(minutes) == dutch
