"""An LMS gradebook for tests: LTI Assignment and Grade Services as routes of a TestLMS.

lti1p3platform (which the tool did not write) answers the token endpoint and checks the bearer
tokens; the line items container (GET with filters, POST to create) and each line item's scores
endpoint are ours, over the TestLMS's real HTTP server. Every score received is recorded, and a
script of faults replaces the next answers of the scores endpoint: an HTTP status (500, 429 with
a Retry-After, …) or a hang longer than the tool's timeout (after which the platform never
applies the score, like a gateway that gave up before the gradebook saw it).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import jwt
from lti1p3platform.exceptions import LtiException

from tests.lms import TestLMS

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
READONLY_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"

Answer = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True)
class Fault:
    """What the scores endpoint answers instead of taking a score."""

    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    hang_seconds: float = 0.0  # > 0: say nothing that long, then drop the request

    @classmethod
    def hang(cls, seconds: float) -> Fault:
        return cls(status=504, hang_seconds=seconds)

    @classmethod
    def too_many(cls, retry_after: str) -> Fault:
        return cls(status=429, headers={"Retry-After": retry_after})


@dataclass
class Received:
    line_item: str  # the line item's URL
    score: dict[str, Any]
    content_type: str


@dataclass
class AgsPlatform:
    """The gradebook of the TestLMS's course-1 (its launches name /ags/course-1/lineitems)."""

    lms: TestLMS
    context: str = "course-1"
    line_items: list[dict[str, Any]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (status, path) answered
    token_requests: int = 0
    page_size: int = 2
    container_requests: int = 0
    # Answer a score POST with this status and body (e.g. 400 for an unknown user) for good.
    refuse_scores: Answer | None = None
    delay: float = 0.0  # seconds each score takes to be applied (sends in flight overlap)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.lms.routes["/token"] = self._token
        self.lms.routes[self.container_path] = self._container

    @property
    def container_path(self) -> str:
        return f"/ags/{self.context}/lineitems"

    @property
    def container_url(self) -> str:
        return self.lms.url(self.container_path)

    # -- what a test looks at ------------------------------------------------------------------
    def add_line_item(self, **fields: Any) -> str:
        """A column the LMS made itself (a teacher, deep linking): its URL."""
        with self._lock:
            n = len(self.line_items) + 1
            path = f"{self.container_path}/{n}"
            item = {"id": self.lms.url(path), "scoreMaximum": 20, "label": f"Column {n}", **fields}
            self.line_items.append(item)
            self.lms.routes[path] = self._line_item
            self.lms.routes[path + "/scores"] = self._scores_of(str(item["id"]))
        return str(item["id"])

    def gradebook(self) -> dict[tuple[str, str], dict[str, Any]]:
        """(line item URL, userId) → the score the gradebook shows: the one with the latest
        timestamp, as AGS §3.4.7 says a platform keeps."""
        book: dict[tuple[str, str], dict[str, Any]] = {}
        for r in self.received:
            key = (r.line_item, r.score["userId"])
            if key not in book or r.score["timestamp"] > book[key]["timestamp"]:
                book[key] = r.score
        return book

    def scores_for(self, user_id: str) -> list[dict[str, Any]]:
        return [r.score for r in self.received if r.score["userId"] == user_id]

    # -- routes --------------------------------------------------------------------------------
    def _token(
        self, method: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> Answer:
        self.token_requests += 1
        form = dict(parse_qsl(body.decode()))
        try:
            answer = self.lms.config.get_access_token(form)
        except (LtiException, jwt.PyJWTError, KeyError) as exc:
            return _json(401, {"error": "invalid_client", "error_description": str(exc)[:100]})
        return _json(200, answer)

    def _authorized(self, headers: dict[str, str], *scopes: str) -> bool:
        value = headers.get("Authorization", "")
        if not value.startswith("Bearer "):
            return False
        try:
            claims = jwt.decode(
                value[7:],
                self.lms.registration.get_platform_public_key(),
                algorithms=["RS256"],
                options={"verify_aud": False},
            )
        except jwt.PyJWTError:
            return False
        granted = str(claims.get("scopes", "")).split()
        return any(s in granted for s in scopes)

    def _container(
        self, method: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> Answer:
        if method == "POST":
            if not self._authorized(headers, LINEITEM_SCOPE):
                return _json(401, {"error": "unauthorized"})
            if headers.get("Content-Type", "").split(";")[0] != LINEITEM_TYPE:
                return _json(415, {"error": "unsupported media type"})
            fields = json.loads(body)
            url = self.add_line_item(**{k: v for k, v in fields.items() if k != "id"})
            created = next(i for i in self.line_items if i["id"] == url)
            return 201, {"Content-Type": LINEITEM_TYPE}, json.dumps(created).encode()
        if not self._authorized(headers, LINEITEM_SCOPE, READONLY_SCOPE):
            return _json(401, {"error": "unauthorized"})
        self.container_requests += 1
        filters = {"resource_link_id": "resourceLinkId", "resource_id": "resourceId", "tag": "tag"}
        items = [
            i
            for i in self.line_items
            if all(i.get(f) == query[q] for q, f in filters.items() if q in query)
        ]
        page = int(query.get("page", "1"))
        chunk = items[(page - 1) * self.page_size : page * self.page_size]
        out = {"Content-Type": CONTAINER_TYPE}
        if page * self.page_size < len(items):
            rest = {**query, "page": str(page + 1)}
            link = self.container_url + "?" + "&".join(f"{k}={v}" for k, v in rest.items())
            out["Link"] = f'<{link}>; rel="next"'
        return 200, out, json.dumps(chunk).encode()

    def _line_item(
        self, method: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> Answer:
        return _json(405, {"error": "only scores are posted here"})

    def _scores_of(self, line_item: str) -> Any:
        def scores(
            method: str, query: dict[str, str], body: bytes, headers: dict[str, str]
        ) -> Answer:
            with self._lock:
                fault = self.faults.pop(0) if self.faults else None
            if fault is not None:
                self.refused.append((fault.status, line_item))
                if fault.hang_seconds:
                    time.sleep(fault.hang_seconds)
                return fault.status, {"Content-Type": "application/json", **fault.headers}, b"{}"
            if self.refuse_scores is not None:
                return self.refuse_scores
            if method != "POST" or not self._authorized(headers, SCORE_SCOPE):
                return _json(401, {"error": "unauthorized"})
            time.sleep(self.delay)
            received = Received(line_item, json.loads(body), headers.get("Content-Type", ""))
            with self._lock:
                self.received.append(received)
            return 204, {}, b""

        return scores


def _json(status: int, body: Any) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()
