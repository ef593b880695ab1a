"""Short-lived launch state shared by every app server: the database, or Redis when configured.

Login and launch may reach different processes, so nothing here lives in process memory.
``take`` reads and deletes in one step, which is what makes a nonce single-use.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from lti_app.db import utcnow
from lti_app.lti.models import LaunchState


class StateStore(Protocol):
    def put(self, key: str, value: Any, ttl: int) -> None: ...
    def get(self, key: str) -> Any: ...
    def take(self, key: str) -> Any: ...
    def purge_expired(self) -> int: ...


class DatabaseStateStore:
    """Each call commits in a session of its own, so a failed launch cannot roll back a nonce."""

    def __init__(self, make_session: sessionmaker[Session]):
        self._make_session = make_session

    def put(self, key: str, value: Any, ttl: int) -> None:
        # One upsert statement: two launches caching the same key set at once must not
        # collide on the primary key (a read-then-insert did, with a 500 for one of them).
        expires = utcnow() + timedelta(seconds=ttl)
        with self._make_session() as s, s.begin():
            s.execute(_upsert(s.get_bind().dialect.name, key, value, expires))

    def get(self, key: str) -> Any:
        if "\x00" in key:  # from a request; PostgreSQL would refuse it with an error
            return None
        with self._make_session() as s:
            row = s.execute(
                select(LaunchState.value).where(
                    LaunchState.key == key, LaunchState.expires_at > utcnow()
                )
            ).first()
            return None if row is None else row[0]

    def take(self, key: str) -> Any:
        # DELETE … RETURNING is atomic on PostgreSQL and SQLite: of two racing launches with
        # the same nonce, exactly one gets the row back.
        if "\x00" in key:
            return None
        with self._make_session() as s, s.begin():
            row = s.execute(
                delete(LaunchState)
                .where(LaunchState.key == key)
                .returning(LaunchState.value, LaunchState.expires_at)
            ).first()
        if row is None or row[1] <= utcnow():
            return None
        return row[0]

    def purge_expired(self) -> int:
        with self._make_session() as s, s.begin():
            result = s.execute(delete(LaunchState).where(LaunchState.expires_at <= utcnow()))
            return int(getattr(result, "rowcount", 0) or 0)


def _upsert(dialect: str, key: str, value: Any, expires: datetime) -> Any:
    """INSERT … ON CONFLICT (key) DO UPDATE, in the two dialects Driehoek runs on."""
    if dialect == "postgresql":
        pg = postgresql.insert(LaunchState).values(key=key, value=value, expires_at=expires)
        return pg.on_conflict_do_update(
            index_elements=[LaunchState.key],
            set_={"value": pg.excluded.value, "expires_at": pg.excluded.expires_at},
        )
    if dialect == "sqlite":
        lite = sqlite.insert(LaunchState).values(key=key, value=value, expires_at=expires)
        return lite.on_conflict_do_update(
            index_elements=[LaunchState.key],
            set_={"value": lite.excluded.value, "expires_at": lite.excluded.expires_at},
        )
    raise NotImplementedError(f"launch state on {dialect} is not supported")


class RedisStateStore:
    def __init__(self, client: Any, prefix: str = "driehoek:launch:"):
        self._redis = client
        self._prefix = prefix

    def put(self, key: str, value: Any, ttl: int) -> None:
        self._redis.set(self._prefix + key, json.dumps(value), ex=ttl)

    def get(self, key: str) -> Any:
        raw = self._redis.get(self._prefix + key)
        return None if raw is None else json.loads(raw)

    def take(self, key: str) -> Any:
        raw = self._redis.getdel(self._prefix + key)
        return None if raw is None else json.loads(raw)

    def purge_expired(self) -> int:
        return 0  # Redis expires keys itself.
