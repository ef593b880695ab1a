"""pylti1p3's message launch with the checks it skips, in an order that spends nothing on forgeries.

See ``lti.tool`` for the flow and the list of what pylti1p3 2.0.0 leaves open.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from flask import current_app
from flask_babel import lazy_gettext as _l
from jwcrypto.jwk import JWK
from pylti1p3.contrib.flask import FlaskMessageLaunch
from pylti1p3.exception import LtiException

from lti_app.errors import LaunchError
from lti_app.lti import outbound
from lti_app.lti.adapters import CachedKeySets, key_set_cache_key

ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512")

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = CLAIM + "message_type"
VERSION = CLAIM + "version"
DEPLOYMENT_ID = CLAIM + "deployment_id"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
RESOURCE_LINK = CLAIM + "resource_link"
FOR_USER = CLAIM + "for_user"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SUBMISSION_REVIEW = "LtiSubmissionReviewRequest"
KNOWN_MESSAGE_TYPES = ("LtiResourceLinkRequest", "LtiDeepLinkingRequest", SUBMISSION_REVIEW)


class HardenedMessageLaunch(FlaskMessageLaunch):
    """pylti1p3's launch with the checks it skips, in an order that spends nothing on forgeries."""

    def __init__(self, *args: Any, leeway: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._leeway = leeway
        self._without_cookie = False
        self._login_params: Mapping[str, Any] = {}

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
            if self._without_cookie:
                # Verified and spent, but not bound to this browser: sign nobody in.
                raise StateCookieMissing(self._login_params, self._get_jwt_body())
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
            # The browser lost (or never kept) the cookie. Check everything else anyway, and
            # spend the state, so the page that offers a fresh start is for a launch the platform
            # really sent, and the same post can never be used again (validate ends it).
            self._without_cookie = True
            return self
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
            storage.set_value(key_set_cache_key(url), None)
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
        cache_key = key_set_cache_key(key_set_url)
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
                _loaded_public_key(public_key),
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
        self._login_params = spent
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
        if target and not same_origin(str(target), base):
            raise LaunchError("target_link_uri is not this tool")
        if body.get(MESSAGE_TYPE) == SUBMISSION_REVIEW:
            _check_submission_review(body)
        super().validate_message()
        return self

    def validate_deployment(self) -> HardenedMessageLaunch:
        if not isinstance(self._get_jwt_body().get(DEPLOYMENT_ID), str):
            raise LaunchError("deployment_id missing")
        super().validate_deployment()
        return self


def _check_submission_review(body: Mapping[str, Any]) -> None:
    """The claims an LtiSubmissionReviewRequest must carry (LTI SR 1.0 §3), typed.

    pylti1p3 2.0.0 has a validator for this message, but it tests membership with ``in`` on
    whatever the claim is (a string ``for_user`` containing "user_id" passes) and does not ask
    for the resource link; here each claim must be the JSON object the spec describes.
    """
    link = body.get(RESOURCE_LINK)
    if not isinstance(link, Mapping) or not _text(link.get("id")):
        raise LaunchError("submission review without a resource link", _INCOMPLETE_REVIEW)
    for_user = body.get(FOR_USER)
    if not isinstance(for_user, Mapping) or not _text(for_user.get("user_id")):
        raise LaunchError("submission review without for_user.user_id", _INCOMPLETE_REVIEW)
    ags = body.get(AGS_ENDPOINT)
    if not isinstance(ags, Mapping) or not _text(ags.get("lineitem")):
        raise LaunchError("submission review without the AGS lineitem", _INCOMPLETE_REVIEW)


def _text(value: Any) -> bool:
    # Not empty, and comparable in the database (PostgreSQL refuses NUL with an error).
    return isinstance(value, str) and bool(value.strip()) and "\x00" not in value


class StateCookieMissing(LaunchError):
    """A launch the platform signed, for a state this tool issued, that came without the state's
    cookie. Nobody is signed in and the state is spent; ``login_params`` (what the login that
    issued the state received) and ``claims`` (verified) let the page offer a fresh start."""

    def __init__(self, login_params: Mapping[str, Any], claims: Mapping[str, Any]):
        super().__init__("no state cookie (launch otherwise valid; state spent)", _COOKIE_BLOCKED)
        self.login_params = {k: v for k, v in login_params.items() if k != "nonce"}
        self.claims = dict(claims)


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


@functools.lru_cache(maxsize=64)
def _loaded_public_key(pem: str) -> Any:
    # Parsing the PEM on every launch cost as much as checking the signature with it.
    return serialization.load_pem_public_key(pem.encode())


def same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


# Messages a person sees (the reason above is only for the log).

_STATE_EXPIRED = _l("The sign-in took too long or was already used.")
_COOKIE_BLOCKED = _l("Your browser blocked the cookie Driehoek needs inside the course page.")
_EXPIRED = _l("The sign-in from your learning platform has expired.")
_CLOCK = _l("The learning platform's clock and ours disagree.")
_INCOMPLETE_REVIEW = _l(
    "The gradebook asked to review a submission but did not say whose, or for which column."
)
_ANONYMOUS = _l("Driehoek needs to know who you are, but the platform sent no user.")


def _keys_unavailable(reason: Any) -> Any:
    return _l(
        "Driehoek could not fetch your learning platform's keys to check the sign-in: %(reason)s.",
        reason=reason,
    )
