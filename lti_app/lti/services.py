"""LTI Advantage services (Names and Role Provisioning; AGS in ags.py) behind one interface.

The flow (LTI Security 1.0 §4.1, https://www.imsglobal.org/spec/security/v1p0/#securing_web_services):

1. To call a service the tool needs an OAuth 2 access token. It signs a JWT with its own key
   (the one published at ``/.well-known/jwks.json``): ``iss`` = ``sub`` = its client id,
   ``aud`` = the platform's token URL (or the audience registered for it), a short ``exp`` and a
   unique ``jti`` (RFC 7523 §3).
2. It posts that JWT as the ``client_assertion`` of a ``client_credentials`` grant (RFC 6749
   §4.4) to the platform's token URL, with the scopes it needs.
3. The platform checks the assertion against the tool's JWKS and answers a bearer token that
   lives ``expires_in`` seconds (RFC 6749 §4.4.3). We keep it in the app cache until shortly
   before it expires, so every app server and job reuses it.
4. The tool calls the service with ``Authorization: Bearer …``. NRPS answers a membership
   container, a page at a time; the next page is in the ``Link`` header with ``rel="next"``
   (NRPS 2.0 §2.4.3, https://www.imsglobal.org/spec/lti-nrps/v2p0#limit-query-parameter;
   RFC 8288 for the header's grammar).

Every failure becomes an ``LtiServiceError`` whose ``failure`` says why, so a job can decide
whether to retry and a page can say what happened. ``service_client`` needs an app context
(for settings and the cache) but no request.
"""

from __future__ import annotations

import abc
import enum
import functools
import hashlib
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from flask import current_app
from sqlalchemy.orm import Session

from lti_app.errors import DriehoekError
from lti_app.extensions import cache
from lti_app.lti import keys, outbound
from lti_app.lti.answers import retry_after, same_origin
from lti_app.lti.link_header import next_link
from lti_app.lti.models import Platform

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
NRPS_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME_SECONDS = 300
# A token is dropped this long before the platform says it expires: a page requested with a
# token about to expire would otherwise fail halfway through a sync.
TOKEN_EXPIRY_MARGIN_SECONDS = 60
TOKEN_DEFAULT_SECONDS = 300  # when the platform does not say how long its token lives
TOKEN_MAX_SECONDS = 3600


class ServiceFailure(enum.StrEnum):
    """Why a call to an LTI service failed."""

    # The token endpoint said no: the registration or the tool key is wrong.
    TOKEN_REFUSED = "token_refused"  # noqa: S105 - a failure name, not a secret
    UNAUTHORIZED = "unauthorized"  # 401 from the service, even with a fresh token
    FORBIDDEN = "forbidden"  # 403: the service is not enabled for this tool or course
    NOT_FOUND = "not_found"  # 404: the course or service is gone
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"  # connection refused, DNS, TLS
    BAD_RESPONSE = "bad_response"  # not JSON, or not the shape the spec prescribes
    HTTP_ERROR = "http_error"  # any other status (5xx mostly): worth a retry later
    NOT_OFFERED = "not_offered"  # the platform never told us where the service is
    # The address is one Driehoek may not call: plain http in production, or a private network
    # (lti.outbound). Only a changed registration or setting helps, not a retry.
    REFUSED = "refused"


class LtiServiceError(DriehoekError):
    """A call to an LMS service that failed; ``failure`` says why, ``reason`` says more (for the log)."""

    status = 502

    def __init__(
        self,
        failure: ServiceFailure,
        reason: str,
        *,
        status_code: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(f"{failure.value}: {reason}")
        self.failure = failure
        self.status_code = status_code
        # Seconds the platform asked us to wait (Retry-After on a 429 or 503), capped.
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        """A later attempt may succeed without anyone changing a registration."""
        return self.failure in {
            ServiceFailure.TIMEOUT,
            ServiceFailure.UNREACHABLE,
            ServiceFailure.HTTP_ERROR,
        }


@dataclass(frozen=True)
class MembershipsPage:
    """One page of an NRPS membership container (NRPS 2.0 §2.3)."""

    members: list[Any]
    next_url: str | None
    context: Mapping[str, Any] = field(default_factory=dict)


class LtiServices(abc.ABC):
    """What the tool asks of an LMS. The one implementation talks HTTP; tests may fake it.

    Use it as a context manager (or call ``close``) to release its connections.
    """

    def close(self) -> None:  # noqa: B027 - nothing to release unless an implementation holds it
        """Release connections to the LMS."""

    def __enter__(self) -> LtiServices:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @abc.abstractmethod
    def call(
        self, method: str, url: str, scopes: Sequence[str], accept: str, max_bytes: int, **kw: Any
    ) -> requests.Response:
        """One request to a service with a bearer token for ``scopes`` (``kw``: headers, data).

        :raise LtiServiceError: no token, or an answer other than 2xx.
        """

    @abc.abstractmethod
    def get_memberships_page(self, url: str) -> MembershipsPage:
        """One page of a course's members, and the URL of the next page if there is one.

        :raise LtiServiceError: the token or the page could not be had.
        """


class TokenCache(Protocol):
    def get(self, key: str) -> Any: ...
    def set(self, key: str, value: Any, timeout: int | None = None) -> Any: ...
    def delete(self, key: str) -> Any: ...


def service_client(
    session: Session,
    platform: Platform,
    *,
    http: outbound.OutboundSession | None = None,
    token_cache: TokenCache | None = None,
) -> LtiServices:
    """The LTI services of ``platform``, for a view or a job (an app context, no request).

    ``session`` is read only for the tool's signing key, when a token must be requested.
    """
    return HttpLtiServices(
        session,
        PlatformEndpoint.of(platform),
        http=http or outbound.session_from_config(current_app.config),
        token_cache=token_cache if token_cache is not None else cache,
        owns_http=http is None,
    )


@dataclass(frozen=True)
class PlatformEndpoint:
    """What a token request needs from a registration, copied so no ORM object is held."""

    platform_id: int
    client_id: str
    token_url: str
    audience: str

    @classmethod
    def of(cls, platform: Platform) -> PlatformEndpoint:
        return cls(
            platform_id=platform.id,
            client_id=platform.client_id,
            token_url=platform.auth_token_url,
            audience=platform.auth_audience or platform.auth_token_url,
        )


class HttpLtiServices(LtiServices):
    def __init__(
        self,
        session: Session,
        endpoint: PlatformEndpoint,
        *,
        http: outbound.OutboundSession,
        token_cache: TokenCache,
        owns_http: bool = False,
    ):
        self._session = session
        self._endpoint = endpoint
        self._http = http
        self._cache = token_cache
        self._owns_http = owns_http

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    # -- services --------------------------------------------------------------------------
    def get_memberships_page(self, url: str) -> MembershipsPage:
        response = self.call(
            "GET", url, (NRPS_SCOPE,), NRPS_MEDIA_TYPE, outbound.MAX_ROSTER_PAGE_BYTES
        )
        body = _json(response, "membership container")
        members = body.get("members")
        if not isinstance(members, list):
            raise LtiServiceError(
                ServiceFailure.BAD_RESPONSE, "membership container without a members list"
            )
        next_url = next_link(response.headers.get("Link"), response.url or url)
        if next_url is not None and not same_origin(next_url, url):
            # The bearer token goes with the next request: never to another host.
            raise LtiServiceError(
                ServiceFailure.BAD_RESPONSE, "next page is on another host than the service"
            )
        context = body.get("context")
        return MembershipsPage(
            members=members,
            next_url=next_url,
            context=context if isinstance(context, Mapping) else {},
        )

    def call(
        self, method: str, url: str, scopes: Sequence[str], accept: str, max_bytes: int, **kw: Any
    ) -> requests.Response:
        """A request with a bearer token; a cached token the service refuses is replaced once."""
        extra = kw.pop("headers", {})
        for fresh in (False, True):
            token, cached = self._token(scopes, fresh=fresh)
            headers = {**extra, "Authorization": f"Bearer {token}", "Accept": accept}
            response = self._request(method, url, max_bytes, headers=headers, **kw)
            # A cached token refused (revoked early, a platform that forgot it): ask a new one.
            if response.status_code != 401 or not cached:
                break
        if response.status_code == 401:
            self._cache.delete(self._cache_key(scopes))
        _raise_for_status(response, url)
        return response

    # -- tokens ----------------------------------------------------------------------------
    def _token(self, scopes: Sequence[str], *, fresh: bool = False) -> tuple[str, bool]:
        """The token and whether it came from the cache."""
        key = self._cache_key(scopes)
        if not fresh:
            cached = self._cache.get(key)
            if isinstance(cached, str) and cached:
                return cached, True
        token, lifetime = self._request_token(scopes)
        keep = lifetime - TOKEN_EXPIRY_MARGIN_SECONDS
        if keep > 0:
            self._cache.set(key, token, timeout=keep)
        else:
            self._cache.delete(key)
        return token, False

    def _request_token(self, scopes: Sequence[str]) -> tuple[str, int]:
        endpoint = self._endpoint
        data = {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self._client_assertion(),
            "scope": " ".join(sorted(scopes)),
        }
        response = self._request(
            "POST",
            endpoint.token_url,
            outbound.MAX_TOKEN_BYTES,
            data=data,
            headers={"Accept": "application/json"},
        )
        if response.status_code in (400, 401, 403):
            raise LtiServiceError(
                ServiceFailure.TOKEN_REFUSED,
                f"token endpoint answered {response.status_code} {_oauth_error(response)}",
                status_code=response.status_code,
            )
        _raise_for_status(response, endpoint.token_url)
        body = _json(response, "token response")
        token = body.get("access_token")
        token_type = body.get("token_type")
        if not isinstance(token, str) or not token or not isinstance(token_type, str):
            raise LtiServiceError(ServiceFailure.BAD_RESPONSE, "token response without a token")
        if token_type.lower() != "bearer":
            raise LtiServiceError(
                ServiceFailure.BAD_RESPONSE, f"token type {token_type[:20]!r} is not bearer"
            )
        expires_in = body.get("expires_in")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
            expires_in = TOKEN_DEFAULT_SECONDS
        return token, int(min(expires_in, TOKEN_MAX_SECONDS))

    def _client_assertion(self) -> str:
        key = keys.signing_key(self._session)
        now = int(time.time())
        claims = {
            "iss": self._endpoint.client_id,
            "sub": self._endpoint.client_id,
            "aud": self._endpoint.audience,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECONDS,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(
            claims, _private_key(key.private_pem), algorithm="RS256", headers={"kid": key.kid}
        )

    def _cache_key(self, scopes: Sequence[str]) -> str:
        e = self._endpoint
        raw = "\n".join([str(e.platform_id), e.client_id, e.token_url, *sorted(scopes)])
        return "lti-access-token-" + hashlib.sha256(raw.encode()).hexdigest()

    # -- HTTP --------------------------------------------------------------------------------
    def _request(self, method: str, url: str, max_bytes: int, **kwargs: Any) -> requests.Response:
        if urlsplit(url).scheme not in ("http", "https"):
            raise LtiServiceError(ServiceFailure.NOT_OFFERED, "service URL is not http(s)")
        try:
            return self._http.request(
                method, url, allow_redirects=False, max_bytes=max_bytes, **kwargs
            )
        except outbound.OutboundError as exc:
            raise LtiServiceError(_OUTBOUND_FAILURES[exc.failure], f"{method} {exc}") from exc


# How a refused or failed call to the platform counts for a service (and whether to retry it).
_OUTBOUND_FAILURES = {
    outbound.Failure.BAD_URL: ServiceFailure.NOT_OFFERED,
    outbound.Failure.NOT_HTTPS: ServiceFailure.REFUSED,
    outbound.Failure.PRIVATE_ADDRESS: ServiceFailure.REFUSED,
    outbound.Failure.UNKNOWN_HOST: ServiceFailure.UNREACHABLE,
    outbound.Failure.UNREACHABLE: ServiceFailure.UNREACHABLE,
    outbound.Failure.TLS: ServiceFailure.UNREACHABLE,
    outbound.Failure.TIMEOUT: ServiceFailure.TIMEOUT,
    outbound.Failure.TOO_LARGE: ServiceFailure.BAD_RESPONSE,
    outbound.Failure.TOO_MANY_REDIRECTS: ServiceFailure.BAD_RESPONSE,
}


@functools.lru_cache(maxsize=8)
def _private_key(pem: str) -> RSAPrivateKey:
    # Loading a PEM checks the RSA key, which costs more than signing with it.
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, RSAPrivateKey):  # pragma: no cover - keys.py makes RSA keys only
        raise TypeError("the tool's signing key is not an RSA key")
    return key


def _raise_for_status(response: requests.Response, url: str) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    failure = {
        401: ServiceFailure.UNAUTHORIZED,
        403: ServiceFailure.FORBIDDEN,
        404: ServiceFailure.NOT_FOUND,
        410: ServiceFailure.NOT_FOUND,
    }.get(status, ServiceFailure.HTTP_ERROR)
    where = urlsplit(url)
    wait = retry_after(response.headers.get("Retry-After")) if status in (429, 503) else None
    reason = f"{where.netloc}{where.path} answered {status}"
    raise LtiServiceError(failure, reason, status_code=status, retry_after=wait)


def _json(response: requests.Response, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise LtiServiceError(ServiceFailure.BAD_RESPONSE, f"{what} is not JSON") from exc
    if not isinstance(body, dict):
        raise LtiServiceError(ServiceFailure.BAD_RESPONSE, f"{what} is not a JSON object")
    return body


def _oauth_error(response: requests.Response) -> str:
    """The RFC 6749 §5.2 error code, for the log (never the body: it may echo secrets)."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return ""
    return f"({str(error)[:40]})" if error else ""
