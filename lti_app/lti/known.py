"""Registrations as the launch path reads them: from the database, kept a few seconds per process.

Every login and every launch needs its platform (and the launch its deployment). Those rows
change rarely (an operator's ``platform add``, a dynamic registration, an origin learnt from a
launch), so each app process keeps what it read for ``TTL_SECONDS``:

- only what was found is kept: a new registration or deployment works at once, and a forged
  issuer costs a query, never a cache entry;
- a commit in this process that writes a platform or deployment empties the cache (an ORM
  event on the app's sessions), so this process never serves what it has just changed;
- another process's change (the CLI, another app server) shows here within ``TTL_SECONDS``;
  a platform or deployment removed from the database stops working within that time;
- the cache holds at most ``MAX_ENTRIES`` registrations; when full it starts again.

The same goes for a college's frame origins (``college_origins``): read at launch, kept as long.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from lti_app.lti.models import Deployment, Platform

TTL_SECONDS = 30.0
MAX_ENTRIES = 256


@dataclass(frozen=True)
class KnownPlatform:
    """What a login and a launch need of a registration, copied: no ORM object is held."""

    id: int
    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    auth_audience: str | None
    college_id: int
    origins: tuple[str, ...]
    deployment_ids: frozenset[str]


class Registrations:
    """The per-process cache (one per app). Thread-safe; entries live ``ttl`` seconds."""

    def __init__(
        self,
        ttl: float = TTL_SECONDS,
        max_entries: int = MAX_ENTRIES,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._ttl = ttl
        self._max = max_entries
        self.clock = monotonic  # tests move it on
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _cached(self, key: Hashable, load: Callable[[], Any]) -> Any:
        now = self.clock()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        if value is not None:
            with self._lock:
                if len(self._entries) >= self._max:
                    self._entries.clear()
                self._entries[key] = (now + self._ttl, value)
        return value

    def platforms(self, session: Session, iss: str, client_id: str | None) -> list[KnownPlatform]:
        """The registrations of ``iss`` (with ``client_id``, when given)."""
        found: tuple[KnownPlatform, ...] | None = self._cached(
            ("platform", iss, client_id), lambda: _load(session, iss, client_id) or None
        )
        return list(found or ())

    def has_deployment(self, session: Session, platform: KnownPlatform, deployment_id: str) -> bool:
        """Whether ``deployment_id`` is registered for ``platform``: a deployment added since the
        platform was read is looked up, so it works at once."""
        if deployment_id in platform.deployment_ids:
            return True
        found = session.scalars(
            select(Deployment.id).where(
                Deployment.platform_id == platform.id, Deployment.deployment_id == deployment_id
            )
        ).first()
        if found is not None:
            self.clear()  # the next read sees the new deployment in the platform's entry
        return found is not None

    def college_origins(
        self, session: Session, college_id: int, origins_of: Callable[[Platform], set[str]]
    ) -> tuple[str, ...]:
        found: tuple[str, ...] = self._cached(
            ("origins", college_id),
            lambda: tuple(
                sorted(
                    set().union(
                        *(
                            origins_of(p)
                            for p in session.scalars(
                                select(Platform).where(Platform.college_id == college_id)
                            )
                        )
                    )
                )
            ),
        )
        return found


def _load(session: Session, iss: str, client_id: str | None) -> tuple[KnownPlatform, ...]:
    """The platforms and their deployment ids in one query."""
    query = (
        select(Platform, Deployment.deployment_id)
        .outerjoin(Deployment, Deployment.platform_id == Platform.id)
        .where(Platform.issuer == iss)
    )
    if client_id:
        query = query.where(Platform.client_id == client_id)
    rows: dict[int, tuple[Platform, set[str]]] = {}
    for platform, deployment_id in session.execute(query):
        entry = rows.setdefault(platform.id, (platform, set()))
        if deployment_id is not None:
            entry[1].add(deployment_id)
    return tuple(
        KnownPlatform(
            id=p.id,
            name=p.name,
            issuer=p.issuer,
            client_id=p.client_id,
            auth_login_url=p.auth_login_url,
            auth_token_url=p.auth_token_url,
            key_set_url=p.key_set_url,
            auth_audience=p.auth_audience,
            college_id=p.college_id,
            origins=tuple(p.origins or ()),
            deployment_ids=frozenset(deployments),
        )
        for p, deployments in rows.values()
    )


def forget_on_commit(make_session: sessionmaker[Session], registrations: Registrations) -> None:
    """Empty ``registrations`` after any commit of ``make_session``'s sessions that wrote a
    platform or a deployment."""

    @event.listens_for(make_session, "after_flush")
    def _note(session: Session, _context: Any) -> None:
        for obj in (*session.new, *session.dirty, *session.deleted):
            if isinstance(obj, Platform | Deployment):
                session.info["registrations_changed"] = True
                return

    @event.listens_for(make_session, "after_commit")
    def _forget(session: Session) -> None:
        if session.info.pop("registrations_changed", False):
            registrations.clear()

    @event.listens_for(make_session, "after_rollback")
    def _keep(session: Session) -> None:
        session.info.pop("registrations_changed", None)
