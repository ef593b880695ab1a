"""The failures the sandbox's score service was told to inject (set on the gradebook page), and
those it injected, kept in ``ags_store``'s file so that every process spends them: a failure
"for the next 3 requests" is taken in the request's own write transaction, exactly three times.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from lti_app import clock
from lti_app.sandbox.ags_store import moment, stamp

FAULT_KINDS = ("500", "429", "hang")


@dataclass(frozen=True)
class Fault:
    id: int
    kind: str
    remaining: int
    retry_after: int
    hang_seconds: float
    created_at: datetime


@dataclass(frozen=True)
class Injected:
    kind: str
    line_item_id: int | None
    at: datetime


def add_fault(
    con: sqlite3.Connection, kind: str, count: int, retry_after: int = 0, hang_seconds: float = 0
) -> None:
    if kind not in FAULT_KINDS or count < 1:
        raise ValueError(kind)
    con.execute(
        "INSERT INTO fault (kind, remaining, retry_after, hang_seconds, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (kind, count, retry_after, hang_seconds, stamp(clock.now())),
    )


def faults(con: sqlite3.Connection) -> list[Fault]:
    rows = con.execute("SELECT * FROM fault WHERE remaining > 0 ORDER BY id")
    return [
        Fault(
            r["id"],
            r["kind"],
            r["remaining"],
            r["retry_after"],
            r["hang_seconds"],
            moment(r["created_at"]),
        )
        for r in rows
    ]


def clear_faults(con: sqlite3.Connection) -> None:
    con.execute("DELETE FROM fault")


def take_fault(con: sqlite3.Connection, item_id: int | None) -> Fault | None:
    """The failure this request must meet, if any is still due: spent and logged at once."""
    found = faults(con)
    if not found:
        return None
    fault = found[0]
    con.execute("UPDATE fault SET remaining = remaining - 1 WHERE id = ?", (fault.id,))
    con.execute(
        "INSERT INTO injected (kind, line_item_id, at) VALUES (?, ?, ?)",
        (fault.kind, item_id, stamp(clock.now())),
    )
    return fault


def injected(con: sqlite3.Connection, limit: int = 100) -> list[Injected]:
    rows = con.execute("SELECT * FROM injected ORDER BY id DESC LIMIT ?", (limit,))
    return [Injected(r["kind"], r["line_item_id"], moment(r["at"])) for r in rows]
