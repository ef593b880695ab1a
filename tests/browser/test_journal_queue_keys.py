"""The grading queue by keyboard in a real Chromium: from one hand-in's review, j opens the next
and k the previous (journal-queue.js, over the same rel=next/prev links that work without it);
a j typed into a comment stays in the comment. axe-core finds nothing on the review or the
queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import OpenChromium, Sites
from tests.browser.test_iframe_launch import ALLOW_THIRD_PARTY_COOKIES

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def _three_hand_ins(sites: Sites) -> list[int]:
    """Three students of the demo course handed in (an hour apart): their reviews' ids, oldest
    first."""
    from sqlalchemy import select

    from lti_app import clock, db
    from lti_app.journals.models import JournalAssignment, JournalReview, ReviewState
    from lti_app.roster.models import Course
    from lti_app.sandbox.demo import MAIN
    from tests import factories
    from tests.journal_reviews import add_journal_entry

    app = sites.app()
    with app.app_context():
        s = db.session()
        course = s.scalars(select(Course).where(Course.context_id == MAIN.course["id"])).one()
        assignment = JournalAssignment(
            course_id=course.id,
            title="Reflectiejournaal (toetsenbord)",
            entries_required=1,
            final_required=False,
            max_score=20,
            rubric=[],
        )
        s.add(assignment)
        with factories.bound(s):
            placements = [
                factories.PlacementFactory(course=course, mentors=[], student__name=name)
                for name in ("Jana Keys", "Kobe Keys", "Lien Keys")
            ]
        s.commit()
        ids = [p.id for p in placements]
        students = [p.student_id for p in placements]
        assignment_id = assignment.id
    reviews = []
    start = clock.now() - timedelta(hours=5)
    for hour, (placement, student) in enumerate(zip(ids, students, strict=True)):
        add_journal_entry(app, placement, title=f"Reflectie {hour + 1}")
        with app.app_context():
            s = db.session()
            review = JournalReview(
                assignment_id=assignment_id,
                student_id=student,
                placement_id=placement,
                state=ReviewState.SUBMITTED,
                attempt=1,
                submitted_at=start + timedelta(hours=hour),
                rubric_points={},
            )
            s.add(review)
            s.commit()
            reviews.append(review.id)
    app.extensions["db_engine"].dispose()
    return reviews


def _open_as_coach(page: Page, sites: Sites) -> None:
    page.goto(sites.course_page)
    button = page.locator("button[data-person=coach-an]")
    button.evaluate("b => { b.form.target = '_self'; }")
    button.click()
    page.wait_for_url(sites.tool + "/coach")


def test_j_and_k_move_through_the_queue_and_a_typed_j_stays_in_the_comment(
    sites: Sites, open_chromium: OpenChromium
) -> None:
    page = open_chromium(ALLOW_THIRD_PARTY_COOKIES).new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    _open_as_coach(page, sites)
    first, second, third = _three_hand_ins(sites)
    page.goto(f"{sites.tool}/journals/reviews/{second}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kobe Keys")
    assert_accessible(page)
    page.keyboard.press("j")
    page.wait_for_url(f"{sites.tool}/journals/reviews/{third}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lien Keys")
    page.keyboard.press("k")
    page.wait_for_url(f"{sites.tool}/journals/reviews/{second}")
    page.keyboard.press("k")
    page.wait_for_url(f"{sites.tool}/journals/reviews/{first}")
    # In a comment box a j is a letter.
    box = page.locator("textarea[name^=comment-]").first
    box.click()
    page.keyboard.type("jk")
    expect(box).to_have_value("jk")
    assert page.url == f"{sites.tool}/journals/reviews/{first}"
    page.goto(f"{sites.tool}/journals/queue")
    expect(page.locator("ol.waiting li").filter(has_text="Keys")).to_have_count(3)
    assert_accessible(page)
