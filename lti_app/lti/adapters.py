"""pylti1p3's interfaces over Driehoek's own parts: registrations from the database, launch
state in the StateStore, platforms' key sets in the app cache, partitioned state cookies.

``message_launch.HardenedMessageLaunch`` and ``tool.Tool`` use these; nothing else needs them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from flask import Response
from pylti1p3.contrib.flask import FlaskCookieService
from pylti1p3.contrib.flask import FlaskRequest as _FlaskRequest
from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.registration import Registration
from pylti1p3.session import SessionService
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy.orm import Session

from lti_app.extensions import cache
from lti_app.lti import keys
from lti_app.lti.known import KnownPlatform, Registrations
from lti_app.lti.state import StateStore

KEY_SET_CACHE_SECONDS = 3600
KEY_SET_REFETCH_SECONDS = 60


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
    """Registrations and deployments from the database (kept briefly per process, see
    ``lti.known``), with the tool's active signing key."""

    def __init__(self, session: Session, registrations: Registrations):
        super().__init__()
        self._session = session
        self._registrations = registrations
        self.issuers_relation_types = {}

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False  # always look up by issuer *and* client id

    def platform(self, iss: str, client_id: str | None) -> KnownPlatform | None:
        if not _storable(iss) or (client_id is not None and not _storable(client_id)):
            return None
        found = self._registrations.platforms(self._session, iss, client_id)
        # Without a client id the issuer alone must be unambiguous.
        return found[0] if len(found) == 1 else None

    def _registration(self, platform: KnownPlatform) -> Registration:
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
        if not self._registrations.has_deployment(self._session, platform, deployment_id):
            return None
        return LtiDeployment().set_deployment_id(deployment_id)


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


def _storable(value: object) -> bool:
    """A string the database can compare: PostgreSQL refuses NUL characters with an error."""
    return isinstance(value, str) and "\x00" not in value


def _digest(url: str) -> str:
    return hashlib.md5(url.encode(), usedforsecurity=False).hexdigest()


def key_set_cache_key(url: str) -> str:
    # The key pylti1p3's MessageLaunch.fetch_public_key uses for its cache.
    return "key-set-url-" + _digest(url)
