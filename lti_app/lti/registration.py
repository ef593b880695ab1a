"""Registering Driehoek with a platform: by hand (CLI), by LTI Dynamic Registration, for Canvas.

Dynamic registration (https://www.imsglobal.org/spec/lti-dr/v1p0):
1. The LMS administrator pastes ``{BASE_URL}/lti/register`` into the LMS; the LMS opens it with
   ``openid_configuration`` (a URL) and an optional ``registration_token``.
2. We read the platform's OpenID configuration and check its issuer (DR §3.5.1).
3. We POST our tool configuration to its ``registration_endpoint`` with the token as bearer.
4. The platform answers with our ``client_id`` (and a deployment id); we store the registration
   and the page posts ``org.imsglobal.lti.close`` to the LMS window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.colleges.models import College
from lti_app.colleges.service import CollegeError, college_named
from lti_app.lti.models import Deployment, Platform

SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"


class RegistrationError(Exception):
    """A registration could not be made; the message says why, for the administrator."""


@dataclass(frozen=True)
class ToolUrls:
    base: str

    @property
    def login(self) -> str:
        return self.base + "/lti/login"

    @property
    def launch(self) -> str:
        return self.base + "/lti/launch"

    @property
    def jwks(self) -> str:
        return self.base + "/.well-known/jwks.json"

    @property
    def domain(self) -> str:
        return urlsplit(self.base).netloc


def add_platform(
    session: Session,
    *,
    issuer: str,
    client_id: str,
    deployment_ids: Sequence[str],
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    auth_audience: str | None = None,
    name: str | None = None,
    source: str = "cli",
    college: College | None = None,
) -> Platform:
    """Create the registration, or update it when issuer + client id exist; add deployments.

    ``college`` owns it (default: the installation's only college, made from ``COLLEGE_NAME``
    when there is none yet). A registration of one college is never moved to another.

    :raise RegistrationError: a URL or the client id is not usable, or the registration is
        another college's.
    """
    for label, url in (
        ("issuer", issuer),
        ("auth login URL", auth_login_url),
        ("auth token URL", auth_token_url),
        ("key set URL", key_set_url),
    ):
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise RegistrationError(f"The {label} must be an http(s) URL, not {url!r}.")
    if not client_id.strip():
        raise RegistrationError("The client id may not be empty.")
    platform = session.scalars(
        select(Platform).where(Platform.issuer == issuer, Platform.client_id == client_id)
    ).first()
    if college is None:
        try:
            college = college_named(session, None, _default_college_name())
        except CollegeError as exc:
            raise RegistrationError(str(exc)) from exc
    if platform is None:
        platform = Platform(issuer=issuer, client_id=client_id, source=source, college=college)
        session.add(platform)
    elif platform.college_id != college.id:
        raise RegistrationError(
            "This platform and client id are registered for another college already."
        )
    platform.name = name or platform.name or urlsplit(issuer).netloc
    platform.auth_login_url = auth_login_url
    platform.auth_token_url = auth_token_url
    platform.key_set_url = key_set_url
    platform.auth_audience = auth_audience
    session.flush()
    known = {d.deployment_id for d in platform.deployments}
    for deployment_id in deployment_ids:
        if deployment_id and deployment_id not in known:
            platform.deployments.append(Deployment(deployment_id=deployment_id))
            known.add(deployment_id)
    session.flush()
    return platform


def _default_college_name() -> str:
    return str(current_app.config.get("COLLEGE_NAME") or "") if has_app_context() else ""


def list_platforms(session: Session, college_id: int | None = None) -> list[Platform]:
    """Every registration (the operator's view), or one college's."""
    statement = select(Platform).order_by(Platform.name, Platform.id)
    if college_id is not None:
        statement = statement.where(Platform.college_id == college_id)
    return list(session.scalars(statement))


def tool_configuration(urls: ToolUrls, title: str) -> dict[str, Any]:
    """Our client registration request (DR §3.3.1), with the LTI tool configuration claim."""
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": urls.login,
        "redirect_uris": [urls.launch],
        "client_name": title,
        "jwks_uri": urls.jwks,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        TOOL_CONFIGURATION: {
            "domain": urls.domain,
            "target_link_uri": urls.launch,
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email", "locale"],
            "messages": [
                {"type": "LtiResourceLinkRequest", "target_link_uri": urls.launch},
                {
                    "type": "LtiDeepLinkingRequest",
                    "target_link_uri": urls.launch,
                    "label": title,
                    "placements": ["ContentArea", "link_selection", "assignment_selection"],
                },
            ],
        },
    }


def dynamic_register(
    session: Session,
    http: requests.Session,
    urls: ToolUrls,
    openid_configuration_url: str,
    registration_token: str | None,
    title: str,
    require_https: bool,
    college: College | None = None,
) -> Platform:
    """Run steps 2–4 of dynamic registration, for ``college`` (its invitation's).

    :raise RegistrationError: the configuration cannot be read or is inconsistent, or the platform
        refused the registration.
    """
    parts = urlsplit(openid_configuration_url or "")
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise RegistrationError("The platform sent no valid openid_configuration URL.")
    if require_https and parts.scheme != "https":
        raise RegistrationError("The platform's configuration URL must use https.")
    try:
        response = http.get(openid_configuration_url)
        response.raise_for_status()
        config = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise RegistrationError(f"The platform's configuration could not be read ({exc}).") from exc
    if not isinstance(config, dict):
        raise RegistrationError("The platform's configuration is not a JSON object.")
    issuer = config.get("issuer")
    if not isinstance(issuer, str) or not _issuer_matches(issuer, openid_configuration_url):
        raise RegistrationError("The platform's issuer does not match its configuration URL.")
    needed = ("registration_endpoint", "authorization_endpoint", "token_endpoint", "jwks_uri")
    missing = [k for k in needed if not isinstance(config.get(k), str)]
    if missing:
        raise RegistrationError("The platform's configuration lacks " + ", ".join(missing) + ".")
    headers = {"Content-Type": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    try:
        answer = http.post(
            config["registration_endpoint"],
            json=tool_configuration(urls, title),
            headers=headers,
        )
    except requests.RequestException as exc:
        raise RegistrationError(f"The platform could not be reached ({exc}).") from exc
    if answer.status_code >= 400:
        detail = answer.text[:300]
        raise RegistrationError(
            f"The platform refused the registration (HTTP {answer.status_code}): {detail}"
        )
    try:
        registered = answer.json()
    except ValueError as exc:
        raise RegistrationError("The platform's answer is not JSON.") from exc
    client_id = registered.get("client_id") if isinstance(registered, dict) else None
    if not isinstance(client_id, str) or not client_id:
        raise RegistrationError("The platform's answer has no client_id.")
    lti_config = registered.get(TOOL_CONFIGURATION) or {}
    deployment_id = lti_config.get("deployment_id") if isinstance(lti_config, dict) else None
    platform_config = config.get("https://purl.imsglobal.org/spec/lti-platform-configuration")
    name = None
    if isinstance(platform_config, dict) and isinstance(
        platform_config.get("product_family_code"), str
    ):
        name = f"{platform_config['product_family_code']} ({urlsplit(issuer).netloc})"
    return add_platform(
        session,
        issuer=issuer,
        client_id=client_id,
        deployment_ids=[deployment_id] if isinstance(deployment_id, str) else [],
        auth_login_url=config["authorization_endpoint"],
        auth_token_url=config["token_endpoint"],
        key_set_url=config["jwks_uri"],
        auth_audience=config.get("authorization_server")
        if isinstance(config.get("authorization_server"), str)
        else None,
        name=name,
        source="dynamic",
        college=college,
    )


def _issuer_matches(issuer: str, configuration_url: str) -> bool:
    """DR §3.5.1: the configuration URL must begin with the issuer.

    Compared as URLs, not as strings: ``https://lms.example`` is a string prefix of
    ``https://lms.example.evil.test/…`` too, and a configuration served from there must not
    register an issuer it does not control.
    """
    iss, conf = urlsplit(issuer), urlsplit(configuration_url)
    if iss.query or iss.fragment:
        return False
    if (iss.scheme.lower(), iss.netloc.lower()) != (conf.scheme.lower(), conf.netloc.lower()):
        return False
    path = iss.path.rstrip("/")
    return conf.path == path or conf.path.startswith(path + "/")


def canvas_configuration(urls: ToolUrls, title: str, description: str) -> dict[str, Any]:
    """The JSON a Canvas administrator pastes into a new LTI developer key."""
    return {
        "title": title,
        "description": description,
        "oidc_initiation_url": urls.login,
        "target_link_uri": urls.launch,
        "public_jwk_url": urls.jwks,
        "scopes": list(SCOPES),
        "extensions": [
            {
                "domain": urls.domain,
                "tool_id": "driehoek",
                "platform": "canvas.instructure.com",
                "privacy_level": "public",
                "settings": {
                    "text": title,
                    "placements": [
                        {
                            "placement": "course_navigation",
                            "message_type": "LtiResourceLinkRequest",
                            "target_link_uri": urls.launch,
                            "text": title,
                        },
                        {
                            "placement": "link_selection",
                            "message_type": "LtiDeepLinkingRequest",
                            "target_link_uri": urls.launch,
                        },
                        {
                            "placement": "assignment_selection",
                            "message_type": "LtiDeepLinkingRequest",
                            "target_link_uri": urls.launch,
                        },
                    ],
                },
            }
        ],
        "custom_fields": {"canvas_course_id": "$Canvas.course.id"},
    }
