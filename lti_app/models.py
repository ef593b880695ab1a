"""Imports every model so that Base.metadata knows every table (for Alembic and tests)."""

from lti_app.lti.models import Deployment, LaunchState, Platform, ToolKey
from lti_app.roster.models import Course, Membership, Person

__all__ = ["Course", "Deployment", "LaunchState", "Membership", "Person", "Platform", "ToolKey"]
