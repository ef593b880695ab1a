"""What a resource-link launch tells grading: the LMS's URL of the link's line item.

A platform that made the column from our deep-linking response (or by hand) names it in every
launch of that link: the AGS endpoint claim's ``lineitem`` (AGS 2.0 §3.1). Recording it, with
the resource link's id, onto our row lets a grade go straight to that column, and lets a
submission review (which names the line item) find its assignment. The row is the one the
link's custom parameter ``driehoek_resource`` names, or else the one already tied to the
resource link. A launch that says nothing about grading costs no query.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.grading.models import LineItem
from lti_app.roster.models import Course

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
_NOTED = ("LtiResourceLinkRequest", "LtiSubmissionReviewRequest")


def _text(value: Any, limit: int) -> str | None:
    """A claim's string the database can compare (PostgreSQL refuses NUL), or None."""
    if not isinstance(value, str) or not value.strip() or len(value) > limit or "\x00" in value:
        return None
    return value.strip()


def custom_parameters(claims: Mapping[str, Any]) -> Mapping[str, Any]:
    custom = claims.get(CLAIM + "custom")
    return custom if isinstance(custom, Mapping) else {}


def resource_link_id(claims: Mapping[str, Any]) -> str | None:
    link = claims.get(CLAIM + "resource_link")
    return _text(link.get("id"), 255) if isinstance(link, Mapping) else None


def line_item_url(claims: Mapping[str, Any]) -> str | None:
    ags = claims.get(AGS_ENDPOINT)
    return _text(ags.get("lineitem"), 1000) if isinstance(ags, Mapping) else None


def link_resource_id(claims: Mapping[str, Any]) -> str | None:
    return _text(custom_parameters(claims).get("driehoek_resource"), 255)


def line_item_of_link(
    session: Session, course: Course, claims: Mapping[str, Any]
) -> LineItem | None:
    """The course's line item this launch's link carries: by ``driehoek_resource``, by the
    AGS ``lineitem`` URL, or by the resource link id."""
    resource_id = link_resource_id(claims)
    if resource_id is not None:
        return _one(session, course, LineItem.resource_id == resource_id)
    url = line_item_url(claims)
    if url is not None:
        found = _one(session, course, LineItem.url == url)
        if found is not None:
            return found
    link_id = resource_link_id(claims)
    return _one(session, course, LineItem.resource_link_id == link_id) if link_id else None


def note_launch(session: Session, course: Course, claims: Mapping[str, Any]) -> None:
    """Record the link's line item URL and resource link id onto its row (in the caller's
    transaction). The first link and URL a row learns stay: a second link of the same
    assignment (placed without ``lineItem``) must not move the column."""
    if claims.get(CLAIM + "message_type") not in _NOTED:
        return
    url = line_item_url(claims)
    if url is None and link_resource_id(claims) is None:
        return
    row = line_item_of_link(session, course, claims)
    if row is None:
        return
    link_id = resource_link_id(claims)
    if row.resource_link_id is None and link_id is not None:
        row.resource_link_id = link_id
    if row.url is None and url is not None:
        row.url = url


def _one(session: Session, course: Course, condition: Any) -> LineItem | None:
    return session.scalars(
        select(LineItem).where(LineItem.course_id == course.id, condition).order_by(LineItem.id)
    ).first()
