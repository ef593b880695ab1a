"""Each home leads (lti_app/homes/, templates/hours/log.html, templates/base.html).

Who opens these pages: the student, mostly on a phone between lessons, came to do the one thing
that waits for her — sign, fix returned hours, log today's hours, change a returned proposal; she
gives up when she has to look for it, or when a form can only fail (hours before her placement
starts). The coordinator, on a laptop, came for a page of their own (templates, learning
platforms, schools, members) and gives up when only the course's pupils are reachable. So: one
primary button, the student's next step; the hours page says when it opens; the header has the
pages the person may use and nothing else.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from lti_app import clock
from lti_app.hours.models import HourState
from lti_app.placements.models import PlacementState
from tests.guests import (
    add_entry,
    add_mentor,
    add_placement,
    launch_client,
    launched_course,
    person_id,
    text,
)
from tests.lms import ADMIN, INSTRUCTOR, LEARNER, Person, TestLMS
from tests.signing import (
    make_agreement,
    post,
    send_for_signing,
    sign,
    three_parties,
)

COORDINATOR = Person("coordinator-1", "Koen Maes", [ADMIN], "koen@hogeschool.example", "en")
COACH = Person("coach-2", "Jan Claes", [INSTRUCTOR], "jan@hogeschool.example", "en")
MEHDI = Person("student-9", "Mehdi El Amrani", [LEARNER], "mehdi@student.example", "en")
HEADER_LINKS = {
    "/coach/roster/members": "Members and roles",
    "/schools": "Schools",
    "/agreement-templates": "Agreement templates",
    "/admin/registrations": "Learning platforms",
    "/journals/prompts": "Reflection prompts",
}


def primary_buttons(html: str) -> list[tuple[str, str]]:
    """The home's primary buttons: (where it goes, what it says)."""
    main = html.split('<main id="main"', 1)[1]
    return re.findall(r'<a class="button primary[^"]*" href="([^"]+)">([^<]+)</a>', main)


def home(client: FlaskClient) -> str:
    page = client.get("/student")
    assert page.status_code == 200
    return text(page)


def english_date(day: Any) -> str:
    return f"{day.day} {day:%B %Y}"


def student_with_placement(app: Flask, lms: TestLMS, **values: Any) -> tuple[FlaskClient, int]:
    student = launch_client(app, lms, MEHDI)
    mentor = add_mentor(app, "greet@atheneum.example", "Greet Wouters")
    placement = add_placement(
        app,
        mentors=[mentor],
        course_id=launched_course(app),
        student_id=person_id(app, MEHDI.sub),
        school="Atheneum Berchem",
        **values,
    )
    return student, placement


def test_without_a_placement_the_one_button_proposes_one_and_nothing_is_promised(
    app: Flask, lms: TestLMS
) -> None:
    html = home(launch_client(app, lms, MEHDI))
    assert primary_buttons(html) == [("/my/placements/new", "Propose a placement")]
    # Feedback exists now and is described; reflection journals do not yet.
    for promise in ("reflection", "reflect", "journal"):
        assert promise not in html.lower()


def test_a_returned_proposal_is_the_next_step_with_its_reason(app: Flask, lms: TestLMS) -> None:
    student, placement = student_with_placement(
        app, lms, state=PlacementState.RETURNED, return_reason="Your mentor teaches no maths."
    )
    html = home(student)
    assert primary_buttons(html) == [
        (f"/my/placements/{placement}/edit", "Change and propose again")
    ]
    assert "Your mentor teaches no maths." in html


def test_returned_hours_are_the_next_step_then_logging(
    app: Flask, lms: TestLMS, set_clock: Any
) -> None:
    set_clock(clock.now())
    student, placement = student_with_placement(app, lms)
    assert primary_buttons(home(student)) == [(f"/hours/placements/{placement}", "Log my hours")]
    add_entry(
        app,
        placement,
        day=clock.today() - timedelta(days=2),
        state=HourState.REJECTED,
        reject_reason="That was an observation.",
    )
    html = home(student)
    assert primary_buttons(html) == [
        (f"/hours/placements/{placement}#logged", "Fix returned hours")
    ]
    assert "Your mentor returned 1 entry of your hours" in html


def test_an_agreement_to_sign_then_to_sign_again_after_a_change(app: Flask, lms: TestLMS) -> None:
    parties = three_parties(app, lms)
    agreement = make_agreement(parties)
    send_for_signing(parties, agreement)
    html = home(parties.student)
    assert primary_buttons(html) == [(f"/agreements/{agreement}", "Read and sign")]

    assert sign(parties.student, agreement).status_code == 303
    assert primary_buttons(home(parties.student))[0][1] == "Log my hours"

    changed = {"schedule": "Tuesdays", "learning_goals": "Differentiate", "arrangements": ""}
    page = f"/agreements/{agreement}/fields"
    assert post(parties.coach, page, page, changed).status_code == 303
    html = home(parties.student)
    assert primary_buttons(html) == [(f"/agreements/{agreement}", "Sign again")]
    assert "changed after you signed it" in html
    assert "Changed by An Peeters." in html


def test_before_the_start_the_hours_page_says_when_it_opens_and_has_no_form(
    app: Flask, lms: TestLMS, set_clock: Any
) -> None:
    set_clock(clock.now())
    start = clock.today() + timedelta(days=30)
    student, placement = student_with_placement(
        app, lms, start_date=start, end_date=start + timedelta(days=60)
    )
    html = home(student)
    assert primary_buttons(html) == [(f"/my/placements/{placement}", "See my placement")]
    assert f"starts on {english_date(start)}" in html

    page = student.get(f"/hours/placements/{placement}")
    assert page.status_code == 200
    hours = text(page)
    assert f"Hours open on {english_date(start)} (start of your placement)." in hours
    assert 'name="amount"' not in hours
    assert f'action="/hours/placements/{placement}"' not in hours


def test_after_the_end_the_form_offers_only_days_of_the_placement(
    app: Flask, lms: TestLMS, set_clock: Any
) -> None:
    set_clock(clock.now())
    end = clock.today() - timedelta(days=5)
    student, placement = student_with_placement(
        app, lms, start_date=end - timedelta(days=60), end_date=end
    )
    assert primary_buttons(home(student)) == [(f"/hours/placements/{placement}", "See my hours")]
    hours = text(student.get(f"/hours/placements/{placement}"))
    assert f"Your placement ended on {english_date(end)}." in hours
    assert f'max="{end.isoformat()}"' in hours
    assert re.search(rf'name="day"[^>]*value="{end.isoformat()}"', hours)


def header(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, path
    return text(page).split("</header>", 1)[0]


def test_the_header_links_to_the_pages_each_person_may_use(app: Flask, lms: TestLMS) -> None:
    coordinator = launch_client(app, lms, COORDINATOR)
    bar = header(coordinator, "/coach")
    for path, label in HEADER_LINKS.items():
        assert f'<a href="{path}">{label}</a>' in bar
        assert coordinator.get(path).status_code == 200

    coach = launch_client(app, lms, COACH)
    bar = header(coach, "/coach")
    assert '<a href="/schools">' in bar and '<a href="/coach/roster/members">' in bar
    assert "/agreement-templates" not in bar and "/admin/registrations" not in bar
    assert '<a href="/journals/queue">Reflection journals</a>' in bar
    assert "/journals/prompts" not in bar

    student = launch_client(app, lms, MEHDI)
    bar = header(student, "/student")
    assert "<nav" not in bar
    for path in HEADER_LINKS:
        assert path not in bar
