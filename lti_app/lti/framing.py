"""Who may frame Driehoek's pages (CSP ``frame-ancestors``), and which pages are kept from caches.

- Pages reached through a launch are framed by the LMS: only by the platforms of the signed-in
  person's college. A platform's page origin is learnt from the ``Origin`` of its launch POSTs
  (the browser sets it; the launch's signed token proves the platform sent it), plus its issuer's
  and login URL's origins and those an operator adds (``platform add --frame-origin``).
- Guest pages (mentors, school contact persons), their sign-in pages and ``/verify`` are never
  framed: nobody embeds them, and a frame would only serve clickjacking.
- The LTI endpoints that run before anyone is signed in (login, the cookie check, launch errors,
  registration) hold no personal data and are opened by any registered LMS: framed by anyone.
- Every page shown to someone signed in is ``Cache-Control: no-store``: personal data stays out
  of shared and back-button caches.

A launch works out its college's origins once (``launch_frame_origins``) and keeps them in the
signed session, so the pages after it ask the database nothing for their header; an origin an
operator adds applies from the next launch on.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Response, request
from flask import session as browser_session
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lti_app.lti.known import KnownPlatform, Registrations
from lti_app.lti.models import Platform

MAX_ORIGINS = 20
_ORIGIN = re.compile(r"^https?://[a-z0-9.\-]+(:\d{1,5})?$")
NEVER_FRAMED_BLUEPRINTS = frozenset({"mentors", "verify"})


def origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of a URL, lower-cased; None when it is not an http(s) URL."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    origin = f"{parts.scheme}://{parts.hostname.lower()}"
    if parts.port:
        origin += f":{parts.port}"
    return origin if _ORIGIN.match(origin) else None


def learn_origin(platform: Platform, header: str | None) -> None:
    """Remember the page origin a verified launch of ``platform`` came from."""
    origin = origin_of(header) if header and header != "null" else None
    known = list(platform.origins or [])
    if origin is None or origin in known or len(known) >= MAX_ORIGINS:
        return
    platform.origins = [*known, origin]


FRAME_ORIGINS = "frame_origins"  # the session key


def launch_frame_origins(
    session: Session, registrations: Registrations, platform: KnownPlatform, header: str | None
) -> list[str]:
    """Learn the origin a verified launch of ``platform`` came from (writing only when it is
    new), and the origins that may frame the launched person's pages: their college's."""
    origin = origin_of(header) if header and header != "null" else None
    fresh = set()
    if (
        origin is not None
        and origin not in platform.origins
        and len(platform.origins) < MAX_ORIGINS
    ):
        row = session.get(Platform, platform.id)
        if row is not None:
            learn_origin(row, header)
            fresh = platform_origins(row)
    known = registrations.college_origins(session, platform.college_id, platform_origins)
    return sorted(set(known) | platform_origins(platform) | fresh)


def platform_origins(platform: Platform | KnownPlatform) -> set[str]:
    found = {o for o in (platform.origins or []) if _ORIGIN.match(o)}
    for url in (platform.issuer, platform.auth_login_url):
        origin = origin_of(url)
        if origin:
            found.add(origin)
    return found


def college_origins(session: Session, college_id: int) -> list[str]:
    platforms = session.scalars(select(Platform).where(Platform.college_id == college_id))
    return sorted(set().union(*(platform_origins(p) for p in platforms)))


def frame_ancestors(session: Session, college_id: int | None) -> str:
    """The ``frame-ancestors`` sources for this request."""
    blueprint = request.blueprint or ""
    guest = current_user.is_authenticated and str(current_user.get_id()).startswith(
        ("mentor:", "guest:")
    )
    if blueprint in NEVER_FRAMED_BLUEPRINTS or guest:
        return "'none'"
    if current_user.is_authenticated:
        kept = browser_session.get(FRAME_ORIGINS)
        if isinstance(kept, list):  # set at launch
            return " ".join(o for o in kept if isinstance(o, str) and _ORIGIN.match(o)) or "'none'"
        try:
            origins = college_origins(session, college_id) if college_id is not None else []
        except SQLAlchemyError:  # the database is down: the error page is framed by no one
            origins = []
        return " ".join(origins) or "'none'"
    return "*"


def protect(response: Response, session: Session, college_id: int | None) -> Response:
    """Set ``frame-ancestors`` in the response's CSP, and no-store for signed-in pages."""
    if request.blueprint == "sandbox" or request.endpoint == "static":
        return response  # the sandbox is an LMS of its own; static files hold nothing personal
    policy = response.headers.get("Content-Security-Policy", "")
    if "frame-ancestors" in policy:
        directives = [d.strip() for d in policy.split(";") if d.strip()]
        kept = [d for d in directives if not d.startswith("frame-ancestors")]
        kept.append(f"frame-ancestors {frame_ancestors(session, college_id)}")
        response.headers["Content-Security-Policy"] = "; ".join(kept)
    if current_user.is_authenticated and "no-store" not in response.headers.get(
        "Cache-Control", ""
    ):
        response.headers["Cache-Control"] = "private, no-store"
    return response
