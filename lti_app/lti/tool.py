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
- cookies lacked ``Partitioned``, so browsers blocking third-party cookies lost the state;
- key sets were fetched from any address, without a time or size limit, and an error answer
  was cached as the key set: here they come through ``lti.outbound``, and only a 2xx JSON
  object is kept.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import jwt
from flask import Response, current_app
from flask import request as flask_request
from flask_babel import lazy_gettext as _l
from jwcrypto.jwk import JWK
from pylti1p3.contrib.flask import FlaskCookieService, FlaskMessageLaunch, FlaskOIDCLogin
from pylti1p3.contrib.flask import FlaskRequest as _FlaskRequest
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.registration import Registration
from pylti1p3.session import SessionService
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.errors import LaunchError
from lti_app.extensions import cache
from lti_app.lti import keys, outbound
from lti_app.lti.models import Deployment, Platform
from lti_app.lti.state import StateStore

ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512")
MAX_ID_TOKEN_BYTES = 64 * 1024
KEY_SET_CACHE_SECONDS = 3600
KEY_SET_REFETCH_SECONDS = 60

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = CLAIM + "message_type"
VERSION = CLAIM + "version"
DEPLOYMENT_ID = CLAIM + "deployment_id"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
KNOWN_MESSAGE_TYPES = ("LtiResourceLinkRequest", "LtiDeepLinkingRequest")

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


class _LazyKeyRegistration(Registration):
    """A registration that reads the tool's private key only when something signs with it."""

    def __init__(self, session: Session):
        super().__init__()
        self._session = session

    def get_tool_private_key(self) -> str | None:
        if self._tool_private_key is None:
            self._tool_private_key = keys.signing_key(self._session).private_pem
        return self._tool_private_key


class DatabaseToolConf(ToolConfAbstract[_FlaskRequest]):
    """Registrations and deployments from the database, with the tool's active signing key."""

    def __init__(self, session: Session):
        super().__init__()
        self._session = session
        self._platform_cache: dict[tuple[str, str | None], Platform | None] = {}
        self.issuers_relation_types = {}

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False  # always look up by issuer *and* client id

    def _platforms(self, iss: str, client_id: str | None) -> list[Platform]:
        if not _storable(iss) or (client_id is not None and not _storable(client_id)):
            return []
        query = select(Platform).where(Platform.issuer == iss)
        if client_id:
            query = query.where(Platform.client_id == client_id)
        return list(self._session.scalars(query))

    def platform(self, iss: str, client_id: str | None) -> Platform | None:
        key = (iss, client_id)
        if key not in self._platform_cache:
            found = self._platforms(iss, client_id)
            # Without a client id the issuer alone must be unambiguous.
            self._platform_cache[key] = found[0] if len(found) == 1 else None
        return self._platform_cache[key]

    def _registration(self, platform: Platform) -> Registration:
        registration = _LazyKeyRegistration(self._session)
        registration.set_issuer(platform.issuer).set_client_id(platform.client_id)
        registration.set_auth_login_url(platform.auth_login_url)
        registration.set_auth_token_url(platform.auth_token_url)
        registration.set_key_set_url(platform.key_set_url)
        if platform.auth_audience:
            registration.set_auth_audience(platform.auth_audience)
        return registration

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        platform = self.platform(iss, None)
        return self._registration(platform) if platform else None  # type: ignore[return-value]

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Registration:
        platform = self.platform(iss, client_id)
        return self._registration(platform) if platform else None  # type: ignore[return-value]

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)  # type: ignore[arg-type]

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> LtiDeployment | None:
        platform = self.platform(iss, client_id)
        if platform is None or not _storable(deployment_id):
            return None
        found = self._session.scalars(
            select(Deployment).where(
                Deployment.platform_id == platform.id, Deployment.deployment_id == deployment_id
            )
        ).first()
        return LtiDeployment().set_deployment_id(deployment_id) if found else None


class StoreLaunchData(LaunchDataStorage[Any]):
    """pylti1p3's storage interface over our StateStore (database or Redis)."""

    def __init__(self, store: StateStore, ttl: int):
        super().__init__()
        self._store = store
        self._ttl = ttl

    def get_session_cookie_name(self) -> str | None:
        return None  # our keys are random and server-side; no extra session cookie needed

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        return self._store.get(self._prepare_key(key))

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        self._store.put(self._prepare_key(key), value, exp or self._ttl)

    def check_value(self, key: str) -> bool:
        return self._store.get(self._prepare_key(key)) is not None

    def take_value(self, key: str) -> Any:
        return self._store.take(self._prepare_key(key))


class CachedKeySets(LaunchDataStorage[Any]):
    """Platforms' public key sets in the app cache (per process, or Redis when configured).

    A key set is public and refetchable, so a cache suits it; the launch path then needs no
    database round trip for it.
    """

    def get_session_cookie_name(self) -> str | None:
        return None

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        return cache.get(key)

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        if value is None:
            cache.delete(key)
        else:
            cache.set(key, value, timeout=exp or KEY_SET_CACHE_SECONDS)

    def check_value(self, key: str) -> bool:
        return cache.get(key) is not None

    def may_refetch(self, url: str) -> bool:
        """At most one forced refetch per key set a minute, whatever unknown kids arrive."""
        return bool(
            cache.add("key-set-refetch-" + _digest(url), 1, timeout=KEY_SET_REFETCH_SECONDS)
        )


class SpendingSessionService(SessionService):
    """One server-side record per login: its state, the nonce issued with it, its login params.

    The launch reads the record to check the state, and *takes* it (read and delete in one step)
    once the signature holds: that spends state and nonce together, so a replay finds nothing.
    """

    data_storage: StoreLaunchData

    def __init__(self, request: _FlaskRequest, storage: StoreLaunchData, ttl: int):
        super().__init__(request)
        self.set_data_storage(storage)
        self._launch_data_lifetime = ttl
        self._last_nonce: str | None = None

    def save_nonce(self, nonce: str) -> None:
        # pylti1p3 saves the nonce just before the state params: keep it for that one record.
        self._last_nonce = nonce

    def save_state_params(self, state: str, params: Mapping[str, object]) -> None:
        super().save_state_params(state, {**params, "nonce": self._last_nonce})

    def check_nonce(self, nonce: str) -> bool:
        raise NotImplementedError("nonces are spent with their state: see spend_state")

    def spend_state(self, state: str) -> Mapping[str, Any] | None:
        result: Mapping[str, Any] | None = self.data_storage.take_value(self._get_key(state))
        return result

    def set_state_valid(self, state: str, id_token_hash: str) -> None:
        pass  # pylti1p3's "restored launch" shortcut; a spent state is never valid again


class PartitionedCookieService(FlaskCookieService):
    """State cookies that survive inside an LMS iframe: SameSite=None; Secure; Partitioned."""

    def __init__(self, request: _FlaskRequest, secure: bool, ttl: int):
        super().__init__(request)
        self._secure = secure
        self._ttl = ttl

    def update_response(self, response: Response) -> None:
        for key, data in self._cookie_data_to_set.items():
            response.set_cookie(
                key,
                str(data["value"]),
                # pylti1p3 asks 5 minutes; the state itself lives LAUNCH_STATE_TTL_SECONDS.
                max_age=self._ttl,
                path="/",
                httponly=True,
                secure=self._secure,
                samesite="None" if self._secure else "Lax",
                partitioned=self._secure,
            )


class HardenedMessageLaunch(FlaskMessageLaunch):
    """pylti1p3's launch with the checks it skips, in an order that spends nothing on forgeries."""

    def __init__(self, *args: Any, leeway: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._leeway = leeway

    def validate(self) -> HardenedMessageLaunch:
        if self._restored:
            raise LtiException("Can't validate restored launch")
        self._validated = True
        try:
            self.validate_state()
            self.validate_jwt_format()
            self.validate_registration()
            self.validate_jwt_signature()
            self.validate_nonce()
            self.validate_deployment()
            self.validate_message()
            self.save_launch_data()
        except Exception:
            self._validated = False
            raise
        return self

    def get_client_id(self) -> str:
        body = self._get_jwt_body()
        aud, azp = body.get("aud"), body.get("azp")
        if isinstance(aud, str):
            audiences = [aud]
        elif isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
            audiences = aud
        else:
            raise LaunchError("aud missing or malformed")
        if azp is None:
            if len(audiences) > 1:
                raise LaunchError("aud has several audiences but no azp")
            return audiences[0]
        # When azp is present it names the client the token was issued to: that must be us,
        # whether aud holds one audience or several (OIDC Core §3.1.3.7).
        if not isinstance(azp, str) or azp not in audiences:
            raise LaunchError("azp is not one of the audiences")
        return azp

    def validate_state(self) -> HardenedMessageLaunch:
        # Only the cookie here: the state's server-side record is read (and spent) once the
        # signature holds, in validate_nonce, so a forged token costs us no database work.
        state = self._get_request_param("state")
        if not state:
            raise LaunchError("missing state parameter")
        cookie = self._cookie_service.get_cookie(state)
        if cookie is None:
            if not self._session_service.get_state_params(state):
                raise LaunchError("state unknown, expired or already used", _STATE_EXPIRED)
            error = LaunchError("no state cookie", _COOKIE_BLOCKED)
            error.extra = {"state": state}  # type: ignore[attr-defined]
            raise error
        if cookie != state:
            raise LaunchError("state does not match its cookie")
        return self

    def validate_jwt_format(self) -> HardenedMessageLaunch:
        super().validate_jwt_format()
        if not isinstance(self._jwt.get("body"), dict) or not isinstance(
            self._jwt.get("header"), dict
        ):
            raise LaunchError("id_token header or body is not a JSON object")
        alg = self._jwt["header"].get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise LaunchError(f"signature algorithm {str(alg)[:20]!r} not accepted")
        return self

    def get_public_key(self) -> tuple[str, str]:
        try:
            return _matching_key(self._key_set(), self._jwt.get("header", {}))
        except LtiException:
            # The platform may have rotated its keys since we cached them: fetch once more,
            # but not for every forged kid (that would make us hammer the platform).
            storage = self._public_key_cache_data_storage
            url = self._registration.get_key_set_url() if self._registration else None
            if not isinstance(storage, CachedKeySets) or not url or not storage.may_refetch(url):
                raise
            storage.set_value(_key_set_cache_key(url), None)
            self._registration.set_key_set(None)  # type: ignore[union-attr]
            return _matching_key(self._key_set(), self._jwt.get("header", {}))

    def _key_set(self) -> Any:
        assert self._registration is not None
        key_set = self._registration.get_key_set()
        if not key_set:
            url = self._registration.get_key_set_url() or ""
            if not url.startswith(("http://", "https://")):
                raise LtiException("Invalid key set URL")
            key_set = self.fetch_public_key(url)
            self._registration.set_key_set(key_set)
        return key_set

    def fetch_public_key(self, key_set_url: str) -> Any:
        """The platform's key set from the cache, or fetched through ``lti.outbound``.

        :raise LaunchError: it could not be fetched, or is no JSON object; what the platform
            answered is never shown.
        """
        storage = self._public_key_cache_data_storage
        cache_key = _key_set_cache_key(key_set_url)
        cached = storage.get_value(cache_key) if storage is not None else None
        if cached:
            return cached
        try:
            response = self._requests_session.get(key_set_url)
        except outbound.OutboundError as exc:
            raise LaunchError(
                f"key set not fetched: {exc}", _keys_unavailable(exc.message)
            ) from exc
        if not 200 <= response.status_code < 300:
            raise LaunchError(
                f"key set answered HTTP {response.status_code}",
                _keys_unavailable(outbound.http_status_message(response.status_code)),
            )
        try:
            key_set = response.json()
        except (ValueError, RecursionError) as exc:
            raise LaunchError("key set is not JSON", _keys_unavailable(outbound.NOT_JSON)) from exc
        if not isinstance(key_set, dict):
            raise LaunchError("key set is not a JSON object", _keys_unavailable(outbound.NOT_JSON))
        if storage is not None:
            storage.set_value(cache_key, key_set, self._public_key_cache_lifetime)
        return key_set

    def validate_jwt_signature(self) -> HardenedMessageLaunch:
        public_key, alg = self.get_public_key()
        if alg not in ALLOWED_ALGORITHMS:
            raise LaunchError("platform key has an algorithm we do not accept")
        assert self._registration is not None
        try:
            jwt.decode(
                self._get_id_token(),
                public_key,
                algorithms=[alg],
                audience=self.get_client_id(),
                issuer=self._registration.get_issuer(),
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "aud", "nonce"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise LaunchError("id_token expired", _EXPIRED) from exc
        except jwt.ImmatureSignatureError as exc:
            raise LaunchError("id_token issued in the future", _CLOCK) from exc
        except jwt.InvalidTokenError as exc:
            raise LaunchError(f"id_token rejected: {exc}") from exc
        return self

    def validate_nonce(self) -> HardenedMessageLaunch:
        nonce = self._get_jwt_body().get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise LaunchError("nonce missing")
        # Taking the record spends state and nonce at once: of two racing copies of a launch,
        # exactly one gets it. A replay finds nothing.
        spent = self._session_service.spend_state(self._get_request_param("state"))
        if spent is None:
            raise LaunchError("state unknown, expired or already used (replayed)", _STATE_EXPIRED)
        if spent.get("nonce") != nonce:
            raise LaunchError("nonce was not issued with this state")
        return self

    def save_launch_data(self) -> HardenedMessageLaunch:
        # Only a deep-linking launch needs its claims again (to answer the platform).
        if self._get_jwt_body().get(MESSAGE_TYPE) == "LtiDeepLinkingRequest":
            self._session_service.save_launch_data(self._launch_id, self._jwt["body"])
        return self

    def validate_message(self) -> HardenedMessageLaunch:
        body = self._get_jwt_body()
        if body.get(VERSION) != "1.3.0":
            raise LaunchError("LTI version is not 1.3.0")
        if body.get(MESSAGE_TYPE) not in KNOWN_MESSAGE_TYPES:
            raise LaunchError("missing or unsupported message type")
        if not body.get("sub"):
            raise LaunchError("anonymous launch (no sub)", _ANONYMOUS)
        target = body.get(CLAIM + "target_link_uri")
        base = current_app.config["BASE_URL"]
        if target and not _same_origin(str(target), base):
            raise LaunchError("target_link_uri is not this tool")
        super().validate_message()
        return self

    def validate_deployment(self) -> HardenedMessageLaunch:
        if not isinstance(self._get_jwt_body().get(DEPLOYMENT_ID), str):
            raise LaunchError("deployment_id missing")
        super().validate_deployment()
        return self


def _matching_key(key_set: Any, header: Mapping[str, Any]) -> tuple[str, str]:
    """The PEM of the key whose kid and alg match the token's header (as pylti1p3 matches)."""
    kid, alg = header.get("kid"), header.get("alg")
    if not kid or not alg:
        raise LtiException("JWT KID or ALG not found")
    keys_ = key_set.get("keys") if isinstance(key_set, Mapping) else None
    for key in keys_ if isinstance(keys_, list) else []:
        if isinstance(key, Mapping) and key.get("kid") == kid and key.get("alg", "RS256") == alg:
            try:
                return _pem(json.dumps(key, sort_keys=True)), alg
            except (ValueError, TypeError) as exc:
                raise LtiException("Can't convert JWT key to PEM format") from exc
    raise LtiException("Unable to find public key")


@functools.lru_cache(maxsize=64)
def _pem(jwk_json: str) -> str:
    # Converting a JWK to PEM costs more than verifying the signature; platforms reuse keys.
    return str(JWK.from_json(jwk_json).export_to_pem().decode())


def _storable(value: object) -> bool:
    """A string the database can compare: PostgreSQL refuses NUL characters with an error."""
    return isinstance(value, str) and "\x00" not in value


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def _digest(url: str) -> str:
    return hashlib.md5(url.encode(), usedforsecurity=False).hexdigest()


def _key_set_cache_key(url: str) -> str:
    # The key pylti1p3's MessageLaunch.fetch_public_key uses for its cache.
    return "key-set-url-" + _digest(url)


# Messages a person sees (the reason above is only for the log).

_STATE_EXPIRED = _l("The sign-in took too long or was already used.")
_COOKIE_BLOCKED = _l("Your browser blocked the cookie Driehoek needs inside the course page.")
_EXPIRED = _l("The sign-in from your learning platform has expired.")
_CLOCK = _l("The learning platform's clock and ours disagree.")
_ANONYMOUS = _l("Driehoek needs to know who you are, but the platform sent no user.")


def _keys_unavailable(reason: Any) -> Any:
    return _l(
        "Driehoek could not fetch your learning platform's keys to check the sign-in: %(reason)s.",
        reason=reason,
    )


class Tool:
    """Builds the pylti1p3 objects for one request: the only place that knows their wiring."""

    def __init__(self, session: Session, store: StateStore):
        config = current_app.config
        self._session = session
        self._config = DatabaseToolConf(session)
        self._request = _FlaskRequest(request_is_secure=config["COOKIE_SECURE"])
        self._storage = StoreLaunchData(store, config["LAUNCH_STATE_TTL_SECONDS"])
        self._sessions = SpendingSessionService(
            self._request, self._storage, config["LAUNCH_STATE_TTL_SECONDS"]
        )
        self._cookies = PartitionedCookieService(
            self._request, config["COOKIE_SECURE"], config["LAUNCH_STATE_TTL_SECONDS"]
        )
        self._http = outbound.session_from_config(config)

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
        if not _same_origin(str(params["target_link_uri"]), current_app.config["BASE_URL"]):
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

    def deep_link_response(
        self, launch_data: Mapping[str, Any], items: list[DeepLinkResource]
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
                i.to_dict() for i in items
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
