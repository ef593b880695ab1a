"""Every pylti1p3 object is built here, and here pylti1p3's gaps are closed.

The flow (LTI 1.3 core §5.1.1, OIDC third-party initiated login,
https://www.imsglobal.org/spec/security/v1p0/#platform-originating-messages):

1. The platform sends the browser to ``/lti/login`` with ``iss``, ``login_hint``,
   ``target_link_uri`` (and usually ``client_id``, ``lti_message_hint``, ``lti_deployment_id``).
2. We find the registration, make a ``state`` (also set as a cookie in this browser) and a
   ``nonce``, store both server-side, and redirect to the platform's auth endpoint.
3. The platform posts an ``id_token`` (a JWT it signed) and the ``state`` to ``/lti/launch``.
4. We check the state against its cookie, the token's signature against the platform's JWKS,
   its claims, and spend the nonce — then the launch is ours to trust.

What pylti1p3 2.0.0 leaves open and this module closes:
- nonces were checked for existence, never spent: here a nonce is taken atomically, once, and must
  be the one issued with this very state;
- ``aud`` was not verified (``verify_aud: False``) and a list took its first entry as the client
  id: here ``aud`` must contain the client id, ``azp`` is required when ``aud`` holds several
  audiences and, when present, must be the client id (OIDC Core §3.1.3.7);
- ``iss``, ``aud`` and the state pick rows before the signature is checked: here a value that
  is no string, or holds a NUL (which PostgreSQL refuses), finds nothing instead of a 500;
- ``exp``/``iat`` are required and checked with a small leeway; only RSA signatures are accepted;
- the nonce was checked *before* the signature, so a forged token could burn a real nonce;
- every ``LtiException`` became a 500: here each failure becomes a typed ``LaunchError`` (4xx);
- its LtiSubmissionReviewRequest validator tests ``for_user`` and the AGS claim with ``in`` on
  whatever they are (a string holding "user_id" passes) and never asks for the resource link:
  here each must be the JSON object LTI SR 1.0 describes (``message_launch``);
- cookies lacked ``Partitioned``, so browsers blocking third-party cookies lost the state;
- key sets were fetched from any address, without a time or size limit, and an error answer
  was cached as the key set: here they come through ``lti.outbound``, and only a 2xx JSON
  object is kept.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from flask import Response, current_app, g
from flask import request as flask_request
from flask_babel import lazy_gettext as _l
from pylti1p3.contrib.flask import FlaskOIDCLogin
from pylti1p3.contrib.flask import FlaskRequest as _FlaskRequest
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.lineitem import LineItem as _LineItem
from sqlalchemy.orm import Session

from lti_app import db
from lti_app.errors import LaunchError
from lti_app.lti import keys, outbound, registration
from lti_app.lti.adapters import (
    KEY_SET_CACHE_SECONDS,
    CachedKeySets,
    DatabaseToolConf,
    PartitionedCookieService,
    SpendingSessionService,
    StoreLaunchData,
)
from lti_app.lti.message_launch import (
    DEPLOYMENT_ID,
    DL_SETTINGS,
    MESSAGE_TYPE,
    VERSION,
    HardenedMessageLaunch,
    same_origin,
)
from lti_app.lti.state import StateStore

MAX_ID_TOKEN_BYTES = 64 * 1024

# Claims copied from the login request, so a launch whose cookie was blocked can be redone
# in a new window (see views.continue_in_new_window).
LOGIN_PARAMS = (
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "client_id",
    "lti_deployment_id",
)


@dataclass(frozen=True)
class GradebookColumn:
    """The line item a content item asks the platform to create with its link (LTI DL 2.0
    §3.4.1 ``lineItem``; AGS 2.0 line item fields)."""

    label: str
    score_maximum: float
    resource_id: str
    tag: str
    # Submission Review (LTI SR 1.0): the platform may launch a coach back to a submission.
    reviewable_status: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContentItem:
    """One ``ltiResourceLink`` of a deep-linking response: it launches the tool with ``custom``."""

    title: str
    custom: Mapping[str, str] = field(default_factory=dict)
    line_item: GradebookColumn | None = None


class Tool:
    """Builds the pylti1p3 objects for one request: the only place that knows their wiring."""

    def __init__(self, session: Session, store: StateStore):
        config = current_app.config
        self._session = session
        self._config = DatabaseToolConf(session, current_app.extensions["registrations"])
        self._request = _FlaskRequest(request_is_secure=config["COOKIE_SECURE"])
        self._storage = StoreLaunchData(store, config["LAUNCH_STATE_TTL_SECONDS"])
        self._sessions = SpendingSessionService(
            self._request, self._storage, config["LAUNCH_STATE_TTL_SECONDS"]
        )
        self._cookies = PartitionedCookieService(
            self._request, config["COOKIE_SECURE"], config["LAUNCH_STATE_TTL_SECONDS"]
        )
        self._http = _KeySetFetcher(config)

    @property
    def tool_conf(self) -> DatabaseToolConf:
        return self._config

    def login(self, launch_url: str) -> Response:
        """Answer a login initiation with the redirect to the platform's auth endpoint.

        :raise LaunchError: unknown issuer or client, or a request missing what OIDC needs.
        """
        params = {k: flask_request.values.get(k) for k in LOGIN_PARAMS}
        if not params["iss"] or not params["login_hint"] or not params["target_link_uri"]:
            raise LaunchError("login without iss, login_hint or target_link_uri", _INCOMPLETE)
        if not same_origin(str(params["target_link_uri"]), current_app.config["BASE_URL"]):
            raise LaunchError("login target_link_uri is not this tool", _INCOMPLETE)
        if self._config.platform(str(params["iss"]), params["client_id"]) is None:
            raise LaunchError("login from an unknown issuer or client id", _UNKNOWN_PLATFORM)
        oidc = FlaskOIDCLogin(
            self._request,
            self._config,
            session_service=self._sessions,
            cookie_service=self._cookies,
        )
        oidc.pass_params_to_launch({k: v for k, v in params.items() if v})
        try:
            response: Response = oidc.redirect(launch_url)
        except OIDCException as exc:
            raise LaunchError(f"login refused: {exc}", _UNKNOWN_PLATFORM) from exc
        return response

    def launch(self) -> HardenedMessageLaunch:
        """Validate the launch posted by the platform.

        :raise LaunchError: for every reason a launch is refused; nothing has been written.
        """
        token = flask_request.form.get("id_token", "")
        if not token:
            raise LaunchError("launch without id_token", _INCOMPLETE)
        if len(token) > MAX_ID_TOKEN_BYTES:
            raise LaunchError(f"id_token of {len(token)} bytes is too large")
        launch = HardenedMessageLaunch(
            self._request,
            self._config,
            session_service=self._sessions,
            cookie_service=self._cookies,
            requests_session=self._http,
            leeway=current_app.config["LAUNCH_LEEWAY_SECONDS"],
        )
        launch.set_public_key_caching(CachedKeySets(), KEY_SET_CACHE_SECONDS)
        try:
            launch.validate()
        except LaunchError:
            raise
        except LtiException as exc:
            raise LaunchError(f"launch refused: {exc}", _refusal_message(str(exc))) from exc
        except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError) as exc:
            raise LaunchError(f"malformed launch: {type(exc).__name__}") from exc
        return launch

    def login_params(self, state: str) -> Mapping[str, Any] | None:
        result: Mapping[str, Any] | None = self._sessions.get_state_params(state)
        return result

    def deep_link_request(self, launch_id: str | None) -> dict[str, Any] | None:
        """The claims of this session's deep-linking launch, while it can still be answered."""
        if not launch_id:
            return None
        # pylti1p3 stores a validated launch's claims under its launch id ("lti1p3-launch-…");
        # only deep-linking launches are stored (HardenedMessageLaunch.save_launch_data).
        data = current_app.extensions["state_store"].get(launch_id)
        if not isinstance(data, dict) or data.get(MESSAGE_TYPE) != "LtiDeepLinkingRequest":
            return None
        return data

    def deep_link_response(
        self, launch_data: Mapping[str, Any], items: list[ContentItem]
    ) -> tuple[str, str]:
        """The signed LtiDeepLinkingResponse JWT and the URL to post it to (LTI DL 2.0 §4.2)."""
        settings = launch_data[DL_SETTINGS]
        platform = self._config.platform(
            launch_data["iss"], launch_data.get("azp") or _aud(launch_data)
        )
        if platform is None:
            raise LaunchError("deep link for a registration that no longer exists")
        now = int(time.time())
        message: dict[str, Any] = {
            "iss": platform.client_id,
            "aud": platform.issuer,
            "iat": now,
            "exp": now + 600,
            # Unique per response (LTI DL 2.0 §4.2), also across app servers in the same second.
            "nonce": secrets.token_urlsafe(32),
            DEPLOYMENT_ID: launch_data[DEPLOYMENT_ID],
            MESSAGE_TYPE: "LtiDeepLinkingResponse",
            VERSION: "1.3.0",
            "https://purl.imsglobal.org/spec/lti-dl/claim/content_items": [
                _resource(item, current_app.config["BASE_URL"]).to_dict() for item in items
            ],
        }
        if settings.get("data") is not None:
            message["https://purl.imsglobal.org/spec/lti-dl/claim/data"] = settings["data"]
        key = keys.signing_key(self._session)
        token = jwt.encode(message, key.private_pem, algorithm="RS256", headers={"kid": key.kid})
        return token, settings["deep_link_return_url"]

    def apply_cookies(self, response: Response) -> Response:
        self._cookies.update_response(response)
        return response


class _KeySetFetcher:
    """The outbound HTTP session, made only when a key set must be fetched: most launches find
    it cached, and making a session (adapters, retries) cost a launch more than checking it."""

    def __init__(self, config: Mapping[str, Any]):
        self._config = config
        self._session: outbound.OutboundSession | None = None

    def get(self, url: str, **kwargs: Any) -> Any:
        if self._session is None:
            self._session = outbound.session_from_config(self._config)
        return self._session.get(url, **kwargs)


def _resource(item: ContentItem, base_url: str) -> DeepLinkResource:
    resource = DeepLinkResource()
    resource.set_url(registration.ToolUrls(base_url).launch).set_title(item.title)
    resource.set_custom_params(dict(item.custom))
    column = item.line_item
    if column is not None:
        line_item = _LineItem()
        line_item.set_label(column.label).set_score_maximum(column.score_maximum)
        line_item.set_resource_id(column.resource_id).set_tag(column.tag)
        if column.reviewable_status:
            line_item.set_submission_review(list(column.reviewable_status))
        resource.set_lineitem(line_item)
    return resource


def _aud(launch_data: Mapping[str, Any]) -> str:
    aud = launch_data.get("aud")
    return str(aud[0]) if isinstance(aud, list) else str(aud)


_INCOMPLETE = _l("The learning platform sent an incomplete request.")
_UNKNOWN_PLATFORM = _l(
    "This learning platform is not registered with Driehoek. Ask your LMS administrator to register it."
)


def _refusal_message(reason: str) -> Any:
    lowered = reason.lower()
    if "deployment" in lowered:
        return _l(
            "This course's deployment of Driehoek is not registered. Ask your LMS administrator."
        )
    if "registration" in lowered or "client id" in lowered:
        return _UNKNOWN_PLATFORM
    return None


def current_tool() -> Tool:
    """The request's Tool (made once per request; its cookies are applied to the response)."""
    if "lti_tool" not in g:
        g.lti_tool = Tool(db.session(), current_app.extensions["state_store"])
    tool: Tool = g.lti_tool
    return tool


def tool_urls() -> registration.ToolUrls:
    return registration.ToolUrls(current_app.config["BASE_URL"])
