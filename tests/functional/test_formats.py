"""One way to write things (lti_app/core/formats.py, the ``duration`` filter, frame-resize.js):
dates day before month in both languages ("8 februari 2027", "8 February 2027", never the
American "February 8, 2027"), hours as "3 u 50 min" / "3 h 50 min", and a page inside an LMS
iframe tells the platform its height.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from lti_app.hours.models import HourKind, HourState
from tests.guests import (
    add_entry,
    add_mentor,
    add_placement,
    csrf,
    english_client,
    launch_client,
    launched_course,
    person_id,
    sign_in_mentor,
    text,
)
from tests.lms import LEARNER, Person, TestLMS

ROOT = Path(__file__).resolve().parents[2]
LOTTE = Person("student-1", "Lotte Janssens", [LEARNER], "lotte@student.example", locale="en")
ELS = "els.mertens@sint-jozef.example"


def choose_language(client: FlaskClient, page_path: str, language: str) -> str:
    """Press the language switch in the page's header, as a person does; returns the page."""
    page = client.get(page_path)
    assert page.status_code == 200, text(page)[:800]
    response = client.post(
        "/language", data={"csrf_token": csrf(text(page)), "language": language, "next": page_path}
    )
    assert response.status_code == 303
    again = client.get(page_path)
    assert again.status_code == 200
    return text(again)


@pytest.fixture
def placement(app: Flask, lms: TestLMS, set_clock: Any) -> tuple[FlaskClient, FlaskClient, int]:
    """Lotte's placement from 8 February 2027, 3 h 50 min logged and waiting for Els."""
    set_clock(datetime(2027, 2, 17, 11, 0, tzinfo=UTC))
    student = launch_client(app, lms, LOTTE)
    els = add_mentor(app, ELS, "Els Mertens")
    placement_id = add_placement(
        app,
        mentors=[els],
        course_id=launched_course(app),
        student_id=person_id(app, "student-1"),
        start_date=date(2027, 2, 8),
        end_date=date(2027, 5, 14),
        planned_hours=40,
    )
    add_entry(
        app,
        placement_id,
        day=date(2027, 2, 9),
        kind=HourKind.OBSERVATION,
        minutes=230,
        state=HourState.PENDING,
    )
    mentor = english_client(app)
    sign_in_mentor(app, mentor, ELS)
    return student, mentor, placement_id


@pytest.mark.parametrize(
    ("language", "day", "hours"),
    [("en", "8 February 2027", "3 h 50 min"), ("nl", "8 februari 2027", "3 u 50 min")],
)
def test_the_hours_page_writes_dates_and_hours_one_way(
    placement: tuple[FlaskClient, FlaskClient, int], language: str, day: str, hours: str
) -> None:
    student, _, placement_id = placement
    page = choose_language(student, f"/hours/placements/{placement_id}", language)
    assert day in page  # the placement's period, written out with the day first
    assert "February 8" not in page
    assert "Feb 2027" not in page and "feb 2027" not in page  # no abbreviated month
    assert hours in page


@pytest.mark.parametrize(
    ("language", "day", "hours"),
    [("en", "8 February 2027", "3 h 50 min"), ("nl", "8 februari 2027", "3 u 50 min")],
)
def test_the_mentor_page_writes_dates_and_hours_one_way(
    placement: tuple[FlaskClient, FlaskClient, int], language: str, day: str, hours: str
) -> None:
    _, mentor, placement_id = placement
    page = choose_language(mentor, f"/mentor/placements/{placement_id}", language)
    assert day in page
    assert "February 8" not in page
    assert hours in page


@pytest.mark.parametrize(
    ("language", "template", "written"),
    [
        ("en", "{{ day|dateformat('long') }}", "8 February 2027"),
        ("en", "{{ day|dateformat('short') }}", "08/02/2027"),
        ("en", "{{ day|long_date }}", "8 February 2027"),
        ("en", "{{ moment|datetimeformat('short') }}", "08/02/2027, 15:30"),
        ("en", "{{ moment|long_datetime }}", "8 February 2027, 15:30"),
        ("nl", "{{ day|dateformat('long') }}", "8 februari 2027"),
        ("nl", "{{ day|dateformat('short') }}", "8/02/2027"),
        ("nl", "{{ moment|long_date }}", "8 februari 2027"),
        ("nl", "{{ moment|long_datetime }}", "8 februari 2027, 15:30"),
    ],
)
def test_template_date_filters_put_the_day_first(
    app: Flask, language: str, template: str, written: str
) -> None:
    # Mails use the same filters as pages; a moment is shown in Brussels time (UTC+1 in winter).
    with app.test_request_context(), force_locale(language):
        shown = app.jinja_env.from_string(template).render(
            day=date(2027, 2, 8), moment=datetime(2027, 2, 8, 14, 30, tzinfo=UTC)
        )
    assert shown == written


def test_every_page_tells_the_lms_frame_its_height(
    placement: tuple[FlaskClient, FlaskClient, int],
) -> None:
    script = (ROOT / "static" / "frame-resize.js").read_text(encoding="utf-8")
    assert 'subject: "lti.frameResize"' in script
    assert "window.parent.postMessage" in script
    assert "ResizeObserver" in script  # again when the page's height changes, not only on load
    student, mentor, placement_id = placement
    for client, path in ((student, f"/hours/placements/{placement_id}"), (mentor, "/mentor")):
        page = client.get(path)
        assert page.status_code == 200
        # From base.html, as a file: the CSP allows only our own scripts, no inline ones.
        assert '<script src="/static/frame-resize.js" defer></script>' in text(page)
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    served = mentor.get("/static/frame-resize.js")
    assert served.status_code == 200
    served.close()


def test_signing_orders_read_en_in_dutch_and_and_in_english(app: Flask) -> None:
    """The coordinator's choice of signing order: parties signing together are joined by the
    reader's word ("student en school"), not an untranslated "and"."""
    from lti_app.agreements.forms import order_choices

    with app.test_request_context():
        with force_locale("nl"):
            dutch = [str(choice.label) for choice in order_choices()]
        with force_locale("en"):
            english = [str(choice.label) for choice in order_choices()]
    assert "student en school › hogeschool" in dutch
    assert not any(" and " in label for label in dutch)
    assert "student and school › college" in english
