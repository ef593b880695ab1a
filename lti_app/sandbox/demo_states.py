"""The demo course's placements, agreements and hours: every state a newcomer should see.

Made once, through the tool's own services (so histories, signatures, hashes, the signed PDF and
the mails are what the app itself makes), on a demo course that has no placements yet; dates
are relative to ``clock.today()`` so the demo looks current whenever it is set up. The course
page (``views.course``) sets it up in development; tests call :func:`ensure_demo_states`.

Who shows what (the welcome page says so in one line each):

- Mehdi proposed a placement; the coach has not decided yet.
- Jonas's proposal came back with a reason.
- Emma's agreement is a draft; Noah signed his and waits for his mentor (Els); Louise and her
  mentor (Pieter) signed hers, the college has still to sign; Lotte signed hers, but the coach
  then changed the schedule, which voided her signature, so it is her turn again.
- Sofie's agreement is active, with its signed PDF; she logged hours: a week her mentor (Els)
  approved, two days waiting, and one entry returned with a reason. Her placement began a
  semester ago: a dozen submitted feedback forms fill her growth chart (demo_feedback.py), and
  her reflection journal is handed in for the course's assignment (demo_journals.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_app import clock
from lti_app.agreements import revising, signing, template_service
from lti_app.agreements import service as agreements
from lti_app.agreements.models import Agreement
from lti_app.agreements.parties import person_signer, school_signer
from lti_app.colleges.service import programme_named
from lti_app.guests import invitations, links
from lti_app.hours import reading as hours_reading
from lti_app.hours import service as hours
from lti_app.hours.models import HourKind
from lti_app.lti.models import Platform
from lti_app.placements import service as placements
from lti_app.placements.models import Placement, Track
from lti_app.roster.models import Course, Person, Role
from lti_app.roster.service import record_launch
from lti_app.sandbox import demo_feedback, demo_journals, messages, platform
from lti_app.sandbox.demo import MAIN, DemoPerson, person
from lti_app.schools import service as schools
from lti_app.schools.mentors import MentorDetails
from lti_app.schools.models import Mentor, School

# The people of the demo states, by their sandbox id.
COACH, LOTTE, MEHDI, SOFIE, JONAS = (
    "coach-an",
    "student-lotte",
    "student-mehdi",
    "student-sofie",
    "student-jonas",
)
EMMA, NOAH, LOUISE = (p.id for p in MAIN.people[-3:])


@dataclass(frozen=True)
class DemoMentor:
    key: str
    name: str
    email: str


ELS = DemoMentor("els", "Els Mertens", "els.mertens@zonnebloem.example")
PIETER = DemoMentor("pieter", "Pieter Vandevelde", "pieter.vandevelde@lindeveld.example")
KAREN = DemoMentor("karen", "Karen Dewitte", "karen.dewitte@debrug.example")
BART = DemoMentor("bart", "Bart Lemaire", "bart.lemaire@debrug.example")
GRIET = DemoMentor("griet", "Griet Verbeke", "griet.verbeke@zonnebloem.example")
# The mentors a newcomer can open Driehoek as (by a fresh sign-in link, as a mentor would).
SIGNING_IN = (ELS, PIETER)

SCHOOLS = {
    "zonnebloem": schools.SchoolDetails(
        "Koninklijk Atheneum Zonnebloem (demo)",
        "990011",
        "Zonnebloemstraat 1",
        "9000",
        "Gent",
        "Ilse Vandaele",
        "directie@zonnebloem.example",
    ),
    "lindeveld": schools.SchoolDetails(
        "Sint-Pieterscollege Lindeveld (demo)",
        "990022",
        "Lindeplein 12",
        "3000",
        "Leuven",
        "Marc Goethals",
        "secretariaat@lindeveld.example",
    ),
    "debrug": schools.SchoolDetails(
        "Technisch Instituut De Brug (demo)",
        "990033",
        "Brugstraat 40",
        "2800",
        "Mechelen",
        "Hanne Peeters",
        "info@debrug.example",
    ),
}

RETURN_REASON = (
    "Je mentor geeft geen Elektriciteit, het vak van je opleiding. Vraag de school naar een "
    "mentor die het vak geeft, of kies een andere school."
)
HOURS_RETURN_REASON = (
    "Deze les gaf ik zelf; jij observeerde. Boek ze als observatie, dan keur ik ze goed."
)
FIELDS = {
    "schedule": "Maandag en donderdag, 8.25 tot 15.50 uur.",
    "learning_goals": "Zelfstandig een lessenreeks ontwerpen en geven; differentiëren in de klas.",
    "arrangements": "Op woensdag een klassenraad bijwonen wanneer die plaatsvindt.",
}


def _person(session: Session, found: Platform, demo_id: str, role: Role) -> Person:
    """The person as their launch records them (the same claims the sandbox signs)."""
    who = person(demo_id)
    assert isinstance(who, DemoPerson)
    claims = messages.launch_claims(who, nonce="demo-states")
    recorded, course, _ = record_launch(session, found, claims, role)
    assert course is not None
    if course.programme_id is None and MAIN.programme:
        course.programme = programme_named(session, found.college_id, MAIN.programme)
    return recorded


def _main_platform(session: Session) -> Platform | None:
    return session.scalars(
        select(Platform).where(
            Platform.issuer == platform.issuer(), Platform.client_id == MAIN.client_id
        )
    ).first()


def _demo_course(session: Session) -> Course | None:
    found = _main_platform(session)
    if found is None:
        return None
    return session.scalars(
        select(Course).where(Course.platform_id == found.id, Course.context_id == MAIN.course["id"])
    ).first()


def present(session: Session) -> bool:
    """Whether the demo course holds the demo states (and not placements of someone's own)."""
    course = _demo_course(session)
    if course is None:
        return False
    schools = select(School.id).where(
        School.college_id == course.platform.college_id,
        School.institution_number == SCHOOLS["zonnebloem"].institution_number,
    )
    return bool(
        session.scalar(
            select(func.count(Placement.id)).where(
                Placement.course_id == course.id, Placement.school_id.in_(schools)
            )
        )
    )


def sign_in_link(session: Session, key: str) -> str | None:
    """A fresh sign-in link for a demo mentor a newcomer may open Driehoek as (mailed too)."""
    demo = next((m for m in SIGNING_IN if m.key == key), None)
    if demo is None or not present(session):
        return None
    link = invitations.send_sign_in_link(session, demo.email)
    return link.url if link else None


def ensure_demo_states(session: Session) -> bool:
    """Set the demo states up unless the demo course has placements already (the caller
    commits). Returns whether they were set up now; call it as often as you like."""
    found = _main_platform(session)
    if found is None:
        raise RuntimeError("register the sandbox first (platform.ensure_registered)")
    course = _demo_course(session)
    if course is not None and session.scalar(
        select(func.count(Placement.id)).where(Placement.course_id == course.id)
    ):
        return False
    _Scenes(session, found).play()
    return True


class _Scenes:
    """The demo course's story, told through the services in the order it would happen."""

    def __init__(self, session: Session, found: Platform):
        self.s = session
        self.platform = found
        self.today = clock.today()
        self.coach = _person(session, found, COACH, Role.COACH)
        course = _demo_course(session)
        assert course is not None and course.programme is not None
        self.course = course
        self.template = template_service.template_for(session, course.programme)
        self.schools = {key: self._school(details) for key, details in SCHOOLS.items()}
        # A placement that began three weeks ago and runs on for six: hours fit in its past.
        self.start = hours_reading.week_start(self.today) - timedelta(days=21)
        self.end = self.start + timedelta(days=63)

    def _school(self, details: schools.SchoolDetails) -> School:
        college_id = self.platform.college_id
        found = schools.school_with_number(self.s, college_id, details.institution_number)
        return found or schools.create_school(self.s, college_id, details)

    def _student(self, demo_id: str) -> Person:
        return _person(self.s, self.platform, demo_id, Role.STUDENT)

    def _values(self, school: str, subjects: str, **more: Any) -> dict[str, Any]:
        return {
            "school_id": self.schools[school].id,
            "track": Track.STAGE,
            "start_date": self.start,
            "end_date": self.end,
            "subjects": subjects,
            "grade_levels": "2de graad",
            **more,
        }

    def _propose(
        self, student: Person, school: str, subjects: str, mentor: DemoMentor, **more: Any
    ) -> Placement:
        return placements.propose_placement(
            self.s,
            course_id=self.course.id,
            student=student,
            values=self._values(school, subjects, **more),
            mentors=[MentorDetails(mentor.email, mentor.name, subjects)],
        )

    def _create(self, student: Person, school: str, subjects: str, mentor: DemoMentor) -> Placement:
        planned = {"planned_observation_hours": 20, "planned_own_lessons": 12, "planned_hours": 60}
        return placements.create_placement(
            self.s,
            course_id=self.course.id,
            student_id=student.id,
            values=self._values(school, subjects, **planned),
            mentors=[MentorDetails(mentor.email, mentor.name, subjects)],
            actor=self.coach,
        )

    def _approved(
        self, student: Person, school: str, subjects: str, mentor: DemoMentor, **more: Any
    ) -> Placement:
        """Proposed by the student, approved by the coach."""
        placement = self._propose(student, school, subjects, mentor, **more)
        placements.approve_placement(self.s, placement, self.coach)
        return placement

    def _mentor(self, demo: DemoMentor) -> Mentor:
        found = self.s.scalars(
            select(Mentor).where(
                Mentor.college_id == self.platform.college_id, Mentor.email == demo.email
            )
        ).one()
        return found

    def _invite(self, placement: Placement, demo: DemoMentor, *, follows: bool) -> Mentor:
        """The coach invites the mentor; one who ``follows`` the link is signed in since."""
        mentor = self._mentor(demo)
        link = invitations.invite(self.s, placement, mentor, self.coach)
        if follows:
            links.spend(self.s, link.url.rsplit("/", 1)[1])
        return mentor

    def _agreement(self, placement: Placement, *, sent: bool = True) -> Agreement:
        agreement = agreements.create_agreement(
            self.s, placement, self.template, self.coach.get_id()
        )
        agreements.update_fields(
            self.s, agreement, FIELDS, self.coach.get_id(), self.coach.display_name
        )
        if sent:
            agreements.send_for_signing(self.s, agreement, self.coach.get_id())
        return agreement

    def _sign(self, agreement: Agreement, placement: Placement, *who: Person | Mentor) -> None:
        document = revising.main_document(agreement)
        for signer_of in who:
            if isinstance(signer_of, Mentor):
                signer = school_signer(signer_of, placement, agreement)
            elif signer_of.id == placement.student_id:
                signer = person_signer(signer_of, placement, Role.STUDENT)
            else:
                signer = person_signer(signer_of, placement, Role.COACH)
            assert signer is not None
            signing.sign(self.s, document, signer, document.text_sha256)

    def play(self) -> None:
        self.waiting_for_the_coach()
        self.returned()
        self.draft()
        self.student_signed()
        self.college_to_sign()
        self.signature_voided()
        self.active_with_hours()

    def waiting_for_the_coach(self) -> None:
        self._propose(self._student(MEHDI), "debrug", "Elektriciteit", BART)

    def returned(self) -> None:
        placement = self._propose(self._student(JONAS), "zonnebloem", "Elektriciteit", GRIET)
        placements.return_placement(self.s, placement, RETURN_REASON, self.coach)

    def draft(self) -> None:
        placement = self._create(self._student(EMMA), "debrug", "Hout", KAREN)
        self._invite(placement, KAREN, follows=False)
        self._agreement(placement, sent=False)

    def student_signed(self) -> None:
        noah = self._student(NOAH)
        placement = self._create(noah, "zonnebloem", "Wiskunde", ELS)
        self._invite(placement, ELS, follows=True)
        self._sign(self._agreement(placement), placement, noah)

    def college_to_sign(self) -> None:
        louise = self._student(LOUISE)
        placement = self._create(louise, "lindeveld", "Aardrijkskunde", PIETER)
        pieter = self._invite(placement, PIETER, follows=True)
        self._sign(self._agreement(placement), placement, louise, pieter)

    def signature_voided(self) -> None:
        lotte = self._student(LOTTE)
        placement = self._approved(lotte, "lindeveld", "Nederlands", PIETER)
        self._invite(placement, PIETER, follows=True)
        agreement = self._agreement(placement)
        self._sign(agreement, placement, lotte)
        # The coach changes the schedule after Lotte signed: her signature is void.
        changed = {**FIELDS, "schedule": "Dinsdag en donderdag, 8.25 tot 15.50 uur."}
        agreements.update_fields(
            self.s, agreement, changed, self.coach.get_id(), self.coach.display_name
        )

    def active_with_hours(self) -> None:
        sofie = self._student(SOFIE)
        # Her placement began a semester ago, so her feedback forms fill one.
        began = demo_feedback.semester_start(self.today)
        placement = self._approved(sofie, "zonnebloem", "Economie", ELS, start_date=began)
        els = self._invite(placement, ELS, follows=True)
        self._sign(self._agreement(placement), placement, sofie, els, self.coach)
        self._hours(placement, sofie, els)
        demo_feedback.give_feedback(self.s, placement, els, self.coach)
        demo_journals.write_journal(self.s, placement, sofie, self.coach)

    def _hours(self, placement: Placement, student: Person, mentor: Mentor) -> None:
        """A week the mentor approved, then a week with two days waiting and one returned."""
        earlier = hours_reading.week_start(self.today) - timedelta(days=14)
        later = earlier + timedelta(days=7)
        approved = [
            self._log(placement, student, earlier, HourKind.OBSERVATION, 200, "Lessen 3de jaar"),
            self._log(placement, student, earlier + timedelta(days=1), HourKind.CO_TEACHING, 100),
            self._log(placement, student, earlier + timedelta(days=3), HourKind.OWN_LESSON, 50),
        ]
        hours.approve_week(
            self.s, placement, mentor, earlier, [e.id for e in approved], clock.now()
        )
        self._log(placement, student, later, HourKind.OWN_LESSON, 50, "Les 4ECa")
        returned = self._log(placement, student, later + timedelta(days=1), HourKind.OWN_LESSON, 50)
        self._log(placement, student, later + timedelta(days=3), HourKind.OBSERVATION, 150)
        hours.reject_entry(self.s, placement, returned, mentor, HOURS_RETURN_REASON)

    def _log(
        self,
        placement: Placement,
        student: Person,
        day: date,
        kind: HourKind,
        minutes: int,
        note: str = "",
    ) -> Any:
        entry = hours.HourInput(day=day, kind=kind, minutes=minutes, note=note)
        return hours.log_hours(self.s, placement, student, entry, self.today)
