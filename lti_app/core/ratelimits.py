"""Rate limits kept in process memory (without Redis), without a thread per request.

``limits``' MemoryStorage starts a ``threading.Timer`` on every hit whose previous timer has
fired (10 ms after it started): on a server that is nearly every rate-limited request, and
starting a thread means waiting for the scheduler, which cost the login and the launch more
than their database work. Counters expire on read anyway (``get``); the timer only frees the
memory of expired keys. Here that cleanup runs inline, at most once every ``SWEEP_SECONDS``.

The limits themselves are the same: the same storage, counting and expiring the same way.
"""

from __future__ import annotations

import threading
import time

from limits.storage import MemoryStorage

SCHEME = "driehoek-memory"
SWEEP_SECONDS = 1.0


class SweptMemoryStorage(MemoryStorage):
    """``memory://`` with the expiry sweep inline (use ``driehoek-memory://``)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._next_sweep = 0.0
        self._sweeping = threading.Lock()

    # Overrides the name-mangled private method MemoryStorage.__schedule_expiry.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep or not self._sweeping.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + SWEEP_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
        finally:
            self._sweeping.release()
