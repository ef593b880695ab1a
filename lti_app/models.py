"""Imports every model so that Base.metadata knows every table (for Alembic and tests)."""

from lti_app.jobs.models import Job
from lti_app.lti.models import Deployment, LaunchState, Platform, ToolKey
from lti_app.notifications.models import BouncedAddress, OutgoingMail
from lti_app.roster.models import Course, Membership, Person

__all__ = [
    "BouncedAddress",
    "Course",
    "Deployment",
    "Job",
    "LaunchState",
    "Membership",
    "OutgoingMail",
    "Person",
    "Platform",
    "ToolKey",
]
