"""What the sandbox LMS keeps of its gradebook: the course's links, line items, the newest score
per student, every score request it received, and (read and written by ``ags_faults``) the
failures it was told to inject.

It lives in a small SQLite file in the app's instance folder (``sandbox_lms.sqlite3``), through
the standard library's ``sqlite3``, for three reasons:

- not process memory: the tool's worker, `make run`'s threads and several gunicorn workers all
  reach the sandbox over HTTP, and any of them may answer; the file is the one truth;
- not the tool's database: the sandbox plays another system, whose rows must not mix with the
  tool's tables, migrations or the test suite's table wipes;
- SQLite's file lock serialises writers across processes: every change runs in one
  ``BEGIN IMMEDIATE`` transaction, so a failure injected "for the next 3 requests" is spent
  exactly three times, and two score requests for one student cannot both be "the newest".

Times are stored as UTC ISO strings of one fixed shape (microseconds, ``+00:00``), which sort as
the moments they name; score timestamps are compared that way (AGS 2.0 §3.4.7: a score older
than the one on record is ignored).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app

from lti_app import clock

FILE_NAME = "sandbox_lms.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS link (
    id TEXT PRIMARY KEY, course_id TEXT NOT NULL, title TEXT NOT NULL, url TEXT NOT NULL,
    custom TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS line_item (
    id INTEGER PRIMARY KEY AUTOINCREMENT, course_id TEXT NOT NULL, label TEXT NOT NULL,
    score_maximum REAL NOT NULL, resource_id TEXT NOT NULL DEFAULT '',
    tag TEXT NOT NULL DEFAULT '', resource_link_id TEXT, extra TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS score (
    line_item_id INTEGER NOT NULL, user_id TEXT NOT NULL, body TEXT NOT NULL,
    timestamp TEXT NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY (line_item_id, user_id));
CREATE TABLE IF NOT EXISTS score_post (
    id INTEGER PRIMARY KEY AUTOINCREMENT, line_item_id INTEGER NOT NULL, user_id TEXT NOT NULL,
    timestamp TEXT NOT NULL, received_at TEXT NOT NULL, outcome TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fault (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, remaining INTEGER NOT NULL,
    retry_after INTEGER NOT NULL DEFAULT 0, hang_seconds REAL NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS injected (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, line_item_id INTEGER,
    at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS spent (key TEXT PRIMARY KEY, at TEXT NOT NULL);
"""
# What became of a score request (score_post.outcome).
STORED, IGNORED_OLDER, SAME_TIMESTAMP = "stored", "ignored: older", "ignored: same timestamp"


def stamp(moment: datetime) -> str:
    """A moment as stored: UTC, microseconds, so that strings sort as moments."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _path() -> Path:
    return Path(current_app.instance_path) / FILE_NAME


@contextmanager
def connect(write: bool = False) -> Iterator[sqlite3.Connection]:
    """One connection for one request; ``write`` takes the file's write lock at once."""
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    con.row_factory = sqlite3.Row
    try:
        con.execute("PRAGMA busy_timeout = 30000")
        # Readers (the gradebook page) and the one writer do not wait for each other.
        con.execute("PRAGMA journal_mode = WAL")
        con.executescript(SCHEMA)
        con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        con.close()


# -- links and line items -------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    id: str
    course_id: str
    title: str
    url: str
    custom: dict[str, str]


@dataclass(frozen=True)
class LineItem:
    id: int
    course_id: str
    label: str
    score_maximum: float
    resource_id: str
    tag: str
    resource_link_id: str | None
    extra: dict[str, Any]


def _link(row: sqlite3.Row) -> Link:
    return Link(row["id"], row["course_id"], row["title"], row["url"], json.loads(row["custom"]))


def _item(row: sqlite3.Row) -> LineItem:
    return LineItem(
        id=row["id"],
        course_id=row["course_id"],
        label=row["label"],
        score_maximum=row["score_maximum"],
        resource_id=row["resource_id"],
        tag=row["tag"],
        resource_link_id=row["resource_link_id"],
        extra=json.loads(row["extra"]),
    )


def add_link(
    con: sqlite3.Connection, course_id: str, title: str, url: str, custom: dict[str, str]
) -> Link:
    """A new link in the course, with the resource link id the LMS gives it."""
    link = Link("link-" + uuid.uuid4().hex[:12], course_id, title, url, custom)
    con.execute(
        "INSERT INTO link (id, course_id, title, url, custom, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (link.id, course_id, title, url, json.dumps(custom), stamp(clock.now())),
    )
    return link


def links(con: sqlite3.Connection, course_id: str) -> list[Link]:
    rows = con.execute(
        "SELECT * FROM link WHERE course_id = ? ORDER BY created_at, id", (course_id,)
    )
    return [_link(r) for r in rows]


def link(con: sqlite3.Connection, link_id: str) -> Link | None:
    row = con.execute("SELECT * FROM link WHERE id = ?", (link_id,)).fetchone()
    return _link(row) if row else None


def add_line_item(
    con: sqlite3.Connection,
    course_id: str,
    *,
    label: str,
    score_maximum: float,
    resource_id: str = "",
    tag: str = "",
    resource_link_id: str | None = None,
    extra: dict[str, Any] | None = None,
) -> LineItem:
    cursor = con.execute(
        "INSERT INTO line_item (course_id, label, score_maximum, resource_id, tag, "
        "resource_link_id, extra, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            course_id,
            label,
            score_maximum,
            resource_id,
            tag,
            resource_link_id,
            json.dumps(extra or {}),
            stamp(clock.now()),
        ),
    )
    found = line_item(con, course_id, int(cursor.lastrowid or 0))
    assert found is not None
    return found


def update_line_item(con: sqlite3.Connection, item: LineItem) -> None:
    con.execute(
        "UPDATE line_item SET label = ?, score_maximum = ?, resource_id = ?, tag = ?, "
        "resource_link_id = ?, extra = ? WHERE id = ?",
        (
            item.label,
            item.score_maximum,
            item.resource_id,
            item.tag,
            item.resource_link_id,
            json.dumps(item.extra),
            item.id,
        ),
    )


def line_item(con: sqlite3.Connection, course_id: str, item_id: int) -> LineItem | None:
    row = con.execute(
        "SELECT * FROM line_item WHERE id = ? AND course_id = ?", (item_id, course_id)
    ).fetchone()
    return _item(row) if row else None


def line_items(
    con: sqlite3.Connection,
    course_id: str,
    *,
    resource_link_id: str | None = None,
    resource_id: str | None = None,
    tag: str | None = None,
) -> list[LineItem]:
    """The course's line items, oldest first, filtered as AGS 2.0 §3.2.5 lets a tool ask."""
    sql = "SELECT * FROM line_item WHERE course_id = ?"
    args: list[Any] = [course_id]
    for column, value in (
        ("resource_link_id", resource_link_id),
        ("resource_id", resource_id),
        ("tag", tag),
    ):
        if value is not None:
            sql += f" AND {column} = ?"
            args.append(value)
    return [_item(r) for r in con.execute(sql + " ORDER BY id", args)]


# -- scores ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    line_item_id: int
    user_id: str
    body: dict[str, Any]
    timestamp: datetime
    received_at: datetime


def _score(row: sqlite3.Row) -> Score:
    return Score(
        row["line_item_id"],
        row["user_id"],
        json.loads(row["body"]),
        moment(row["timestamp"]),
        moment(row["received_at"]),
    )


def record_score(
    con: sqlite3.Connection, item_id: int, user_id: str, timestamp: datetime, body: dict[str, Any]
) -> str:
    """Keep ``body`` as the student's score unless the one on record is as new or newer;
    every request is logged. Returns the outcome (``STORED`` or why it was ignored)."""
    when = stamp(timestamp)
    row = con.execute(
        "SELECT timestamp FROM score WHERE line_item_id = ? AND user_id = ?", (item_id, user_id)
    ).fetchone()
    now = stamp(clock.now())
    if row is not None and row["timestamp"] > when:
        outcome = IGNORED_OLDER
    elif row is not None and row["timestamp"] == when:
        # A tool must not send two scores with one timestamp (AGS 2.0 §3.4.7): a resend of
        # the same score, kept once.
        outcome = SAME_TIMESTAMP
    else:
        con.execute(
            "INSERT INTO score (line_item_id, user_id, body, timestamp, received_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (line_item_id, user_id) DO UPDATE SET "
            "body = excluded.body, timestamp = excluded.timestamp, "
            "received_at = excluded.received_at",
            (item_id, user_id, json.dumps(body), when, now),
        )
        outcome = STORED
    con.execute(
        "INSERT INTO score_post (line_item_id, user_id, timestamp, received_at, outcome) "
        "VALUES (?, ?, ?, ?, ?)",
        (item_id, user_id, when, now, outcome),
    )
    return outcome


def scores(
    con: sqlite3.Connection,
    course_id: str,
    item_id: int | None = None,
    user_id: str | None = None,
) -> list[Score]:
    """The newest score per student of the course's line items (or of one, or one student's)."""
    rows = con.execute(
        "SELECT score.* FROM score JOIN line_item ON line_item.id = score.line_item_id "
        "WHERE line_item.course_id = ? AND (? IS NULL OR score.line_item_id = ?) "
        "AND (? IS NULL OR score.user_id = ?) ORDER BY score.line_item_id, score.user_id",
        (course_id, item_id, item_id, user_id, user_id),
    )
    return [_score(r) for r in rows]


def post_counts(con: sqlite3.Connection, course_id: str) -> dict[tuple[int, str], dict[str, int]]:
    """Per (line item, student) of the course: how many score requests ended how."""
    counts: dict[tuple[int, str], dict[str, int]] = {}
    rows = con.execute(
        "SELECT score_post.line_item_id, user_id, outcome, COUNT(*) AS n FROM score_post "
        "JOIN line_item ON line_item.id = score_post.line_item_id WHERE line_item.course_id = ? "
        "GROUP BY score_post.line_item_id, user_id, outcome",
        (course_id,),
    )
    for r in rows:
        counts.setdefault((r["line_item_id"], r["user_id"]), {})[r["outcome"]] = r["n"]
    return counts


def spend(con: sqlite3.Connection, key: str) -> bool:
    """Whether ``key`` (a deep-linking response's nonce, say) is used here for the first time."""
    cursor = con.execute(
        "INSERT INTO spent (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
        (key, stamp(clock.now())),
    )
    return cursor.rowcount == 1
