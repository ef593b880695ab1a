"""Imports every model so that Base.metadata knows every table (for Alembic and tests)."""

from lti_app.agreements.models import Agreement, AgreementDocument, AgreementTemplate, Signature
from lti_app.colleges.models import College, Programme
from lti_app.jobs.models import Job
from lti_app.lti.models import Deployment, LaunchState, Platform, RegistrationInvite, ToolKey
from lti_app.notifications.models import BouncedAddress, Notice, OutgoingMail
from lti_app.placements.models import (
    ChangeRecord,
    GuestSession,
    HourEntry,
    Mentor,
    MentorInvitation,
    Placement,
    PlacementMentor,
    School,
)
from lti_app.roster.models import Course, Membership, Person, RoleChange

__all__ = [
    "Agreement",
    "AgreementDocument",
    "AgreementTemplate",
    "BouncedAddress",
    "ChangeRecord",
    "College",
    "Course",
    "Deployment",
    "GuestSession",
    "HourEntry",
    "Job",
    "LaunchState",
    "Membership",
    "Mentor",
    "MentorInvitation",
    "Notice",
    "OutgoingMail",
    "Person",
    "Placement",
    "PlacementMentor",
    "Platform",
    "Programme",
    "RegistrationInvite",
    "RoleChange",
    "School",
    "Signature",
    "ToolKey",
]
