"""factory_boy factories, one per model, for tests and benchmarks that need data in bulk.

They write through whichever SQLAlchemy session they are bound to::

    with factories.bound(session):
        course = factories.CourseFactory()
        factories.PlacementFactory.create_batch(30, course=course)
    session.commit()

Objects are flushed, not committed: the caller decides when the data is in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app import clock
from lti_app.colleges.models import College, Programme
from lti_app.db import utcnow
from lti_app.guests.models import InvitationState, MentorInvitation
from lti_app.hours.models import HourEntry, HourKind, HourState
from lti_app.lti.models import Platform
from lti_app.placements.models import Placement, PlacementMentor, PlacementState, Track
from lti_app.roster.models import Course, Membership, Person, Role
from lti_app.schools.models import Mentor, School

__all__ = [
    "CollegeFactory",
    "CourseFactory",
    "HourEntryFactory",
    "MembershipFactory",
    "MentorFactory",
    "MentorInvitationFactory",
    "PersonFactory",
    "PlacementFactory",
    "PlacementMentorFactory",
    "PlatformFactory",
    "ProgrammeFactory",
    "SchoolFactory",
    "bound",
    "the_college",
]


class _Binding:
    session: Session | None = None


def _session() -> Session:
    if _Binding.session is None:
        raise RuntimeError("bind the factories to a session first: with factories.bound(session)")
    return _Binding.session


@contextmanager
def bound(session: Session) -> Iterator[Session]:
    """Let every factory write through ``session`` inside the block."""
    previous, _Binding.session = _Binding.session, session
    try:
        yield session
    finally:
        _Binding.session = previous


class _Factory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = _session
        sqlalchemy_session_persistence = "flush"


class CollegeFactory(_Factory):
    class Meta:
        model = College

    name = factory.Sequence(lambda n: f"Hogeschool {n}")


def the_college() -> College:
    """The installation's first college (made when there is none): single-college tests need
    not name it; two-college tests pass ``college=`` to the factories."""
    found = _session().scalars(select(College).order_by(College.id)).first()
    return found if found is not None else CollegeFactory()


class ProgrammeFactory(_Factory):
    class Meta:
        model = Programme

    college = factory.LazyFunction(the_college)
    name = factory.Sequence(lambda n: f"Educatief graduaat {n}")


class PlatformFactory(_Factory):
    class Meta:
        model = Platform

    college = factory.LazyFunction(the_college)

    name = factory.Sequence(lambda n: f"LMS {n}")
    issuer = factory.Sequence(lambda n: f"https://lms{n}.example")
    client_id = factory.Sequence(lambda n: f"client-{n}")
    auth_login_url = factory.LazyAttribute(lambda o: f"{o.issuer}/auth")
    auth_token_url = factory.LazyAttribute(lambda o: f"{o.issuer}/token")
    key_set_url = factory.LazyAttribute(lambda o: f"{o.issuer}/jwks.json")


class CourseFactory(_Factory):
    class Meta:
        model = Course

    platform = factory.SubFactory(PlatformFactory)
    context_id = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Stage SO {n}")
    label = "SO"


class PersonFactory(_Factory):
    class Meta:
        model = Person

    issuer = "https://lms.example"
    sub = factory.Sequence(lambda n: f"user-{n}")
    given_name = factory.Faker("first_name", locale="nl_BE")
    family_name = factory.Faker("last_name", locale="nl_BE")
    name = factory.LazyAttribute(lambda o: f"{o.given_name} {o.family_name}")
    email = factory.LazyAttribute(lambda o: f"{o.sub}@student.example")


class MembershipFactory(_Factory):
    """A person in a course; a student unless ``role`` says otherwise."""

    class Meta:
        model = Membership

    course = factory.SubFactory(CourseFactory)
    person = factory.SubFactory(PersonFactory)
    role = Role.STUDENT
    lti_roles = factory.LazyFunction(list)
    active = True
    source = "nrps"


class SchoolFactory(_Factory):
    class Meta:
        model = School

    college_id = factory.LazyFunction(lambda: the_college().id)

    name = factory.Sequence(lambda n: f"Sint-Jozefscollege {n}")
    institution_number = factory.Sequence(lambda n: f"{100000 + n}")
    street = factory.Sequence(lambda n: f"Schoolstraat {n}")
    postal_code = "9300"
    city = "Aalst"
    contact_name = "Karin Wouters"
    contact_email = factory.Sequence(lambda n: f"stage@school{n}.example")
    contact_phone = "053 12 34 56"


class MentorFactory(_Factory):
    class Meta:
        model = Mentor

    college_id = factory.LazyFunction(lambda: the_college().id)

    email = factory.Sequence(lambda n: f"mentor{n}@school.example")
    name = factory.Faker("name", locale="nl_BE")


class PlacementFactory(_Factory):
    """An approved placement with one mentor (``mentors=[…]`` to choose them, ``[]`` for none)."""

    class Meta:
        model = Placement

    course = factory.SubFactory(CourseFactory)
    student = factory.SubFactory(PersonFactory)
    school = factory.SubFactory(SchoolFactory)
    track = Track.STAGE
    state = PlacementState.APPROVED
    return_reason = ""
    start_date = factory.LazyFunction(lambda: clock.today() - timedelta(days=30))
    end_date = factory.LazyFunction(lambda: clock.today() + timedelta(days=60))
    subjects = "Wiskunde"
    grade_levels = "2de graad"
    planned_observation_hours = 10
    planned_co_teaching_hours = 10
    planned_own_lessons = 20
    planned_hours = 60

    @factory.post_generation
    def mentors(obj: Placement, create: bool, extracted: Any, **kwargs: Any) -> None:
        chosen = [MentorFactory()] if extracted is None else list(extracted)
        for mentor in chosen:
            obj.mentor_links.append(PlacementMentor(mentor=mentor))
        if create and chosen:
            _session().flush()


class PlacementMentorFactory(_Factory):
    class Meta:
        model = PlacementMentor

    placement = factory.SubFactory(PlacementFactory, mentors=[])
    mentor = factory.SubFactory(MentorFactory)


class MentorInvitationFactory(_Factory):
    class Meta:
        model = MentorInvitation

    mentor = factory.SubFactory(MentorFactory)
    placement = factory.SubFactory(PlacementFactory)
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    state = InvitationState.SENT
    expires_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=14))


class HourEntryFactory(_Factory):
    class Meta:
        model = HourEntry

    placement_id = factory.LazyAttribute(lambda o: o.placement.id)
    day = factory.LazyFunction(clock.today)
    kind = HourKind.OBSERVATION
    minutes = 60
    note = ""
    state = HourState.APPROVED

    class Params:
        placement = factory.SubFactory(PlacementFactory)
