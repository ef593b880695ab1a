"""Imports every model so that Base.metadata knows every table (for Alembic and tests)."""

from lti_app.agreements.models import Agreement, AgreementDocument, AgreementTemplate, Signature
from lti_app.colleges.models import College, Programme
from lti_app.feedback.models import (
    CompetencyFramework,
    FeedbackAttachment,
    FeedbackForm,
    FeedbackRequest,
    FeedbackTemplate,
)
from lti_app.grading.models import LineItem, ScoreSync
from lti_app.guests.models import GuestSession, MentorInvitation
from lti_app.hours.models import HourEntry
from lti_app.jobs.models import Job
from lti_app.journals.models import (
    EntryComment,
    JournalAssignment,
    JournalEntry,
    JournalEntryVersion,
    JournalPrompts,
    JournalReview,
)
from lti_app.lti.models import Deployment, LaunchState, Platform, RegistrationInvite, ToolKey
from lti_app.notifications.models import BouncedAddress, Notice, OutgoingMail
from lti_app.placements.models import ChangeRecord, Placement, PlacementMentor
from lti_app.roster.models import Course, Membership, Person, RoleChange
from lti_app.schools.models import Mentor, School

__all__ = [
    "Agreement",
    "AgreementDocument",
    "AgreementTemplate",
    "BouncedAddress",
    "ChangeRecord",
    "College",
    "CompetencyFramework",
    "Course",
    "Deployment",
    "EntryComment",
    "FeedbackAttachment",
    "FeedbackForm",
    "FeedbackRequest",
    "FeedbackTemplate",
    "GuestSession",
    "HourEntry",
    "Job",
    "JournalAssignment",
    "JournalEntry",
    "JournalEntryVersion",
    "JournalPrompts",
    "JournalReview",
    "LaunchState",
    "LineItem",
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
    "ScoreSync",
    "Signature",
    "ToolKey",
]
