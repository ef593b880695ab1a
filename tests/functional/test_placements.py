"""Schools, placements and proposals as a coach and a student meet them: real launches, real
forms (every field and the CSRF token read from the page), and what the database then holds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_app.placements.models import ChangeRecord, Placement, PlacementState, Track
from lti_app.roster.models import Course
from lti_app.roster.models import Person as RosterPerson
from lti_app.schools.models import Mentor, School
from tests import factories
from tests.launching import FlaskBrowser, Page, launch
from tests.lms import INSTRUCTOR, LEARNER, Person, TestLMS

# -- reading pages as a browser does ------------------------------------------------------------


@dataclass
class HtmlForm:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)


class _FormParser(HTMLParser):
    """The forms of a page with the values a browser would submit (no button pressed)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.forms.append(HtmlForm(a.get("action", ""), a.get("method", "get").lower()))
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields[name] = a.get("value", "on")
            elif kind == "submit":
                form.buttons.append((name, a.get("value", "")))
            elif kind != "file":
                form.fields[name] = a.get("value", "")
        elif tag == "button" and name:
            form.buttons.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._select_first = name, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
                form.fields.setdefault(self._select, value)
            if "selected" in a:
                form.fields[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            form.fields[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data


def forms_of(page: Page) -> list[HtmlForm]:
    parser = _FormParser()
    parser.feed(page.text)
    return [f for f in parser.forms if f.method == "post" and "language" not in f.action]


def form_on(page: Page, action: str | None = None) -> HtmlForm:
    """The page's POST form (the one posting to ``action`` if given); the language switch aside."""
    forms = forms_of(page)
    if action is not None:
        forms = [f for f in forms if f.action.endswith(action)]
    assert forms, f"no form {action or ''} on the page: {page.text[:2000]}"
    return forms[0]


def submit(
    browser: FlaskBrowser, page: Page, data: dict[str, str], *, action: str | None = None
) -> Page:
    """Fill in ``data`` over what the page's form holds and post it, as a browser would."""
    form = form_on(page, action)
    target = form.action or page.url
    if target.startswith("/"):
        target = browser.base + target
    return browser.post(target, {**form.fields, **data})


def follow(browser: FlaskBrowser, page: Page) -> Page:
    while page.status in (302, 303):
        location = page.location
        page = browser.get(location if location.startswith("http") else browser.base + location)
    return page


def text_of(page: Page) -> str:
    """The page's visible text, tags dropped and whitespace squeezed."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page.text, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def errors_on(page: Page) -> list[str]:
    return [
        unescape(m).strip() for m in re.findall(r'class="field-error"[^>]*>([^<]+)<', page.text)
    ]


# -- people and the database ----------------------------------------------------------------------

BASE = "http://tool.test"


def new_browser(app: Flask) -> FlaskBrowser:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the pages in English: msgids are English
    return FlaskBrowser(client)


def person(sub: str, name: str, role: str = LEARNER) -> Person:
    return Person(sub, name, [role], f"{sub}@example.be", locale="en-GB")


def test_session(app: Flask) -> Iterator[Session]:
    """A session of the test's own, apart from the app's requests, with factories bound."""
    with app.extensions["db_sessionmaker"]() as session, factories.bound(session):
        yield session


test_session.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    yield from test_session(app)


@dataclass
class Course_:
    """The launched course with a coach's and a student's browser."""

    app: Flask
    lms: TestLMS
    coach: FlaskBrowser
    student: FlaskBrowser
    course_id: int
    coach_id: int
    student_id: int

    def as_student(self, sub: str, name: str) -> tuple[FlaskBrowser, int]:
        browser = new_browser(self.app)
        launch(browser, self.lms, person(sub, name))
        return browser, person_id(self.app, sub)


def person_id(app: Flask, sub: str) -> int:
    with app.extensions["db_sessionmaker"]() as s:
        return int(s.scalars(select(RosterPerson.id).where(RosterPerson.sub == sub)).one())


@pytest.fixture
def course(app: Flask, lms: TestLMS) -> Course_:
    return launched_course(app, lms)


def launched_course(app: Flask, lms: TestLMS) -> Course_:
    """A course where student Lotte and coach An launched, each in a browser of their own."""
    student_browser = new_browser(app)
    launch(student_browser, lms, person("student-1", "Lotte Janssens"))
    coach_browser = new_browser(app)
    launch(coach_browser, lms, person("coach-1", "An Peeters", INSTRUCTOR))
    with app.extensions["db_sessionmaker"]() as s:
        course_id = s.scalars(select(Course.id).where(Course.context_id == "course-1")).one()
    return Course_(
        app,
        lms,
        coach_browser,
        student_browser,
        course_id,
        person_id(app, "coach-1"),
        person_id(app, "student-1"),
    )


def records(db: Session, placement_id: int) -> list[ChangeRecord]:
    db.expire_all()
    return list(
        db.scalars(
            select(ChangeRecord)
            .where(ChangeRecord.entity == "placement", ChangeRecord.entity_id == placement_id)
            .order_by(ChangeRecord.id)
        )
    )


def only_placement(db: Session) -> Placement:
    db.expire_all()
    return db.scalars(select(Placement)).one()


def count(db: Session, model: Any) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


# -- the schools directory ------------------------------------------------------------------------


def test_coach_adds_a_school_and_finds_it_by_name_city_or_number(course: Course_, db) -> None:
    coach = course.coach
    page = coach.get(BASE + "/schools/new")
    saved = follow(
        coach,
        submit(
            coach,
            page,
            {
                "name": "Sint-Jozefscollege",
                "institution_number": "030 395",
                "street": "Kapucijnenlaan 24",
                "postal_code": "9300",
                "city": "Aalst",
                "contact_name": "Karin Wouters",
                "contact_email": "stage@sjc.example",
                "contact_phone": "053 21 12 34",
            },
        ),
    )

    assert saved.status == 200
    assert "Sint-Jozefscollege is in the schools directory." in text_of(saved)
    school = db.scalars(select(School)).one()
    assert (school.institution_number, school.city, school.contact_name) == (
        "030395",
        "Aalst",
        "Karin Wouters",
    )
    for query in ("jozef", "AALST", "0303"):
        assert "Sint-Jozefscollege" in text_of(coach.get(BASE + "/schools", {"q": query})), query
    nothing = text_of(coach.get(BASE + "/schools", {"q": "Leuven"}))
    assert "Sint-Jozefscollege" not in nothing
    assert "No school matches “Leuven”." in nothing


def test_a_taken_instellingsnummer_is_refused_and_nothing_typed_is_lost(
    course: Course_, db
) -> None:
    factories.SchoolFactory(name="Atheneum Zuid", institution_number="123456")
    db.commit()
    coach = course.coach

    page = submit(
        coach,
        coach.get(BASE + "/schools/new"),
        {
            "name": "Atheneum Zuid campus 2",
            "institution_number": "123456",
            "city": "Gent",
            "contact_email": "not-an-address",
        },
    )

    assert page.status == 422
    assert "Atheneum Zuid already has instellingsnummer 123456." in errors_on(page)
    assert "This is not an e-mail address (like name@school.be)." in errors_on(page)
    kept = form_on(page).fields
    assert kept["name"] == "Atheneum Zuid campus 2"
    assert kept["city"] == "Gent"
    assert kept["contact_email"] == "not-an-address"
    assert count(db, School) == 1


def test_coach_edits_a_school_keeping_its_own_number(course: Course_, db) -> None:
    school = factories.SchoolFactory(name="Atheneum Zuid", institution_number="123456")
    factories.SchoolFactory(name="Lyceum", institution_number="654321")
    db.commit()
    coach = course.coach
    edit = coach.get(BASE + f"/schools/{school.id}/edit")
    assert form_on(edit).fields["name"] == "Atheneum Zuid"

    refused = submit(coach, edit, {"institution_number": "654321"})
    assert "Lyceum already has instellingsnummer 654321." in errors_on(refused)

    saved = follow(coach, submit(coach, edit, {"contact_name": "Jan Smet"}))
    assert "Atheneum Zuid saved." in text_of(saved)
    db.expire_all()
    assert db.get(School, school.id).contact_name == "Jan Smet"
    assert db.get(School, school.id).institution_number == "123456"


def test_a_student_may_not_open_the_schools_directory(course: Course_) -> None:
    assert course.student.get(BASE + "/schools").status == 403
    assert course.student.get(BASE + "/placements/new").status == 403


# -- a coach creates and edits placements ---------------------------------------------------------


def placement_fields(student_id: int, **extra: str) -> dict[str, str]:
    return {
        "student_id": str(student_id),
        "school_id": "0",
        "new_school-name": "Sint-Jozefscollege",
        "new_school-institution_number": "030395",
        "new_school-city": "Aalst",
        "new_school-contact_name": "Karin Wouters",
        "mentors-0-name": "Els Van den Broeck",
        "mentors-0-email": "Els.VandenBroeck@SJC.example",
        "mentors-0-subject": "Wiskunde",
        "track": "stage",
        "start_date": "2026-09-01",
        "end_date": "2026-12-18",
        "subjects": "Wiskunde",
        "grade_levels": "2de graad",
        "planned_observation_hours": "10",
        "planned_co_teaching_hours": "8",
        "planned_own_lessons": "20",
        "planned_hours": "60",
        "risk_analysis_done": "y",
        "insurance_reference": "POL-2026-118",
        **extra,
    }


def test_coach_creates_a_placement_with_a_new_school_and_two_mentors(course: Course_, db) -> None:
    known = factories.MentorFactory(email="koen.maes@sjc.example", name="Koen Maes")
    db.commit()
    coach = course.coach
    page = coach.get(BASE + "/placements/new", {"student": str(course.student_id)})
    assert form_on(page).fields["student_id"] == str(course.student_id)
    assert form_on(page).fields["coach_id"] == str(course.coach_id)  # defaults to me

    # A second mentor row, without losing what was typed.
    more = submit(coach, page, {**placement_fields(course.student_id), "add_mentor": "1"})
    assert more.status == 200
    assert form_on(more).fields["mentors-0-email"] == "Els.VandenBroeck@SJC.example"
    assert "mentors-1-email" in form_on(more).fields
    assert count(db, Placement) == 0

    saved = follow(
        coach,
        submit(
            coach,
            more,
            {
                "mentors-1-name": "Koen Maes",
                "mentors-1-email": "KOEN.MAES@sjc.example",
                "mentors-1-subject": "Fysica",
            },
        ),
    )

    assert saved.status == 200, saved.text[:2000]
    shown = text_of(saved)
    for expected in (
        "Placement saved.",
        "Lotte Janssens",
        "Sint-Jozefscollege",
        "030395",
        "Karin Wouters",
        "Els Van den Broeck",
        "els.vandenbroeck@sjc.example",
        "Koen Maes",
        "stage",
        "2de graad",
        "POL-2026-118",
        "An Peeters",
    ):
        assert expected in shown, expected
    placement = only_placement(db)
    assert placement.state == PlacementState.APPROVED
    assert placement.coach_id == course.coach_id
    assert (placement.planned_hours, placement.planned_own_lessons) == (60, 20)
    assert placement.risk_analysis_done and not placement.workstation_sheet_needed
    emails = [link.mentor.email for link in placement.mentor_links]
    assert emails == ["els.vandenbroeck@sjc.example", "koen.maes@sjc.example"]
    assert count(db, Mentor) == 2  # Koen was known: reused by his lower-cased address
    assert placement.mentor_links[1].mentor_id == known.id
    (record,) = records(db, placement.id)
    assert (record.action, record.actor) == ("created", f"person:{course.coach_id}")
    assert record.changes["school_id"] == {"before": None, "after": placement.school_id}
    assert record.changes["track"] == {"before": None, "after": "stage"}


def test_a_bad_placement_form_says_what_to_fix_and_keeps_everything(course: Course_, db) -> None:
    coach = course.coach
    page = coach.get(BASE + "/placements/new")
    bad = submit(
        coach,
        page,
        placement_fields(
            course.student_id,
            start_date="2026-12-18",
            end_date="2026-09-01",
            planned_hours="sixty",
            **{"mentors-0-email": "els at school"},
        ),
    )

    assert bad.status == 422
    errors = errors_on(bad)
    assert "The end date is before the start date." in errors
    assert "Enter a whole number, e.g. 12." in errors
    assert "This is not an e-mail address (like name@school.be)." in errors
    kept = form_on(bad).fields
    assert kept["new_school-name"] == "Sint-Jozefscollege"
    assert kept["mentors-0-name"] == "Els Van den Broeck"
    assert kept["start_date"] == "2026-12-18"
    assert kept["planned_hours"] == "sixty"
    assert kept["insurance_reference"] == "POL-2026-118"
    assert kept["risk_analysis_done"] == "y"
    assert count(db, Placement) == 0 and count(db, School) == 0


def test_a_lio_baan_needs_its_appointment_and_hours(course: Course_, db) -> None:
    coach = course.coach
    page = coach.get(BASE + "/placements/new")
    lio = placement_fields(course.student_id, track="lio")

    refused = submit(coach, page, lio)
    assert refused.status == 422
    assert "A LIO-baan needs the appointment (ambt and school)." in errors_on(refused)
    assert "A LIO-baan needs the teaching hours per year." in errors_on(refused)

    saved = follow(
        coach,
        submit(
            coach,
            refused,
            {
                "lio_appointment": "Leraar TSO 12/22, Sint-Jozefscollege",
                "lio_teaching_hours": "420",
            },
        ),
    )
    assert "Below 500 uren-leraar a year: the LIO-baan is topped up with stage." in text_of(saved)
    placement = only_placement(db)
    assert (placement.track, placement.lio_teaching_hours) == (Track.LIO, 420)

    # Another track drops the LIO details rather than keep stale ones.
    edit = coach.get(BASE + f"/placements/{placement.id}/edit")
    follow(coach, submit(coach, edit, {"track": "werkplekleren"}))
    placement = only_placement(db)
    assert placement.track == Track.WORKPLACE_LEARNING
    assert (placement.lio_appointment, placement.lio_teaching_hours) == ("", None)


def test_other_tracks_need_no_lio_details(course: Course_, db) -> None:
    coach = course.coach
    saved = submit(coach, coach.get(BASE + "/placements/new"), placement_fields(course.student_id))
    assert saved.status == 303
    assert only_placement(db).lio_teaching_hours is None


def test_coach_edits_a_placement_and_the_change_is_recorded(course: Course_, db) -> None:
    placement = factories.PlacementFactory(
        course=db.get(Course, course.course_id),
        student=db.get(RosterPerson, course.student_id),
        coach=db.get(RosterPerson, course.coach_id),
        planned_hours=60,
        subjects="Wiskunde",
    )
    db.commit()
    coach = course.coach
    edit = coach.get(BASE + f"/placements/{placement.id}/edit")
    fields = form_on(edit).fields
    assert fields["planned_hours"] == "60" and fields["subjects"] == "Wiskunde"

    follow(coach, submit(coach, edit, {"planned_hours": "80", "subjects": "Wiskunde, Fysica"}))

    (record,) = records(db, placement.id)
    assert (record.action, record.actor) == ("updated", f"person:{course.coach_id}")
    assert record.changes == {
        "planned_hours": {"before": 60, "after": 80},
        "subjects": {"before": "Wiskunde", "after": "Wiskunde, Fysica"},
    }
    # Saving again without changes records nothing.
    follow(coach, submit(coach, coach.get(BASE + f"/placements/{placement.id}/edit"), {}))
    assert len(records(db, placement.id)) == 1


def test_placement_student_choice_is_the_courses_active_students(course: Course_, db) -> None:
    left = factories.MembershipFactory(
        course=db.get(Course, course.course_id), active=False, person__name="Mira Claes"
    )
    other_course = factories.MembershipFactory(person__name="Bram Wouters")
    db.commit()
    page = course.coach.get(BASE + "/placements/new")
    assert "Lotte Janssens" in page.text
    assert "Mira Claes" not in page.text
    assert "Bram Wouters" not in page.text

    for outsider in (left.person_id, other_course.person_id):
        refused = submit(course.coach, page, placement_fields(outsider))
        assert "Choose a student of this course." in errors_on(refused)
    assert count(db, Placement) == 0


def test_posting_without_the_csrf_token_is_refused(course: Course_, db) -> None:
    fields = placement_fields(course.student_id)
    response = course.coach.post(BASE + "/placements/new", fields)
    assert response.status == 400
    assert count(db, Placement) == 0


# -- a student proposes; the coach approves or returns ------------------------------------------


def proposal_fields(**extra: str) -> dict[str, str]:
    return {
        "school_id": "0",
        "new_school-name": "Atheneum Zuid",
        "new_school-city": "Gent",
        "mentors-0-name": "Koen Maes",
        "mentors-0-email": "koen.maes@atheneum.example",
        "mentors-0-subject": "Elektriciteit",
        "track": "werkplekleren",
        "start_date": "2026-09-01",
        "end_date": "2027-06-30",
        "subjects": "Elektriciteit",
        **extra,
    }


def test_student_proposes_coach_returns_student_changes_and_coach_approves(
    course: Course_, db
) -> None:
    student, coach = course.student, course.coach
    home = student.get(BASE + "/student")
    assert "You have no placement yet." in text_of(home)
    proposed = follow(
        student, submit(student, student.get(BASE + "/my/placements/new"), proposal_fields())
    )
    assert "Your proposal is with your coach." in text_of(proposed)
    placement = only_placement(db)
    assert placement.state == PlacementState.PROPOSED
    assert placement.coach_id is None

    # The coach sees it in the pipeline and returns it; a reason is required.
    pipeline = text_of(coach.get(BASE + "/coach"))
    assert "Atheneum Zuid" in pipeline and "proposed" in pipeline
    page = coach.get(BASE + f"/placements/{placement.id}")
    assert "The student proposes this placement" in text_of(page)
    action = f"/placements/{placement.id}/return"
    no_reason = submit(coach, page, {"reason": "  "}, action=action)
    assert no_reason.status == 422
    assert "Say why you return the proposal: the student reads it." in errors_on(no_reason)
    assert only_placement(db).state == PlacementState.PROPOSED
    reason = "Vraag eerst aan de school wie je mentor wordt; Koen geeft geen les in jouw vak."
    follow(coach, submit(coach, page, {"reason": reason}, action=action))
    assert only_placement(db).state == PlacementState.RETURNED

    # The student reads the reason, changes the mentor and proposes again.
    home = text_of(student.get(BASE + "/student"))
    assert reason in home
    edit = student.get(BASE + f"/my/placements/{placement.id}/edit")
    assert reason in text_of(edit)
    assert form_on(edit).fields["mentors-0-email"] == "koen.maes@atheneum.example"
    again = follow(
        student,
        submit(
            student,
            edit,
            {"mentors-0-name": "Sara Peeters", "mentors-0-email": "sara.peeters@atheneum.example"},
        ),
    )
    assert "Your proposal is with your coach again." in text_of(again)
    placement = only_placement(db)
    assert placement.state == PlacementState.PROPOSED
    assert [link.mentor.email for link in placement.mentor_links] == [
        "sara.peeters@atheneum.example"
    ]

    # The coach approves; the student can no longer change it.
    page = coach.get(BASE + f"/placements/{placement.id}")
    approved = follow(coach, submit(coach, page, {}, action=f"/placements/{placement.id}/approve"))
    assert "Placement approved." in text_of(approved)
    placement = only_placement(db)
    assert (placement.state, placement.coach_id) == (PlacementState.APPROVED, course.coach_id)
    locked = follow(student, student.get(BASE + f"/my/placements/{placement.id}/edit"))
    assert "ask your coach to change it" in text_of(locked)

    history = [(r.action, r.actor) for r in records(db, placement.id)]
    assert history == [
        ("proposed", f"person:{course.student_id}"),
        ("returned", f"person:{course.coach_id}"),
        ("proposed", f"person:{course.student_id}"),
        ("approved", f"person:{course.coach_id}"),
    ]
    returned = records(db, placement.id)[1]
    assert returned.changes["state"] == {"before": "proposed", "after": "returned"}
    assert returned.changes["return_reason"] == {"before": "", "after": reason}


def test_a_student_picks_a_known_school_by_searching(course: Course_, db) -> None:
    school = factories.SchoolFactory(name="Sint-Lievenscollege", city="Gent")
    factories.SchoolFactory(name="Atheneum", city="Brugge")
    db.commit()
    student = course.student
    page = student.get(BASE + "/my/placements/new")
    found = submit(
        student,
        page,
        {"school_search": "lieven", "mentors-0-name": "Els", "find_school": "1"},
    )
    assert found.status == 200
    fields = form_on(found).fields
    assert fields["school_id"] == str(school.id)  # the only match is chosen
    assert fields["mentors-0-name"] == "Els"
    assert "1 school found." in text_of(found)

    follow(
        student,
        submit(
            student,
            found,
            {**proposal_fields(school_id=str(school.id)), "new_school-name": ""},
        ),
    )
    assert only_placement(db).school_id == school.id
    assert count(db, School) == 2


def test_a_student_sees_only_their_own_placements(course: Course_, db) -> None:
    other_browser, other_id = course.as_student("student-2", "Jonas De Smet")
    theirs = factories.PlacementFactory(
        course=db.get(Course, course.course_id),
        student=db.get(RosterPerson, other_id),
        state=PlacementState.PROPOSED,
        school__name="Geheime School",
        insurance_reference="SECRET-REF",
    )
    db.commit()
    student = course.student
    for url in (f"/my/placements/{theirs.id}", f"/my/placements/{theirs.id}/edit"):
        page = student.get(BASE + url)
        assert page.status == 404, url
        assert "Geheime School" not in page.text and "Jonas" not in page.text
    assert student.get(BASE + f"/placements/{theirs.id}").status == 403
    home = student.get(BASE + "/student")
    assert "Geheime School" not in home.text
    # A posted edit with a valid token changes nothing.
    token = form_on(student.get(BASE + "/my/placements/new")).fields["csrf_token"]
    post = student.post(
        BASE + f"/my/placements/{theirs.id}/edit", {**proposal_fields(), "csrf_token": token}
    )
    assert post.status == 404
    db.expire_all()
    assert db.get(Placement, theirs.id).school.name == "Geheime School"
    # Their own page works.
    assert other_browser.get(BASE + f"/my/placements/{theirs.id}").status == 200


def test_a_coach_sees_only_placements_of_their_course(course: Course_, db) -> None:
    elsewhere = factories.PlacementFactory(school__name="Andere School")
    db.commit()
    assert course.coach.get(BASE + f"/placements/{elsewhere.id}").status == 404
    assert course.coach.get(BASE + f"/placements/{elsewhere.id}/edit").status == 404


def test_a_placement_without_any_mentor_is_refused(course: Course_, db) -> None:
    page = course.coach.get(BASE + "/placements/new")
    no_mentor = {"mentors-0-name": "", "mentors-0-email": "", "mentors-0-subject": ""}
    refused = submit(course.coach, page, placement_fields(course.student_id, **no_mentor))
    assert refused.status == 422
    assert "Add at least one mentor with name and e-mail address." in errors_on(refused)
    assert count(db, Placement) == 0


def test_a_school_saved_by_someone_else_meanwhile_is_reported_not_a_crash(
    course: Course_, db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two coaches add the same instellingsnummer at the same moment: the check before saving
    passes for both; the database refuses the second, which is told so and keeps its form."""
    from lti_app.schools import service

    factories.SchoolFactory(name="Atheneum Zuid", institution_number="123456")
    db.commit()
    monkeypatch.setattr(service, "school_with_number", lambda session, college_id, number: None)
    coach = course.coach

    page = submit(
        coach,
        coach.get(BASE + "/placements/new"),
        placement_fields(course.student_id, **{"new_school-institution_number": "123456"}),
    )

    assert page.status == 422
    assert "Someone saved the same school or mentor at the same moment." in text_of(page)
    assert form_on(page).fields["mentors-0-email"] == "Els.VandenBroeck@SJC.example"
    assert count(db, Placement) == 0 and count(db, School) == 1
