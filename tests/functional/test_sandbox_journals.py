"""The sandbox's demo journal: Sofie has written reflections (ALACT and STARR, one started from
her mentor's growth point, a final reflection, a draft) and handed them in for the course's
assignment "Reflectiejournaal", whose gradebook column exists in the sandbox as if the coach had
added it through the content picker; the welcome page says where to look."""

from __future__ import annotations

from collections import Counter

from flask import Flask
from sqlalchemy import select

from lti_app import clock, db
from lti_app.grading.models import LineItem
from lti_app.journals.models import (
    EntryState,
    JournalAssignment,
    JournalEntry,
    JournalEntryVersion,
    JournalReview,
    ReviewState,
)
from lti_app.roster.models import Person
from lti_app.sandbox import demo_guide, demo_states, platform
from tests.functional.test_sandbox_ags import auth
from tests.functional.test_sandbox_demo import row_counts, seed, served_app  # noqa: F401


def test_sofie_has_a_journal_handed_in_for_the_assignment(served_app: Flask) -> None:
    seed(served_app)
    with served_app.test_request_context():
        s = db.session()
        sofie = s.scalars(
            select(Person).where(Person.email == "sofie.desmet@student.example")
        ).one()
        entries = list(s.scalars(select(JournalEntry).order_by(JournalEntry.id)))
        assert {e.student_id for e in entries} == {sofie.id}
        states = Counter((e.state, e.is_final) for e in entries)
        assert states == {
            (EntryState.SUBMITTED, False): 6,
            (EntryState.SUBMITTED, True): 1,
            (EntryState.DRAFT, False): 1,
        }
        assert {e.prompt_set for e in entries} >= {"alact", "starr"}
        for entry in entries:
            chosen = next(x for x in entry.prompts.sets if x["key"] == entry.prompt_set)
            assert set(entry.answers) <= {p["key"] for p in chosen["prompts"]}
            assert entry.answers and all(v.startswith("<p>") for v in entry.answers.values())
        submitted = [e for e in entries if e.state == EntryState.SUBMITTED]
        versions = Counter(s.scalars(select(JournalEntryVersion.entry_id)))
        assert versions == {e.id: 1 for e in submitted}
        assert all(e.submitted_at and e.submitted_at <= clock.now() for e in submitted)
        started = [e for e in entries if e.feedback_form_id]
        assert len(started) == 1 and "Differentieer" in started[0].starting_point

        assignment = s.scalars(select(JournalAssignment)).one()
        assert (assignment.title, assignment.entries_required, assignment.final_required) == (
            "Reflectiejournaal",
            6,
            True,
        )
        assert assignment.max_score == 20
        review = s.scalars(select(JournalReview)).one()
        assert review.student_id == sofie.id and review.state == ReviewState.SUBMITTED
        assert review.released_at is None and review.grade is None
        assert review.submitted_at is not None
        assert review.submitted_at >= max(e.submitted_at for e in submitted if e.submitted_at)
        column = s.scalars(select(LineItem)).one()
        assert assignment.line_item_id == column.id
        assert column.resource_id == f"driehoek-journal-{assignment.id}"
        assert column.tag == "reflectiejournaal" and column.url
    before = row_counts(served_app)
    assert seed(served_app) is False
    assert row_counts(served_app) == before

    # The sandbox's gradebook has the column the tool points at, on its link.
    client = served_app.test_client()
    found = client.get(
        f"/sandbox/ags/{platform.COURSE['id']}/lineitems?tag=reflectiejournaal",
        headers=auth(client, served_app),
    ).json
    assert [i["id"] for i in found] == [column.url]
    assert found[0]["resourceId"] == column.resource_id
    course = client.get("/sandbox/").get_data(as_text=True)
    assert f'data-link="{found[0]["resourceLinkId"]}"' in course

    # The welcome page says where to look (English outside a request).
    assert "Reflectiejournaal" in demo_guide.line(demo_states.SOFIE)
    assert "twelve forms" in demo_guide.line(demo_states.SOFIE)
    assert "grading queue" in demo_guide.line(demo_states.COACH)
    welcome = client.get("/sandbox/welcome", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert welcome.count("Reflectiejournaal") == 2
