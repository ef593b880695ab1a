"""The sandbox LMS's content picker: receiving the tool's deep-linking response (LTI DL 2.0 §4.2,
https://www.imsglobal.org/spec/lti-dl/v2p0) and placing what it returns in the course.

The coach's "add content" button starts a deep-linking launch (``messages``); the tool answers
by posting a signed ``LtiDeepLinkingResponse`` to ``/sandbox/deep-link-return``. We check it as
an LMS must: the tool's signature (its published JWKS), ``iss`` one of our client ids and
``aud`` us, the deployment, the message type and version, and the request's ``data`` echoed
(signed by us, so we know the course, and spent here: a response is taken once). Each
``ltiResourceLink`` becomes a course link (title, url, custom parameters, a resource link id
we assign); one that carries a ``lineItem`` gets its gradebook column at once, bound to the new
link (DL 2.0 §3.1.2.1). Anything wrong refuses the whole response and stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
from flask import current_app, render_template, request, url_for
from flask_babel import ngettext

from lti_app.extensions import csrf
from lti_app.sandbox import ags_store as store
from lti_app.sandbox import messages, platform
from lti_app.sandbox.blueprint import bp
from lti_app.sandbox.demo import DemoCollege, college_with_client
from lti_app.security import public

CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"


class Refused(Exception):
    """A deep-linking response the sandbox does not take, with the reason."""


@dataclass(frozen=True)
class NewLink:
    title: str
    url: str
    custom: dict[str, str]
    line_item: dict[str, Any] | None


@dataclass(frozen=True)
class CourseLink:
    """A link on the course page: what it is, its gradebook column, the hint that opens it."""

    link: store.Link
    line_item: store.LineItem | None
    hint: str


def course_links(college: DemoCollege) -> list[CourseLink]:
    with store.connect() as con:
        found = store.links(con, college.course["id"])
        items = store.line_items(con, college.course["id"])
    by_link = {i.resource_link_id: i for i in reversed(items) if i.resource_link_id}
    return [
        CourseLink(link, by_link.get(link.id), platform.message_hint("resource", link=link.id))
        for link in found
    ]


def verify_response(token: str) -> tuple[DemoCollege, dict[str, Any]]:
    """The college a response is for and its claims, if the tool signed it for a request of ours."""
    try:
        client = jwt.PyJWKClient(
            str(current_app.config["BASE_URL"]) + "/.well-known/jwks.json",
            timeout=current_app.config["HTTP_TIMEOUT_SECONDS"],
        )
        key = client.get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            audience=platform.issuer(),
            leeway=30,
            options={"require": ["iss", "aud", "exp", "iat", "nonce"]},
        )
    except jwt.PyJWTError as exc:
        raise Refused(str(exc)) from exc
    college = college_with_client(str(claims["iss"]))
    if college is None:
        raise Refused("iss is not one of the sandbox's client ids")
    if claims.get(platform.CLAIM + "deployment_id") != college.deployment_id:
        raise Refused("deployment_id is not the registration's deployment")
    if claims.get(platform.CLAIM + "message_type") != "LtiDeepLinkingResponse":
        raise Refused("message_type must be LtiDeepLinkingResponse")
    if claims.get(platform.CLAIM + "version") != "1.3.0":
        raise Refused("version must be 1.3.0")
    data = messages.read_dl_data(claims.get(DATA))
    if data is None or data.get("course") != college.course["id"]:
        raise Refused("the data claim does not return a deep-linking request of this course")
    return college, claims


def new_links(claims: dict[str, Any]) -> list[NewLink]:
    """The response's content items, checked: only ``ltiResourceLink`` is accepted here."""
    items = claims.get(CONTENT_ITEMS, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise Refused("content_items must be a list of objects")
    found = []
    for n, item in enumerate(items, 1):
        if item.get("type") != "ltiResourceLink":
            raise Refused(f"item {n}: only ltiResourceLink is accepted, not {item.get('type')!r}")
        title = item.get("title") or "Driehoek"
        url = item.get("url") or platform.tool_launch_url()
        custom = item.get("custom") or {}
        if not isinstance(title, str) or not isinstance(url, str):
            raise Refused(f"item {n}: title and url must be strings")
        if not url.startswith(("https://", "http://")):
            raise Refused(f"item {n}: url must be an http(s) URL")
        if not isinstance(custom, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in custom.items()
        ):
            raise Refused(f"item {n}: custom must map names to strings")
        found.append(NewLink(title[:200], url, custom, _line_item(n, item.get("lineItem"), title)))
    return found


def _line_item(n: int, given: Any, title: str) -> dict[str, Any] | None:
    if given is None:
        return None
    maximum = given.get("scoreMaximum") if isinstance(given, dict) else None
    if isinstance(maximum, bool) or not isinstance(maximum, int | float) or maximum <= 0:
        raise Refused(f"item {n}: lineItem.scoreMaximum must be a number above 0")
    assert isinstance(given, dict)
    fields = {k: given.get(k) or "" for k in ("label", "resourceId", "tag")}
    if not all(isinstance(v, str) for v in fields.values()):
        raise Refused(f"item {n}: lineItem label, resourceId and tag must be strings")
    return {
        "label": fields["label"] or title,
        "score_maximum": float(maximum),
        "resource_id": fields["resourceId"],
        "tag": fields["tag"],
        "extra": {k: given[k] for k in ("gradesReleased",) if k in given},
    }


def place(college: DemoCollege, claims: dict[str, Any], links: list[NewLink]) -> None:
    """Store the links (and their line items), once per deep-linking request."""
    data = messages.read_dl_data(claims.get(DATA)) or {}
    course_id = college.course["id"]
    with store.connect(write=True) as con:
        if not store.spend(con, "dl:" + str(data.get("dl"))):
            raise Refused("this deep-linking request was answered before")
        for new in links:
            link = store.add_link(con, course_id, new.title, new.url, new.custom)
            if new.line_item is not None:
                store.add_line_item(con, course_id, resource_link_id=link.id, **new.line_item)


@bp.route("/deep-link-return", methods=["POST"])
@csrf.exempt
@public
def deep_link_return() -> Any:
    """Receives the tool's LtiDeepLinkingResponse, checks it and places its links."""
    try:
        college, claims = verify_response(request.form.get("JWT", ""))
        links = new_links(claims)
        place(college, claims, links)
    except Refused as exc:
        current_app.logger.info("sandbox deep-linking response refused: %s", exc)
        return render_template(
            "sandbox/error.html", error=f"deep-linking response rejected: {exc}"
        ), 400
    message = ngettext(
        "%(num)d link was added to the course.",
        "%(num)d links were added to the course.",
        len(links),
    )
    # The response arrives inside the tool's frame; the LMS page itself must reload.
    target = url_for("sandbox.course", message=message)
    return render_template("sandbox/returned.html", target=target)
