"""Launch state stores (lti_app/lti/state.py): the database one and the Redis one behave alike.

What a launch relies on: a value put is read back until it expires; ``take`` hands it out once,
even to racing launches; expired state is never handed out and can be purged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from lti_app.db import utcnow
from lti_app.lti.models import LaunchState
from lti_app.lti.state import DatabaseStateStore, RedisStateStore

LAUNCH_DATA = {
    "sub": "student-1",
    "https://purl.imsglobal.org/spec/lti/claim/roles": ["Learner"],
    "nested": {"list": [1, 2.5, None, True], "text": "Stagebegeleider é ü"},
}


def race(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work`` in n threads released at once; return results (or the exceptions raised)."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


# -- the database store -------------------------------------------------------------------------


@pytest.fixture
def db_store(app: Flask) -> DatabaseStateStore:
    return DatabaseStateStore(app.extensions["db_sessionmaker"])


def expire_now(app: Flask, key: str) -> None:
    with app.extensions["db_sessionmaker"]() as s, s.begin():
        s.execute(
            update(LaunchState)
            .where(LaunchState.key == key)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )


def stored_keys(app: Flask) -> set[str]:
    with app.extensions["db_sessionmaker"]() as s:
        return set(s.scalars(select(LaunchState.key)))


@pytest.mark.parametrize(
    "value", [LAUNCH_DATA, True, "state-1", ["a", "b"], 0], ids=["dict", "true", "str", "list", "0"]
)
def test_database_put_then_get_returns_the_value(db_store: DatabaseStateStore, value: Any) -> None:
    db_store.put("k", value, 60)

    assert db_store.get("k") == value
    assert db_store.get("k") == value  # get does not spend


def test_database_get_of_an_unknown_key_is_none(db_store: DatabaseStateStore) -> None:
    assert db_store.get("never-put") is None
    assert db_store.take("never-put") is None


def test_database_key_with_a_nul_character_finds_nothing(db_store: DatabaseStateStore) -> None:
    """Keys come from requests; PostgreSQL refuses NUL in text, which must not become a 500."""
    db_store.put("state-1", "params", 60)

    assert db_store.get("state-1\x00") is None
    assert db_store.take("state-1\x00") is None
    assert db_store.get("state-1") == "params"


def test_database_put_again_replaces_value_and_expiry(app: Flask, db_store) -> None:
    db_store.put("k", "first", 60)
    expire_now(app, "k")

    db_store.put("k", "second", 60)

    assert db_store.get("k") == "second"
    assert stored_keys(app) == {"k"}


def test_database_take_hands_the_value_out_once(app: Flask, db_store) -> None:
    db_store.put("nonce", True, 60)

    assert db_store.take("nonce") is True
    assert db_store.take("nonce") is None
    assert db_store.get("nonce") is None
    assert stored_keys(app) == set()


def test_database_expired_value_is_not_handed_out(app: Flask, db_store) -> None:
    db_store.put("k", LAUNCH_DATA, 60)
    expire_now(app, "k")

    assert db_store.get("k") is None
    assert db_store.take("k") is None


def test_database_ttl_is_honoured(
    db_store: DatabaseStateStore, set_clock: Callable[..., datetime]
) -> None:
    put_at = set_clock(utcnow())
    db_store.put("short", "v", 1)
    db_store.put("long", "v", 600)

    set_clock(put_at + timedelta(milliseconds=999))
    assert db_store.get("short") == "v"

    set_clock(put_at + timedelta(seconds=1))
    assert db_store.get("short") is None
    assert db_store.take("short") is None
    assert db_store.get("long") == "v"


def test_database_purge_removes_only_expired_state(app: Flask, db_store) -> None:
    for key in ("old-1", "old-2", "fresh"):
        db_store.put(key, key, 60)
    expire_now(app, "old-1")
    expire_now(app, "old-2")

    assert db_store.purge_expired() == 2
    assert stored_keys(app) == {"fresh"}
    assert db_store.purge_expired() == 0


def test_database_racing_takes_get_the_value_exactly_once(db_store: DatabaseStateStore) -> None:
    db_store.put("nonce", True, 60)

    results = race(8, lambda _: db_store.take("nonce"))

    assert results.count(True) == 1, results
    assert results.count(None) == 7, results


def test_database_racing_puts_of_one_key_all_succeed(db_store: DatabaseStateStore) -> None:
    """Two launches caching the platform's key set at once must not fail on the primary key."""
    results = race(8, lambda i: db_store.put("key-set", {"writer": i}, 60))

    assert results == [None] * 8, results
    assert db_store.get("key-set")["writer"] in range(8)


def test_database_a_failed_request_does_not_roll_back_a_spent_nonce(
    app: Flask, db_store: DatabaseStateStore
) -> None:
    """Each call commits on its own: the request's session rolling back changes nothing."""
    db_store.put("nonce", True, 60)
    with app.extensions["db_sessionmaker"]() as request_session:
        request_session.begin()
        assert db_store.take("nonce") is True
        request_session.rollback()

    assert db_store.get("nonce") is None


# -- the Redis store ----------------------------------------------------------------------------


@pytest.fixture
def redis_client(redis_db: str) -> Iterator[Any]:
    import redis

    client = redis.Redis.from_url(redis_db)
    yield client
    client.close()


@pytest.fixture
def redis_store(redis_client: Any) -> RedisStateStore:
    return RedisStateStore(redis_client)


@pytest.mark.parametrize(
    "value", [LAUNCH_DATA, True, "state-1", ["a", "b"], 0], ids=["dict", "true", "str", "list", "0"]
)
def test_redis_put_then_get_returns_the_value(redis_store: RedisStateStore, value: Any) -> None:
    redis_store.put("k", value, 60)

    assert redis_store.get("k") == value
    assert redis_store.get("k") == value


def test_redis_get_of_an_unknown_key_is_none(redis_store: RedisStateStore) -> None:
    assert redis_store.get("never-put") is None
    assert redis_store.take("never-put") is None


def test_redis_take_hands_the_value_out_once(redis_store: RedisStateStore) -> None:
    redis_store.put("nonce", True, 60)

    assert redis_store.take("nonce") is True
    assert redis_store.take("nonce") is None
    assert redis_store.get("nonce") is None


def test_redis_put_sets_the_expiry(redis_store: RedisStateStore, redis_client: Any) -> None:
    redis_store.put("k", "v", 600)

    assert 590 <= redis_client.ttl("driehoek:launch:k") <= 600


def test_redis_put_sets_a_short_expiry_as_asked(
    redis_store: RedisStateStore, redis_client: Any
) -> None:
    redis_store.put("short", "v", 1)

    assert 0 < redis_client.pttl("driehoek:launch:short") <= 1000


def test_redis_expired_value_is_not_handed_out(
    redis_store: RedisStateStore, redis_client: Any
) -> None:
    redis_store.put("short", "v", 1)
    redis_store.put("long", "v", 600)
    redis_client.pexpireat("driehoek:launch:short", 1)  # its moment came long ago

    assert redis_store.get("short") is None
    assert redis_store.take("short") is None
    assert redis_store.get("long") == "v"


def test_redis_put_again_replaces_value_and_expiry(redis_store, redis_client: Any) -> None:
    redis_store.put("k", "first", 1)
    redis_store.put("k", "second", 600)

    assert redis_store.get("k") == "second"
    assert redis_client.ttl("driehoek:launch:k") > 1


def test_redis_keys_stay_under_their_prefix(redis_client: Any) -> None:
    one = RedisStateStore(redis_client, prefix="one:")
    two = RedisStateStore(redis_client, prefix="two:")
    one.put("k", "from one", 60)

    assert two.get("k") is None
    assert one.get("k") == "from one"
    assert set(redis_client.keys("*")) == {b"one:k"}


def test_redis_racing_takes_get_the_value_exactly_once(redis_store: RedisStateStore) -> None:
    redis_store.put("nonce", True, 60)

    results = race(8, lambda _: redis_store.take("nonce"))

    assert results.count(True) == 1, results
    assert results.count(None) == 7, results


def test_redis_purge_has_nothing_to_do(redis_store: RedisStateStore) -> None:
    redis_store.put("k", "v", 60)

    assert redis_store.purge_expired() == 0
    assert redis_store.get("k") == "v"
