"""Where a score goes: the line item's URL at the LMS, found or made once (AGS 2.0 §3.2,
https://www.imsglobal.org/spec/lti-ags/v2p0#line-item-service).

A coach's gradebook must never get a second column for one journal assignment. So a line item
whose URL Driehoek does not know is first looked for among the course's line items by the LMS's
resource link, then by Driehoek's ``resourceId``; only when neither exists is one created. The
line item row is locked meanwhile, so a second worker waits and then finds the URL.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from lti_app.db import utcnow
from lti_app.grading.models import LineItem
from lti_app.jobs.service import PermanentJobError
from lti_app.lti import ags
from lti_app.lti.services import LtiServices


def line_item_url(session: Session, client: LtiServices, item_id: int) -> str | None:
    """The line item's URL at the LMS: known, found, or made (never a second column)."""
    item = session.get(LineItem, item_id)
    if item is not None and item.url:
        return item.url
    # Lock the row (PostgreSQL: this row; SQLite: the database) while asking the LMS, so a
    # second worker waits and then finds the URL instead of creating a second column.
    session.execute(
        update(LineItem).where(LineItem.id == item_id).values(updated_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    item = session.get(LineItem, item_id, populate_existing=True)
    if item is None:
        raise PermanentJobError("the line item no longer exists")
    if item.url:
        session.commit()
        return item.url
    container = item.course.ags_lineitems_url
    if not container:
        session.commit()
        return None
    found = None
    if item.resource_link_id:
        found = first_match(
            ags.find_line_items(client, container, resource_link_id=item.resource_link_id),
            item.resource_id,
        )
    if found is None:
        found = first_match(
            ags.find_line_items(client, container, resource_id=item.resource_id),
            item.resource_id,
        )
    if found is None:
        found = ags.create_line_item(
            client,
            container,
            label=item.label or item.resource_id,
            score_maximum=item.score_maximum,
            resource_id=item.resource_id,
            tag=item.tag,
            resource_link_id=item.resource_link_id,
        )
    item.url = found.url[:1000]
    if not item.resource_link_id and found.resource_link_id:
        item.resource_link_id = found.resource_link_id[:255]
    session.commit()
    return item.url


def first_match(items: list[ags.RemoteLineItem], resource_id: str) -> ags.RemoteLineItem | None:
    """Ours (same resourceId) when several match, else the first."""
    for item in items:
        if item.resource_id == resource_id:
            return item
    return items[0] if items else None
