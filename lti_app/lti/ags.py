"""LTI Assignment and Grade Services 2.0 (https://www.imsglobal.org/spec/lti-ags/v2p0): the
line items of a course and the scores Driehoek posts to them, on top of lti.services' tokens.

- A launch's AGS claim names the course's **line items container** (``lineitems``) and, for a
  graded link, that link's **line item** (``lineitem``) (§3.1).
- ``GET`` on the container lists the course's line items, a page at a time (``Link`` with
  ``rel="next"``, §3.2.4), filtered by ``resource_link_id``, ``resource_id`` or ``tag``
  (§3.2.6.1); platforms may ignore a filter, so we filter again. Needs the ``lineitem`` or
  ``lineitem.readonly`` scope.
- ``POST`` on the container creates a line item (§3.2.7): label, scoreMaximum, resourceId, tag
  and resourceLinkId. Needs the ``lineitem`` scope.
- ``POST`` on ``<line item URL>/scores`` (the path gets ``/scores``, the query string stays)
  publishes one student's score (§3.4): ``userId`` (the LTI ``sub``), ``scoreGiven`` and
  ``scoreMaximum``, ``comment``, ``timestamp`` (a platform ignores a score whose timestamp is not
  later than the last one it took, §3.4.7), ``activityProgress`` and ``gradingProgress``.
  Needs the ``score`` scope.

Every failure is an ``LtiServiceError``; a 429 or 503 carries ``retry_after`` (seconds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from lti_app.lti import outbound
from lti_app.lti.answers import same_origin
from lti_app.lti.link_header import next_link
from lti_app.lti.services import LtiServiceError, LtiServices, ServiceFailure, _json

AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
MAX_SCORE_ANSWER_BYTES = 64 * 1024
MAX_CONTAINER_PAGE_BYTES = 4 * 1024 * 1024
MAX_CONTAINER_PAGES = 50  # a course with more than some thousands of columns is not a course


@dataclass(frozen=True)
class RemoteLineItem:
    """A line item as the platform describes it (§3.2.1)."""

    url: str
    label: str
    score_maximum: float | None
    resource_id: str
    resource_link_id: str
    tag: str

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> RemoteLineItem | None:
        url = body.get("id")
        if not isinstance(url, str) or not url:
            return None
        maximum = body.get("scoreMaximum")
        return cls(
            url=url,
            label=_text(body.get("label")),
            score_maximum=float(maximum)
            if isinstance(maximum, int | float) and not isinstance(maximum, bool)
            else None,
            resource_id=_text(body.get("resourceId")),
            resource_link_id=_text(body.get("resourceLinkId")),
            tag=_text(body.get("tag")),
        )


def scores_url(lineitem_url: str) -> str:
    """``<line item>/scores``: appended to the path, before any query string (§3.4)."""
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def ags_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as AGS's examples write it."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def post_score(client: LtiServices, lineitem_url: str, score: Mapping[str, Any]) -> int:
    """Publish one score; returns the platform's status (200, 201, 202 or 204).

    :raise LtiServiceError: no token, or the platform did not take it.
    """
    response = client.call(
        "POST",
        scores_url(lineitem_url),
        (SCOPE_SCORE,),
        "application/json",
        MAX_SCORE_ANSWER_BYTES,
        headers={"Content-Type": SCORE_MEDIA_TYPE},
        json=dict(score),
    )
    return response.status_code


def find_line_items(
    client: LtiServices,
    lineitems_url: str,
    *,
    resource_link_id: str | None = None,
    resource_id: str | None = None,
    tag: str | None = None,
) -> list[RemoteLineItem]:
    """The course's line items that match every filter given, from every page.

    :raise LtiServiceError: no token, a page failed, or a next page on another host.
    """
    wanted = {
        "resource_link_id": resource_link_id,
        "resource_id": resource_id,
        "tag": tag,
    }
    query = {k: v for k, v in wanted.items() if v is not None}
    url: str | None = _with_query(lineitems_url, query)
    found: list[RemoteLineItem] = []
    for _ in range(MAX_CONTAINER_PAGES):
        if url is None:
            break
        response = client.call(
            "GET",
            url,
            (SCOPE_LINEITEM_READONLY, SCOPE_LINEITEM),
            CONTAINER_MEDIA_TYPE,
            MAX_CONTAINER_PAGE_BYTES,
        )
        try:
            body = response.json()
        except ValueError as exc:
            raise LtiServiceError(ServiceFailure.BAD_RESPONSE, "line items are not JSON") from exc
        if not isinstance(body, list):
            raise LtiServiceError(ServiceFailure.BAD_RESPONSE, "line items are not a JSON list")
        for entry in body:
            item = RemoteLineItem.of(entry) if isinstance(entry, Mapping) else None
            if item is not None and _matches(item, resource_link_id, resource_id, tag):
                found.append(item)
        next_url = next_link(response.headers.get("Link"), response.url or url)
        if next_url is not None and not same_origin(next_url, lineitems_url):
            # The bearer token goes with the next request: never to another host.
            raise LtiServiceError(
                ServiceFailure.BAD_RESPONSE, "next page is on another host than the service"
            )
        url = next_url
    return found


def create_line_item(
    client: LtiServices,
    lineitems_url: str,
    *,
    label: str,
    score_maximum: float,
    resource_id: str,
    tag: str,
    resource_link_id: str | None = None,
) -> RemoteLineItem:
    """Create a line item in the course (§3.2.7) and return it as the platform made it.

    :raise LtiServiceError: no token, refused, or an answer without the new item's URL.
    """
    body: dict[str, Any] = {
        "label": label,
        "scoreMaximum": score_maximum,
        "resourceId": resource_id,
        "tag": tag,
    }
    if resource_link_id:
        body["resourceLinkId"] = resource_link_id
    response = client.call(
        "POST",
        lineitems_url,
        (SCOPE_LINEITEM,),
        LINEITEM_MEDIA_TYPE,
        outbound.MAX_TOKEN_BYTES,
        headers={"Content-Type": LINEITEM_MEDIA_TYPE},
        json=body,
    )
    item = RemoteLineItem.of(_json(response, "new line item"))
    if item is None:
        raise LtiServiceError(ServiceFailure.BAD_RESPONSE, "new line item without an id")
    return item


def _matches(
    item: RemoteLineItem, resource_link_id: str | None, resource_id: str | None, tag: str | None
) -> bool:
    return (
        (resource_link_id is None or item.resource_link_id == resource_link_id)
        and (resource_id is None or item.resource_id == resource_id)
        and (tag is None or item.tag == tag)
    )


def _with_query(url: str, extra: Mapping[str, str]) -> str:
    if not extra:
        return url
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(extra)) if q)
    return urlunsplit(parts._replace(query=query))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
