"""Asking the LMS who is in a course (LTI Names and Role Provisioning Services 2.0).

``fetch_members`` walks the membership container page by page and turns each member into an
``NrpsMember``; writing them is ``service.sync_roster``'s job. Nothing here reads or writes the
database. https://www.imsglobal.org/spec/lti-nrps/v2p0#membership-container-media-type
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from lti_app.lti.services import LtiServiceError, LtiServices, ServiceFailure
from lti_app.roster.models import Course, Role
from lti_app.roster.roles import map_roles

# A platform whose Link header points back at a page already read would loop forever.
MAX_PAGES = 2000
# Asked of the platform (NRPS 2.0 §2.4.2), which may give fewer. Some platforms page by 10
# unless asked, so a course of 300 would otherwise take 30 round trips.
PAGE_LIMIT = 500
MAX_SUB = 255  # Person.sub's length: a longer user_id cannot be stored, so it is skipped


@dataclass(frozen=True)
class NrpsMember:
    """One member as the platform lists it, reduced to what Driehoek keeps."""

    user_id: str
    role: Role
    lti_roles: tuple[str, ...]
    active: bool
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""


@dataclass(frozen=True)
class MemberPage:
    members: list[NrpsMember]
    skipped: int  # listed, but without a usable user_id or a role Driehoek knows


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def parse_member(raw: Any) -> NrpsMember | None:
    """An ``NrpsMember``, or None for an entry Driehoek cannot use.

    Unusable: no ``user_id``, or roles that give no Driehoek role (an LMS observer or parent,
    who is not a school mentor). ``status`` is ``Active`` when absent (NRPS 2.0 §2.3);
    ``Inactive`` and ``Deleted`` both mean the person is no longer active in the course.
    The picture is not kept.
    """
    if not isinstance(raw, Mapping):
        return None
    user_id = raw.get("user_id")
    if not isinstance(user_id, str) or not user_id or len(user_id) > MAX_SUB or "\x00" in user_id:
        return None
    roles = raw.get("roles")
    role = map_roles(roles)
    if role is None:
        return None
    status = raw.get("status", "Active")
    return NrpsMember(
        user_id=user_id,
        role=role,
        lti_roles=tuple(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else (),
        active=not isinstance(status, str) or status.strip().lower() not in {"inactive", "deleted"},
        name=_text(raw.get("name"), 300),
        given_name=_text(raw.get("given_name"), 200),
        family_name=_text(raw.get("family_name"), 200),
        email=_text(raw.get("email"), 320),
    )


def fetch_members(client: LtiServices, course: Course) -> Iterator[MemberPage]:
    """Ask the LMS for the course's members, one page at a time.

    :raise LtiServiceError: the course has no NRPS URL (no launch carried the claim), a page
        could not be had, or the pages loop.
    """
    url = course.nrps_url
    if not url:
        raise LtiServiceError(
            ServiceFailure.NOT_OFFERED, f"course {course.id} has no NRPS URL from a launch"
        )
    url = with_limit(url, PAGE_LIMIT)
    seen: set[str] = set()
    while url is not None:
        if url in seen or len(seen) >= MAX_PAGES:
            raise LtiServiceError(ServiceFailure.BAD_RESPONSE, "membership pages loop")
        seen.add(url)
        page = client.get_memberships_page(url)
        members = [parse_member(m) for m in page.members]
        usable = [m for m in members if m is not None]
        yield MemberPage(usable, skipped=len(members) - len(usable))
        url = page.next_url


def with_limit(url: str, limit: int) -> str:
    """``url`` asking for ``limit`` members a page, unless it already asks for a number."""
    parts = urlsplit(url)
    if any(key == "limit" for key, _ in parse_qsl(parts.query, keep_blank_values=True)):
        return url
    # Appended as text: re-encoding the platform's own query could change what it means.
    base, hash_, fragment = url.partition("#")
    return f"{base}{'&' if parts.query else '?'}limit={limit}{hash_}{fragment}"
