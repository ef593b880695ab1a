"""The launches the sandbox LMS signs: what each message says (LTI 1.3 §5.3, §6).

- A resource-link launch (``LtiResourceLinkRequest``) of the course's first link or of a link
  the content picker added: its custom parameters, and the AGS endpoint claim (AGS 2.0 §3.1:
  ``lineitems``, ``scope``, and ``lineitem`` when the link has a line item).
- A deep-linking request (``LtiDeepLinkingRequest``, DL 2.0 §4.4): the coach's "add content",
  accepting several ``ltiResourceLink`` items with line items, returned to
  ``/sandbox/deep-link-return``; its ``data`` is signed here, so the response proves which
  request it answers (and is used once, see ``picker_views``).
- A submission review (``LtiSubmissionReviewRequest``, https://www.imsglobal.org/spec/lti-sr/v1p0):
  a coach opens one student's score from the gradebook; ``for_user`` names the student, the
  resource link and AGS claim (with ``lineitem``) name the column.

The login's ``lti_message_hint`` (signed, see ``platform.message_hint``) says which of these the
auth endpoint answers with.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from flask import current_app

from lti_app.sandbox import ags_store as store
from lti_app.sandbox import platform
from lti_app.sandbox.demo import MAIN, RESOURCE_LINK, DemoPerson, college_of, person

CLAIM = platform.CLAIM
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
FOR_USER = CLAIM + "for_user"
LAUNCH_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
DL_DATA_SECONDS = 3600


class UnknownTarget(Exception):
    """A hint naming a link, line item or student this course does not have (any more)."""


def base() -> str:
    return str(current_app.config["SANDBOX_URL"]) + "/sandbox"


def ags_claim(course_id: str, item: store.LineItem | None = None) -> dict[str, Any]:
    claim: dict[str, Any] = {
        "scope": list(LAUNCH_SCOPES),
        "lineitems": f"{base()}/ags/{course_id}/lineitems",
    }
    if item is not None:
        claim["lineitem"] = f"{claim['lineitems']}/{item.id}"
    return claim


def dl_data(course_id: str) -> str:
    """The deep-linking request's ``data``: which course, unique, signed by the sandbox."""
    return jwt.encode(
        {"course": course_id, "dl": uuid.uuid4().hex, "exp": int(time.time()) + DL_DATA_SECONDS},
        _data_secret(),
        algorithm="HS256",
    )


def read_dl_data(data: Any) -> dict[str, Any] | None:
    if not isinstance(data, str):
        return None
    try:
        claims: dict[str, Any] = jwt.decode(data, _data_secret(), algorithms=["HS256"])
    except jwt.InvalidTokenError:
        return None
    return claims


def _data_secret() -> str:
    return str(current_app.config["SECRET_KEY"]) + ":sandbox-dl-data"


def id_token(who: DemoPerson, nonce: str, hint: dict[str, Any]) -> str:
    """A signed launch for ``who``, as the hint asks for.

    :raise UnknownTarget: the hint names something the course no longer has.
    """
    claims = launch_claims(
        who,
        nonce,
        str(hint["kind"]),
        link_id=hint.get("link"),
        line_item_id=hint.get("line_item"),
        for_user=hint.get("for_user"),
    )
    return jwt.encode(
        claims, platform.private_key_pem(), algorithm="RS256", headers={"kid": platform.KID}
    )


def launch_claims(
    who: DemoPerson,
    nonce: str,
    kind: str = "resource",
    *,
    link_id: str | None = None,
    line_item_id: int | None = None,
    for_user: str | None = None,
) -> dict[str, Any]:
    """What a launch of ``who`` says (the demo states record their people with these)."""
    now = int(time.time())
    demo = college_of(who.id) or MAIN
    course = demo.course
    claims: dict[str, Any] = {
        "iss": platform.issuer(),
        "aud": demo.client_id,
        "azp": demo.client_id,
        "sub": who.id,
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
        "name": who.name,
        "given_name": who.given_name,
        "family_name": who.family_name,
        "email": who.email,
        CLAIM + "version": "1.3.0",
        CLAIM + "deployment_id": demo.deployment_id,
        CLAIM + "target_link_uri": platform.tool_launch_url(),
        CLAIM + "roles": list(who.roles),
        CLAIM + "context": {
            "id": course["id"],
            "title": course["title"],
            "label": course["label"],
            "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
        },
        CLAIM + "tool_platform": {
            "guid": "driehoek-sandbox",
            "name": "Sandbox LMS",
            "product_family_code": "driehoek-sandbox",
        },
        CLAIM + "launch_presentation": {"document_target": "iframe", "locale": who.locale},
    }
    if demo.offers_grades:
        claims[AGS_CLAIM] = ags_claim(course["id"])
    if demo.shares_roster:
        claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"] = {
            "context_memberships_url": f"{base()}/nrps/{course['id']}/memberships",
            "service_versions": ["2.0"],
        }
    custom: dict[str, str] = {"programme": demo.programme} if demo.programme else {}
    if kind == "deeplink":
        claims[CLAIM + "message_type"] = "LtiDeepLinkingRequest"
        claims[DL_SETTINGS] = {
            "deep_link_return_url": f"{base()}/deep-link-return",
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": True,
            "accept_lineitem": True,
            "data": dl_data(course["id"]),
        }
    elif kind == "review":
        _submission_review(claims, custom, course["id"], line_item_id, for_user)
    else:
        claims[CLAIM + "message_type"] = "LtiResourceLinkRequest"
        _resource_link(claims, custom, course["id"], link_id)
    if custom:
        claims[CLAIM + "custom"] = custom
    return claims


def _link_of(con: Any, course_id: str, link_id: str | None) -> store.Link:
    """A link of the course; None means the course's first link (Driehoek's overview)."""
    if link_id is None or link_id == RESOURCE_LINK["id"]:
        return store.Link(
            RESOURCE_LINK["id"], course_id, RESOURCE_LINK["title"], platform.tool_launch_url(), {}
        )
    found = store.link(con, link_id)
    if found is None or found.course_id != course_id:
        raise UnknownTarget(f"no link {link_id} in this course")
    return found


def _resource_link(
    claims: dict[str, Any], custom: dict[str, str], course_id: str, link_id: str | None
) -> None:
    with store.connect() as con:
        link = _link_of(con, course_id, link_id)
        items = store.line_items(con, course_id, resource_link_id=link.id)
    claims[CLAIM + "resource_link"] = {"id": link.id, "title": link.title}
    claims[CLAIM + "target_link_uri"] = link.url
    if AGS_CLAIM in claims:
        claims[AGS_CLAIM] = ags_claim(course_id, items[0] if items else None)
    custom.update(link.custom)


def _submission_review(
    claims: dict[str, Any],
    custom: dict[str, str],
    course_id: str,
    line_item_id: int | None,
    for_user: str | None,
) -> None:
    student = person(for_user or "") or next(
        (p for p in platform.ROSTER_STUDENTS if p.id == for_user), None
    )
    with store.connect() as con:
        item = store.line_item(con, course_id, int(line_item_id or 0))
        if item is None or student is None:
            raise UnknownTarget("no such line item or student in this course")
        link = _link_of(con, course_id, item.resource_link_id)
    review = item.extra.get("submissionReview")
    review = review if isinstance(review, dict) else {}
    claims[CLAIM + "message_type"] = "LtiSubmissionReviewRequest"
    claims[CLAIM + "resource_link"] = {"id": link.id, "title": link.title}
    claims[CLAIM + "target_link_uri"] = str(review.get("url") or link.url)
    claims[AGS_CLAIM] = ags_claim(course_id, item)
    claims[FOR_USER] = {
        "user_id": student.id,
        "name": student.name,
        "given_name": student.given_name,
        "family_name": student.family_name,
        "email": student.email,
        "roles": list(student.roles),
    }
    custom.update(link.custom)
    if isinstance(review.get("custom"), dict):
        custom.update({str(k): str(v) for k, v in review["custom"].items()})
