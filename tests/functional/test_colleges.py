"""Two colleges on one installation: nothing of one is readable or writable from the other.

College A is the test LMS's (Lotte's placement at Sint-Jozefscollege with Els as mentor, an
agreement, hours, an invitation, a roster sync, A's own template). College B has a platform of
its own, with a coordinator, a coach, a student and a mentor. Every URL of the app that names an
object is tried by each of B's people against A's object; a URL that names a kind of object the
walk does not know fails the test, so a new URL joins the walk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from lti_app import db
from lti_app.agreements import template_service
from lti_app.agreements.models import AgreementDocument
from lti_app.colleges.models import College, Programme
from lti_app.colleges.service import add_college, programme_named
from lti_app.feedback.models import FeedbackForm
from lti_app.guests.models import MentorInvitation
from lti_app.jobs.models import Job
from lti_app.models import __all__ as MODEL_NAMES
from lti_app.placements.models import Placement
from lti_app.roster.models import Course, Membership
from tests.conftest import TOOL_BASE
from tests.feedback import add_attachment, add_form
from tests.feedback_requests import add_request
from tests.functional.test_dynamic_registration import CLIENT_ID as DYNAMIC_CLIENT
from tests.functional.test_dynamic_registration import DEPLOYMENT_ID as DYNAMIC_DEPLOYMENT
from tests.functional.test_dynamic_registration import PlatformStub
from tests.guests import (
    add_entry,
    add_mentor,
    csrf,
    english_client,
    launch_client,
    sign_in_mentor,
    text,
)
from tests.lms import ADMIN, INSTRUCTOR, LEARNER, Person, TestLMS
from tests.signing import make_agreement, new_invite, three_parties

NOORD = "Hogeschool Noord"
B_COORDINATOR = Person("b-coord", "Wim Noord", [INSTRUCTOR, ADMIN], "wim@noord.example", "en")
B_COACH = Person("b-coach", "Ilse Noord", [INSTRUCTOR], "ilse@noord.example", "en")
B_STUDENT = Person("b-student", "Jens Noord", [LEARNER], "jens@noord.example", "en")
B_MENTOR = "greet@basisschool-noord.example"
# What A's people and objects are called: none of it may show up on a page of B's.
A_NAMES = ("Lotte Janssens", "Sint-Jozefscollege", "Els Mertens", "Geheim programma A")

# The kinds of object a URL can name, and which of A's objects the walk puts there.
OBJECT_PARAMS = (
    "placement_id",
    "agreement_id",
    "document_id",
    "template_id",
    "school_id",
    "entry_id",
    "invitation_id",
    "job_id",
    "mentor_id",
    "membership_id",
    "form_id",
    "request_id",
    "feedback_template_id",
    "framework_id",
    "attachment_id",
    "assignment_id",
    "review_id",
    "student_id",
    "score_id",
)
# URL parameters that name no object of a college: secrets of their own, a public hash, files.
NOT_OWNED = {"token", "digest", "name", "course_id", "filename"}
# Parameters that only count within an object another parameter names (an entry's version).
WITHIN = {"number": 1}


def _placement_mentor(app: Flask, placement_id: int) -> int:
    with app.app_context():
        placement = db.session().get(Placement, placement_id)
        assert placement is not None
        return placement.mentor_links[0].mentor_id


@dataclass
class CollegeA:
    ids: dict[str, int]
    journal_ids: dict[str, int]  # "entry_id" on a journals URL is a journal entry, not an hour

    def for_rule(self, rule: Any) -> dict[str, int]:
        if rule.endpoint.startswith("journals."):
            return {**self.ids, **self.journal_ids, **WITHIN}
        return {**self.journal_ids, **self.ids, **WITHIN}


@dataclass
class CollegeB:
    lms: TestLMS
    people: dict[str, FlaskClient]
    course: int


@pytest.fixture
def college_a(app: Flask, lms: TestLMS) -> CollegeA:
    parties = three_parties(app, lms)
    agreement = make_agreement(parties)
    entry = add_entry(app, parties.placement)
    form = add_form(app, parties.placement, mentor_id=_placement_mentor(app, parties.placement))
    request = add_request(app, parties.placement)
    attachment = add_attachment(app, parties.placement, form_id=form, filename="Lotte Janssens.pdf")
    with app.test_request_context():
        s = db.session()
        placement = s.get(Placement, parties.placement)
        assert placement is not None
        college_id = placement.course.platform.college_id
        feedback_form = s.get(FeedbackForm, form)
        assert feedback_form is not None
        template = template_service.save_template(
            s,
            programme=programme_named(s, college_id, "Geheim programma A"),
            language="nl",
            college_name="Hogeschool A",
            sections=[],
            signing_order="student>school>college",
            actor="system",
        )
        invitation = s.scalars(select(MentorInvitation).order_by(MentorInvitation.id)).first()
        assert invitation is not None, "Els signed in through a link"
        document = s.scalars(
            select(AgreementDocument).where(AgreementDocument.agreement_id == agreement)
        ).one()
        job = s.scalars(select(Job).order_by(Job.id)).first()
        assert job is not None, "the coach's launch queues a roster sync"
        ids = {
            "form_id": form,
            "request_id": request,
            "feedback_template_id": feedback_form.template_id,
            "framework_id": feedback_form.template.framework_id,
            "attachment_id": attachment,
            "placement_id": placement.id,
            "agreement_id": agreement,
            "document_id": document.id,
            "template_id": template.id,
            "school_id": placement.school_id,
            "entry_id": entry,
            "invitation_id": invitation.id,
            "job_id": job.id,
            "mentor_id": placement.mentor_links[0].mentor_id,
            "membership_id": s.scalars(
                select(Membership.id).where(
                    Membership.course_id == placement.course_id,
                    Membership.person_id == placement.student_id,
                )
            ).one(),
        }
        s.commit()
    return CollegeA(ids, _journal_of(app, parties))


def _journal_of(app: Flask, parties: Any) -> dict[str, int]:
    """Lotte's journal: an assignment of A's course, her submitted entry, her review (graded,
    not released), a score row of an earlier release."""
    from lti_app import clock
    from lti_app.grading.models import LineItem, ScoreSync
    from lti_app.journals.models import JournalAssignment, JournalReview, ReviewState
    from tests.journal_reviews import add_journal_entry

    entry = add_journal_entry(app, parties.placement, title="Lotte Janssens reflecteert")
    with app.app_context():
        s = db.session()
        placement = s.get(Placement, parties.placement)
        assert placement is not None
        assignment = JournalAssignment(course_id=placement.course_id, title="Journaal A")
        s.add(assignment)
        s.flush()
        review = JournalReview(
            assignment_id=assignment.id,
            student_id=placement.student_id,
            placement_id=placement.id,
            state=ReviewState.GRADED,
            attempt=1,
            grade=12,
            comment="Lotte Janssens groeit",
        )
        item = LineItem(
            course_id=placement.course_id, resource_id=f"driehoek-journal-{assignment.id}"
        )
        s.add_all([review, item])
        s.flush()
        score = ScoreSync(
            line_item_id=item.id,
            person_id=placement.student_id,
            score_given=12,
            score_maximum=20,
            timestamp=clock.now(),
        )
        s.add(score)
        s.commit()
        return {
            "entry_id": entry,
            "assignment_id": assignment.id,
            "review_id": review.id,
            "student_id": placement.student_id,
            "score_id": score.id,
        }


@pytest.fixture
def college_b(app: Flask, college_a: CollegeA) -> Iterator[CollegeB]:
    # Noord's LMS registers itself through the URL the operator made for Noord.
    lms_b = TestLMS(
        tool_base=TOOL_BASE,
        client_id=DYNAMIC_CLIENT,
        deployment_id=DYNAMIC_DEPLOYMENT,
        programme="Bachelor Noord",
    )
    stub = PlatformStub(lms_b)
    with app.app_context():
        s = db.session()
        noord_id = add_college(s, NOORD).id
        s.commit()
    registered = app.test_client().get(
        f"/lti/register/{new_invite(app, NOORD)}",
        query_string={"openid_configuration": stub.configuration_url},
    )
    assert registered.status_code == 200, text(registered)[:500]
    people = {
        "coordinator": launch_client(app, lms_b, B_COORDINATOR),
        "coach": launch_client(app, lms_b, B_COACH),
        "student": launch_client(app, lms_b, B_STUDENT),
    }
    add_mentor(app, B_MENTOR, "Greet Noord", college_id=noord_id)
    mentor = english_client(app)
    sign_in_mentor(app, mentor, B_MENTOR)
    people["mentor"] = mentor
    with app.app_context():
        course = db.session().scalar(
            select(Course.id)
            .join(Course.platform)
            .where(Course.context_id == "course-1")
            .where(Course.platform.has(college_id=noord_id))
        )
    assert course is not None
    yield CollegeB(lms_b, people, int(course))
    lms_b.close()


def _counts(app: Flask) -> dict[str, int]:
    import lti_app.models as models

    with app.app_context():
        s = db.session()
        return {
            name: int(s.scalar(select(func.count()).select_from(getattr(models, name))) or 0)
            for name in MODEL_NAMES
            if name not in {"LaunchState", "Job", "OutgoingMail"}  # a page may queue or cache
        }


def _object_rules(app: Flask) -> list[Any]:
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("sandbox.", "static")):
            continue
        unknown = set(rule.arguments) - set(OBJECT_PARAMS) - NOT_OWNED - set(WITHIN)
        assert not unknown, f"{rule.rule}: add {unknown} to the college walk"
        if set(rule.arguments) & set(OBJECT_PARAMS):
            rules.append(rule)
    return rules


def test_every_url_naming_an_object_of_college_a_is_closed_to_college_b(
    app: Flask, college_a: CollegeA, college_b: CollegeB
) -> None:
    rules = _object_rules(app)
    assert len(rules) >= 25, [r.rule for r in rules]
    before = _counts(app)
    tried = 0
    for who, client in college_b.people.items():
        home = "/mentor" if who == "mentor" else ("/student" if who == "student" else "/coach")
        token = csrf(text(client.get(home)))
        for rule in rules:
            if set(rule.arguments) & NOT_OWNED:
                continue
            path = rule.build(college_a.for_rule(rule), append_unknown=False)[1]
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                if method == "GET":
                    response = client.get(path)
                else:
                    response = client.post(path, data={"csrf_token": token, "sha256": "0" * 64})
                tried += 1
                page = text(response)
                assert response.status_code in (403, 404), (who, method, path, page[:500])
                for name in A_NAMES:
                    assert name not in page, (who, method, path, name)
    assert tried >= 100
    assert _counts(app) == before


def test_college_b_lists_none_of_college_a(
    app: Flask, college_a: CollegeA, college_b: CollegeB
) -> None:
    coordinator = college_b.people["coordinator"]
    for path in (
        "/agreement-templates",
        "/schools",
        "/schools?q=Sint",
        "/admin/registrations",
        "/placements/new?school_search=Sint-Jozef",
        "/course/programme",
        "/coach",
        "/feedback/admin/frameworks",
        "/feedback/admin/templates",
        "/feedback/course",
    ):
        response = coordinator.get(path)
        page = text(response)
        assert response.status_code == 200, (path, page[:500])
        for name in (*A_NAMES, "Educatief graduaat secundair onderwijs", "driehoek-client"):
            assert name not in page, (path, name)
    # B's own registration and programme are there.
    assert DYNAMIC_CLIENT in text(coordinator.get("/admin/registrations"))
    assert "Bachelor Noord" in text(coordinator.get("/course/programme"))


def test_a_programme_of_college_a_cannot_be_chosen_in_college_b(
    app: Flask, college_a: CollegeA, college_b: CollegeB
) -> None:
    with app.app_context():
        theirs = (
            db.session()
            .scalars(select(Programme).where(Programme.name == "Geheim programma A"))
            .one()
        )
        before = db.session().get(Course, college_b.course).programme_id  # type: ignore[union-attr]
    coordinator = college_b.people["coordinator"]
    page = text(coordinator.get("/course/programme"))
    answer = coordinator.post(
        "/course/programme", data={"csrf_token": csrf(page), "programme": str(theirs.id)}
    )
    assert answer.status_code == 422
    assert "Choose one of the programmes." in text(answer)
    with app.app_context():
        course = db.session().get(Course, college_b.course)
        assert course is not None and course.programme_id == before


def test_a_mentor_of_both_colleges_is_a_guest_of_each_apart(
    app: Flask, college_a: CollegeA, college_b: CollegeB
) -> None:
    """Els mentors for both: what Noord types about her is Noord's row, not A's."""
    from lti_app.schools.models import Mentor

    with app.app_context():
        noord = db.session().scalars(select(College).where(College.name == NOORD)).one()
        noord_id = noord.id
    add_mentor(app, "els.mertens@sint-jozef.example", "Els M. (Noord)", college_id=noord_id)
    with app.app_context():
        rows = (
            db.session()
            .scalars(select(Mentor).where(Mentor.email == "els.mertens@sint-jozef.example"))
            .all()
        )
    assert len(rows) == 2
    by_college = {m.college_id: m.name for m in rows}
    assert by_college[noord_id] == "Els M. (Noord)"
    assert sorted(by_college.values()) == ["Els M. (Noord)", "Els Mertens"]
    # A's coach still sees her as A knows her.
    page = text(college_b.people["coach"].get("/coach"))
    assert "Els Mertens" not in page


def test_templates_of_college_a_are_not_those_college_b_agreements_take(
    app: Flask, college_a: CollegeA, college_b: CollegeB
) -> None:
    with app.app_context():
        s = db.session()
        course = s.get(Course, college_b.course)
        assert course is not None and course.programme is not None
        assert course.programme.name == "Bachelor Noord"
        template = template_service.template_for(s, course.programme)
        assert template.programme.college.name == NOORD
        assert template.college_name == NOORD  # the default text names B, not A
        s.commit()
        names = {
            t.programme.name
            for t in template_service.latest_templates(s, course.programme.college_id)
        }
    assert names == {"Bachelor Noord"}
