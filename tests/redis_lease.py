"""A Redis database of the test run's own: two runs on one machine never flush each other's."""

from __future__ import annotations

import os
import secrets
import socket
import threading
from urllib.parse import urlsplit, urlunsplit

import redis

REDIS_LEASE_KEY = "driehoek-tests:db:{}"  # in database 0: who holds database n
REDIS_USED_KEY = "driehoek-tests:used:{}"  # in database 0: database n once held test data
REDIS_LEASE_SECONDS = 120
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisLease:
    """One database number (1-15) of a Redis server, this test run's alone until released.

    Two runs on one machine flush the database they test in; a lease keeps them apart. It is
    a key in database 0, set only where absent (``SET … NX EX``) and renewed by a thread while
    the run lasts, so a run that was killed frees its number within two minutes. A database
    that holds keys without ever having been a test database is someone else's: passed by.
    """

    def __init__(self, server_url: str, number: int, holder: str, control: redis.Redis) -> None:
        self.number = number
        self.url = _redis_url(server_url, number)
        self.lost = False
        self._holder = holder
        self._control = control
        self._stop = threading.Event()
        self._renewer = threading.Thread(target=self._renew, name="redis-lease", daemon=True)
        self._renewer.start()

    @classmethod
    def claim(cls, server_url: str) -> RedisLease:
        """Lease the first free database number and empty that database.

        :raise redis.ConnectionError: no Redis answers at ``server_url``.
        :raise RuntimeError: every number is leased to another run or holds others' keys.
        """
        holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        control = redis.Redis.from_url(_redis_url(server_url, 0), socket_connect_timeout=3)
        try:
            control.ping()
            passed_by = []
            for number in range(1, 16):
                lease = REDIS_LEASE_KEY.format(number)
                if not control.set(lease, holder, nx=True, ex=REDIS_LEASE_SECONDS):
                    passed_by.append(f"{number}: leased to {control.get(lease)!r}")
                    continue
                with redis.Redis.from_url(_redis_url(server_url, number)) as db:
                    try:
                        size = db.dbsize()
                    except redis.ResponseError:  # the server has fewer databases
                        control.delete(lease)
                        break
                    if size and not control.exists(REDIS_USED_KEY.format(number)):
                        control.delete(lease)
                        passed_by.append(f"{number}: holds keys of someone else")
                        continue
                    control.set(REDIS_USED_KEY.format(number), "1")
                    db.flushdb()
                return cls(server_url, number, holder, control)
        except BaseException:
            control.close()
            raise
        control.close()
        raise RuntimeError(
            f"no Redis database of {server_url} is free for this test run ({'; '.join(passed_by)})"
        )

    def _renew(self) -> None:
        renew = self._control.register_script(_RENEW)
        key = REDIS_LEASE_KEY.format(self.number)
        while not self._stop.wait(REDIS_LEASE_SECONDS / 4):
            try:
                if not renew(keys=[key], args=[self._holder, REDIS_LEASE_SECONDS]):
                    self.lost = True
                    return
            except redis.RedisError:
                pass  # Redis away for a moment: the next turn tries again, well within the lease

    def release(self) -> None:
        """Empty the database and give its number back. Idempotent."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._renewer.join()
        try:
            if not self.lost:
                with redis.Redis.from_url(self.url) as db:
                    db.flushdb()
                release = self._control.register_script(_RELEASE)
                release(keys=[REDIS_LEASE_KEY.format(self.number)], args=[self._holder])
        finally:
            self._control.close()


def _redis_url(server_url: str, number: int) -> str:
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{number}"))
