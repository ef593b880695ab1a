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

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.colleges.models import College
from lti_app.colleges.service import CollegeError, college_named
from lti_app.lti import outbound
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

    @property
    def icon(self) -> str:
        return self.base + "/static/driehoek-icon.png"


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
            _l("This platform and client id are registered for another college already.")
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


# What an LMS shows teachers in its activity chooser (Moodle takes the tool configuration's
# description and the registration's logo_uri). Dutch: the product's first language.
DESCRIPTION = (
    "Stages in de lerarenopleiding: de stageovereenkomst tussen student, school en hogeschool, "
    "feedback van mentoren, reflectiejournalen en stage-uren, bij de cursus."
)


def tool_configuration(urls: ToolUrls, title: str) -> dict[str, Any]:
    """Our client registration request (DR §3.3.1), with the LTI tool configuration claim."""
    return {
        "logo_uri": urls.icon,
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
            "description": DESCRIPTION,
            "target_link_uri": urls.launch,
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email", "locale"],
            "messages": [
                {"type": "LtiResourceLinkRequest", "target_link_uri": urls.launch},
                {
                    "type": "LtiDeepLinkingRequest",
                    "target_link_uri": urls.launch,
                    "label": title,
                    "icon_uri": urls.icon,
                    "placements": ["ContentArea", "link_selection", "assignment_selection"],
                },
            ],
        },
    }


def dynamic_register(
    session: Session,
    http: outbound.OutboundSession,
    urls: ToolUrls,
    openid_configuration_url: str,
    registration_token: str | None,
    title: str,
    require_https: bool,
    college: College | None = None,
) -> Platform:
    """Run steps 2–4 of dynamic registration, for ``college`` (its invitation's).

    Every URL here comes from whoever opened ``/lti/register``: ``http`` (``lti.outbound``)
    fetches only what may be fetched, and no message repeats what the platform answered.

    :raise RegistrationError: the configuration cannot be read or is inconsistent, or the platform
        refused the registration; its message says why in words, for the administrator.
    """
    parts = urlsplit(openid_configuration_url or "")
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise RegistrationError(_l("The platform sent no valid openid_configuration URL."))
    if require_https and parts.scheme != "https":
        raise RegistrationError(_l("The platform's configuration URL must use https."))
    config = _read_configuration(http, openid_configuration_url)
    issuer = config.get("issuer")
    if not isinstance(issuer, str) or not _issuer_matches(issuer, openid_configuration_url):
        raise RegistrationError(_l("The platform's issuer does not match its configuration URL."))
    needed = ("registration_endpoint", "authorization_endpoint", "token_endpoint", "jwks_uri")
    missing = [k for k in needed if not isinstance(config.get(k), str)]
    if missing:
        raise RegistrationError(
            _l("The platform's configuration lacks %(fields)s.", fields=", ".join(missing))
        )
    for field in needed:
        try:
            http.policy.check_url(config[field])
        except outbound.OutboundError as exc:
            raise RegistrationError(
                _l(
                    "The platform's configuration gives an address for %(field)s that Driehoek "
                    "may not use: %(reason)s.",
                    field=field,
                    reason=exc.message,
                )
            ) from exc
    registered = _send_registration(
        http, config["registration_endpoint"], tool_configuration(urls, title), registration_token
    )
    client_id = registered.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise RegistrationError(_l("The platform's answer has no client_id."))
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


def _read_configuration(http: outbound.OutboundSession, url: str) -> dict[str, Any]:
    """Step 2: the platform's OpenID configuration, a JSON object (DR §3.4).

    :raise RegistrationError: refused, failed, not 2xx, or not a JSON object.
    """
    try:
        response = http.get(url)  # at most the session's MAX_DOCUMENT_BYTES
    except outbound.OutboundError as exc:
        raise RegistrationError(_unreadable(exc.message)) from exc
    if not 200 <= response.status_code < 300:
        raise RegistrationError(_unreadable(outbound.http_status_message(response.status_code)))
    try:
        config = response.json()
    except (ValueError, RecursionError) as exc:
        raise RegistrationError(_unreadable(outbound.NOT_JSON)) from exc
    if not isinstance(config, dict):
        raise RegistrationError(_l("The platform's configuration is not a JSON object."))
    return config


def _unreadable(reason: Any) -> Any:
    return _l("The platform's configuration could not be read: %(reason)s.", reason=reason)


def _send_registration(
    http: outbound.OutboundSession, endpoint: str, body: dict[str, Any], token: str | None
) -> dict[str, Any]:
    """Step 3: POST our configuration with the registration token; the platform's answer.

    Not redirected: the token goes only where the platform's configuration said.

    :raise RegistrationError: refused, failed, not 2xx, or not a JSON object.
    """
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        answer = http.post(
            endpoint,
            json=body,
            headers=headers,
            allow_redirects=False,
        )
    except outbound.OutboundError as exc:
        raise RegistrationError(
            _l("The platform could not be reached to register: %(reason)s.", reason=exc.message)
        ) from exc
    if not 200 <= answer.status_code < 300:
        # The body is not shown: it is the platform's (or whatever answered) to say, not ours.
        raise RegistrationError(
            _l(
                "The platform refused the registration (HTTP %(status)s).",
                status=answer.status_code,
            )
        )
    try:
        registered = answer.json()
    except (ValueError, RecursionError) as exc:
        raise RegistrationError(_l("The platform's answer is not valid JSON.")) from exc
    if not isinstance(registered, dict):
        raise RegistrationError(_l("The platform's answer is not a JSON object."))
    return registered


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
