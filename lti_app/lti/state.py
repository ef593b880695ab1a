"""Short-lived launch state shared by every app server: the database, or Redis when configured.

Login and launch may reach different processes, so nothing here lives in process memory.
``take`` reads and deletes in one step, which is what makes a nonce single-use.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from lti_app.db import UTCDateTime, utcnow
from lti_app.lti.models import LaunchState


class StateStore(Protocol):
    def put(self, key: str, value: Any, ttl: int) -> None: ...
    def get(self, key: str) -> Any: ...
    def take(self, key: str) -> Any: ...
    def purge_expired(self) -> int: ...


class DatabaseStateStore:
    """Each call commits in a transaction of its own, so a failed launch cannot roll back a
    nonce. Plain connections (no ORM session): the login and the launch pay one statement each.

    On PostgreSQL ``put`` commits without waiting for the WAL flush (``synchronous_commit``
    off for that transaction): a state lost in a crash only means the person launches again.
    ``take`` waits as usual, so a spent nonce stays spent. It keeps its own commit, apart from
    the launch's: it costs about 0.1 ms, and sharing the launch's transaction would let a launch
    that fails after the spend roll its nonce back (and hold SQLite's write lock through it).
    """

    def __init__(self, make_session: sessionmaker[Session]):
        self._make_session = make_session
        self._engine: Engine = make_session.kw["bind"]

    def put(self, key: str, value: Any, ttl: int) -> None:
        # One upsert statement: two launches caching the same key set at once must not
        # collide on the primary key (a read-then-insert did, with a 500 for one of them).
        expires = utcnow() + timedelta(seconds=ttl)
        dialect = self._engine.dialect.name
        with self._engine.begin() as conn:
            if dialect == "postgresql":
                conn.execute(_NO_WAL_WAIT)
            conn.execute(_upsert(dialect), {"key": key, "value": value, "expires_at": expires})

    def get(self, key: str) -> Any:
        if "\x00" in key:  # from a request; PostgreSQL would refuse it with an error
            return None
        with self._engine.connect() as conn:
            row = conn.execute(_GET, {"key": key, "now": utcnow()}).first()
            conn.rollback()
        return None if row is None else row[0]

    def take(self, key: str) -> Any:
        # DELETE … RETURNING is atomic on PostgreSQL and SQLite: of two racing launches with
        # the same nonce, exactly one gets the row back.
        if "\x00" in key:
            return None
        with self._engine.begin() as conn:
            row = conn.execute(_TAKE, {"key": key}).first()
        if row is None or _aware(row[1]) <= utcnow():
            return None
        return row[0]

    def purge_expired(self) -> int:
        with self._make_session() as s, s.begin():
            result = s.execute(delete(LaunchState).where(LaunchState.expires_at <= utcnow()))
            return int(getattr(result, "rowcount", 0) or 0)


_STATE = cast(Table, LaunchState.__table__)
_NO_WAL_WAIT = text("SET LOCAL synchronous_commit = off")
_GET = select(_STATE.c.value).where(
    _STATE.c.key == bindparam("key"), _STATE.c.expires_at > bindparam("now", type_=UTCDateTime)
)
_TAKE = (
    delete(_STATE)
    .where(_STATE.c.key == bindparam("key"))
    .returning(_STATE.c.value, _STATE.c.expires_at)
)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@functools.cache
def _upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT (key) DO UPDATE, in the two dialects Driehoek runs on."""
    if dialect == "postgresql":
        pg = postgresql.insert(_STATE)
        return pg.on_conflict_do_update(
            index_elements=[_STATE.c.key],
            set_={"value": pg.excluded.value, "expires_at": pg.excluded.expires_at},
        )
    if dialect == "sqlite":
        lite = sqlite.insert(_STATE)
        return lite.on_conflict_do_update(
            index_elements=[_STATE.c.key],
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
