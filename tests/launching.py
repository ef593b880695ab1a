"""Driving a launch like a browser: login → platform auth → launch, through any HTTP client.

``FlaskBrowser`` wraps the Flask test client; ``HttpBrowser`` wraps requests against a real
server (gunicorn). Both keep cookies as a browser would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import requests
from flask.testing import FlaskClient

from tests.lms import Person, TestLMS


@dataclass
class Page:
    status: int
    headers: dict[str, str]
    text: str
    url: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class Browser(Protocol):
    base: str

    def get(
        self, url: str, params: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> Page: ...
    def post(
        self, url: str, data: dict[str, str], headers: dict[str, str] | None = None
    ) -> Page: ...


class FlaskBrowser:
    def __init__(self, client: FlaskClient, base: str = "http://tool.test"):
        self.client = client
        self.base = base

    def _path(self, url: str) -> str:
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def get(
        self, url: str, params: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> Page:
        r = self.client.get(self._path(url), query_string=params, headers=headers or {})
        return Page(r.status_code, dict(r.headers), r.get_data(as_text=True), url)

    def post(self, url: str, data: dict[str, str], headers: dict[str, str] | None = None) -> Page:
        r = self.client.post(self._path(url), data=data, headers=headers or {})
        return Page(r.status_code, dict(r.headers), r.get_data(as_text=True), url)


class HttpBrowser:
    def __init__(self, base: str, session: requests.Session | None = None):
        self.base = base
        self.session = session or requests.Session()

    def get(
        self, url: str, params: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> Page:
        r = self.session.get(url, params=params, headers=headers, allow_redirects=False, timeout=30)
        return Page(r.status_code, dict(r.headers), r.text, r.url)

    def post(self, url: str, data: dict[str, str], headers: dict[str, str] | None = None) -> Page:
        r = self.session.post(url, data=data, headers=headers, allow_redirects=False, timeout=30)
        return Page(r.status_code, dict(r.headers), r.text, r.url)


def login(
    browser: Browser, lms: TestLMS, person: Person, hint: str = "resource-link-1"
) -> dict[str, str]:
    """Start the OIDC login; return the query the tool sends to the platform's auth endpoint."""
    params = lms.login_params(person, hint)
    page = browser.get(browser.base + "/lti/login", params=params)
    assert page.status == 302, (page.status, page.text[:500])
    assert page.location.startswith(lms.url("/auth")), page.location
    return dict(parse_qsl(urlsplit(page.location).query))


def launch(
    browser: Browser,
    lms: TestLMS,
    person: Person,
    *,
    deep_link: bool = False,
    follow: bool = True,
    **authorize: Any,
) -> Page:
    """A complete launch; with ``follow`` the redirects after the launch are followed too."""
    auth_query = login(browser, lms, person)
    form = lms.authorize(auth_query, person, deep_link=deep_link, **authorize)
    page = browser.post(form["launch_url"], {"id_token": form["id_token"], "state": form["state"]})
    while follow and page.status in (302, 303) and page.location:
        target = page.location if page.location.startswith("http") else browser.base + page.location
        page = browser.get(target)
    return page
