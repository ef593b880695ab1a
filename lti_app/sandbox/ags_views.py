"""The sandbox LMS's Assignment and Grade Services (AGS 2.0,
https://www.imsglobal.org/spec/lti-ags/v2p0), as a tool meets them over HTTP.

- ``GET  /sandbox/ags/<course>/lineitems`` (§3.2): the course's line items, filtered by
  ``resource_link_id``, ``resource_id`` and ``tag``, a page of ``limit`` at a time with a
  ``Link: rel="next"`` header; ``POST`` creates one (``lineitem`` scope).
- ``GET|PUT /sandbox/ags/<course>/lineitems/<id>`` (§3.2.7): one line item.
- ``POST /sandbox/ags/<course>/lineitems/<id>/scores`` (§3.4): a score for one student. The
  body is checked (userId, timestamp, activityProgress, gradingProgress, scoreGiven with
  scoreMaximum); per student only the newest by timestamp is kept, an older one is ignored.
  Failures set on the gradebook page (500, 429 with Retry-After, a hang) come first.
- ``GET  /sandbox/ags/<course>/lineitems/<id>/results`` (§3.3): what the gradebook holds.

Every call needs an access token from the sandbox's token endpoint with the right scope
(RFC 6750: 401 without one, 403 without the scope). State lives in ``ags_store``.
"""

from __future__ import annotations

import json
import math
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, request

from lti_app.extensions import csrf
from lti_app.sandbox import ags_faults, platform
from lti_app.sandbox import ags_store as store
from lti_app.sandbox.blueprint import bp
from lti_app.sandbox.demo import COLLEGES, DemoCollege
from lti_app.sandbox.responses import bearer_claims, json_response, problem
from lti_app.security import public

LINEITEM_SCOPE, LINEITEM_READ, RESULT_READ, SCORE_SCOPE = platform.AGS_SCOPES
CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
RESULTS_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"
ACTIVITY = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")
DEFAULT_LIMIT, MAX_LIMIT = 10, 100
# Line item fields kept as the tool sent them, besides those with columns of their own.
EXTRA_FIELDS = ("startDateTime", "endDateTime", "gradesReleased", "submissionReview")


class Invalid(Exception):
    """A request body the sandbox refuses (400), with the reason a developer needs."""


def lineitems_url(course_id: str) -> str:
    return f"{platform.issuer()}/ags/{course_id}/lineitems"


def lineitem_url(item: store.LineItem) -> str:
    return f"{lineitems_url(item.course_id)}/{item.id}"


def course_college(course_id: str) -> DemoCollege | None:
    return next((c for c in COLLEGES if c.course["id"] == course_id), None)


def member_ids(college: DemoCollege) -> set[str]:
    roster = platform.roster(college.course["id"])
    return {m["user_id"] for m in roster} if roster else {p.id for p in college.people}


def item_json(item: store.LineItem) -> dict[str, Any]:
    body: dict[str, Any] = {
        **item.extra,
        "id": lineitem_url(item),
        "label": item.label,
        "scoreMaximum": item.score_maximum,
    }
    for key, value in (
        ("resourceId", item.resource_id),
        ("tag", item.tag),
        ("resourceLinkId", item.resource_link_id),
    ):
        if value:
            body[key] = value
    return body


def _access(course_id: str, *scopes: str) -> DemoCollege | Response:
    """The course's college if the token may reach it; the error answer otherwise."""
    claims = bearer_claims(*scopes)
    if isinstance(claims, Response):
        return claims
    college = course_college(course_id)
    if college is None or claims.get("sub") != college.client_id:
        return problem(404, "not_found", "no such course")
    return college


def _body() -> dict[str, Any]:
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError as exc:
        raise Invalid(f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object")
    return body


def _number(body: dict[str, Any], key: str, *, positive: bool) -> float:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Invalid(f"{key} must be a number")
    if value < 0 or (positive and value == 0):
        raise Invalid(f"{key} must be {'more than' if positive else 'at least'} 0")
    return float(value)


def _text(body: dict[str, Any], key: str, *, required: bool = False, limit: int = 255) -> str:
    value = body.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise Invalid(f"{key} must be a{' non-empty' if required else ''} string")
    return value


def line_item_fields(body: dict[str, Any], college: DemoCollege, known_links: set[str]) -> dict:
    """The fields of a line item a tool sends (AGS 2.0 §3.2.6), checked."""
    link_id = _text(body, "resourceLinkId") or None
    if link_id is not None and link_id not in known_links:
        raise Invalid("resourceLinkId is not a link of this course")
    return {
        "label": _text(body, "label", required=True, limit=300),
        "score_maximum": _number(body, "scoreMaximum", positive=True),
        "resource_id": _text(body, "resourceId"),
        "tag": _text(body, "tag"),
        "resource_link_id": link_id,
        "extra": {k: body[k] for k in EXTRA_FIELDS if k in body},
    }


def _known_links(con: Any, college: DemoCollege) -> set[str]:
    own = {link.id for link in store.links(con, college.course["id"])}
    return own | {platform.RESOURCE_LINK["id"]}


def _page(items: list[Any], url: str, query: dict[str, str]) -> tuple[list[Any], str | None]:
    """One page of ``items`` and the next page's URL (or None); raises Invalid on bad paging."""
    try:
        limit = min(int(request.args.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)
        page = int(request.args.get("page", 1))
    except ValueError:
        limit = page = 0
    if limit < 1 or page < 1:
        raise Invalid("bad limit or page")
    start = (page - 1) * limit
    more = start + limit < len(items)
    next_url = url + "?" + urlencode({**query, "limit": limit, "page": page + 1}) if more else None
    return items[start : start + limit], next_url


def _paged(body: Any, media_type: str, next_url: str | None) -> Response:
    response = json_response(body, 200, media_type)
    if next_url:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response


@bp.route("/ags/<course_id>/lineitems", methods=["GET", "POST"])
@csrf.exempt
@public
def lineitems(course_id: str) -> Any:
    scopes = (LINEITEM_SCOPE,) if request.method == "POST" else (LINEITEM_SCOPE, LINEITEM_READ)
    college = _access(course_id, *scopes)
    if isinstance(college, Response):
        return college
    try:
        if request.method == "POST":
            body = _body()
            with store.connect(write=True) as con:
                fields = line_item_fields(body, college, _known_links(con, college))
                item = store.add_line_item(con, course_id, **fields)
            response = json_response(item_json(item), 201, LINEITEM_TYPE)
            response.headers["Location"] = lineitem_url(item)
            return response
        filters = {
            key: request.args[arg]
            for key, arg in (
                ("resource_link_id", "resource_link_id"),
                ("resource_id", "resource_id"),
                ("tag", "tag"),
            )
            if arg in request.args
        }
        with store.connect() as con:
            found = store.line_items(con, course_id, **filters)
        page, next_url = _page(found, lineitems_url(course_id), filters)
    except Invalid as exc:
        return problem(400, "invalid_request", str(exc))
    return _paged([item_json(i) for i in page], CONTAINER_TYPE, next_url)


@bp.route("/ags/<course_id>/lineitems/<int:item_id>", methods=["GET", "PUT"])
@csrf.exempt
@public
def lineitem(course_id: str, item_id: int) -> Any:
    scopes = (LINEITEM_SCOPE,) if request.method == "PUT" else (LINEITEM_SCOPE, LINEITEM_READ)
    college = _access(course_id, *scopes)
    if isinstance(college, Response):
        return college
    try:
        body = _body() if request.method == "PUT" else {}
        with store.connect(write=request.method == "PUT") as con:
            item = store.line_item(con, course_id, item_id)
            if item is None:
                return problem(404, "not_found", "no such line item")
            if request.method == "PUT":
                fields = line_item_fields(body, college, _known_links(con, college))
                item = store.LineItem(id=item.id, course_id=course_id, **fields)
                store.update_line_item(con, item)
    except Invalid as exc:
        return problem(400, "invalid_request", str(exc))
    return json_response(item_json(item), 200, LINEITEM_TYPE)


def score_fields(body: dict[str, Any], members: set[str]) -> tuple[str, datetime, dict]:
    """A score's user, timestamp and what the gradebook keeps of it (AGS 2.0 §3.4.6)."""
    user_id = _text(body, "userId", required=True)
    if user_id not in members:
        raise Invalid("userId is not a member of this course")
    raw = body.get("timestamp")
    try:
        timestamp = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        timestamp = None
    if timestamp is None or timestamp.tzinfo is None:
        raise Invalid("timestamp must be an ISO 8601 date-time with a time zone")
    if body.get("activityProgress") not in ACTIVITY:
        raise Invalid(f"activityProgress must be one of {', '.join(ACTIVITY)}")
    if body.get("gradingProgress") not in GRADING:
        raise Invalid(f"gradingProgress must be one of {', '.join(GRADING)}")
    kept: dict[str, Any] = {
        "activityProgress": body["activityProgress"],
        "gradingProgress": body["gradingProgress"],
        "comment": _text(body, "comment", limit=10_000),
    }
    if body.get("scoreGiven") is not None:
        kept["scoreGiven"] = _number(body, "scoreGiven", positive=False)
        kept["scoreMaximum"] = _number(body, "scoreMaximum", positive=True)
    for key, value in body.items():  # the submission, a platform's extensions: shown as sent
        if key not in kept and key not in ("userId", "timestamp", "scoreMaximum"):
            kept.setdefault("extensions", {})[key] = value
    return user_id, timestamp, kept


def _injected_failure(item_id: int) -> Response | None:
    with store.connect(write=True) as con:
        fault = ags_faults.take_fault(con, item_id)
    if fault is None:
        return None
    if fault.kind == "429":
        response = problem(429, "rate_limited", "the sandbox was told to refuse (429)")
        response.headers["Retry-After"] = str(fault.retry_after)
        return response
    if fault.kind == "hang":
        time.sleep(fault.hang_seconds)  # longer than the tool waits: it meets a timeout
        return problem(504, "timeout", "the sandbox was told to hang")
    return problem(500, "server_error", "the sandbox was told to fail (500)")


@bp.route("/ags/<course_id>/lineitems/<int:item_id>/scores", methods=["POST"])
@csrf.exempt
@public
def scores(course_id: str, item_id: int) -> Any:
    failure = _injected_failure(item_id)
    if failure is not None:
        return failure
    college = _access(course_id, SCORE_SCOPE)
    if isinstance(college, Response):
        return college
    if request.mimetype not in (SCORE_TYPE, "application/json"):
        return problem(415, "unsupported_media_type", f"send {SCORE_TYPE}")
    try:
        user_id, timestamp, kept = score_fields(_body(), member_ids(college))
    except Invalid as exc:
        current_app.logger.info("sandbox score refused: %s", exc)
        return problem(400, "invalid_request", str(exc))
    with store.connect(write=True) as con:
        if store.line_item(con, course_id, item_id) is None:
            return problem(404, "not_found", "no such line item")
        store.record_score(con, item_id, user_id, timestamp, kept)
    return Response(status=204)


def result_json(item: store.LineItem, score: store.Score) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": f"{lineitem_url(item)}/results/{score.user_id}",
        "scoreOf": lineitem_url(item),
        "userId": score.user_id,
        "resultMaximum": item.score_maximum,
    }
    given = score.body.get("scoreGiven")
    if given is not None and score.body.get("gradingProgress") == "FullyGraded":
        # The gradebook holds the score on the line item's own scale.
        body["resultScore"] = given * item.score_maximum / score.body["scoreMaximum"]
    if score.body.get("comment"):
        body["comment"] = score.body["comment"]
    return body


@bp.route("/ags/<course_id>/lineitems/<int:item_id>/results")
@public
def results(course_id: str, item_id: int) -> Any:
    college = _access(course_id, RESULT_READ)
    if isinstance(college, Response):
        return college
    user_id = request.args.get("user_id")
    with store.connect() as con:
        item = store.line_item(con, course_id, item_id)
        if item is None:
            return problem(404, "not_found", "no such line item")
        found = store.scores(con, course_id, item_id, user_id)
    query = {"user_id": user_id} if user_id else {}
    try:
        page, next_url = _page(found, f"{lineitem_url(item)}/results", query)
    except Invalid as exc:
        return problem(400, "invalid_request", str(exc))
    return _paged([result_json(item, s) for s in page], RESULTS_TYPE, next_url)
