"""Do 1,000 released grades reach the gradebook, each exactly once, also when the LMS fails?

Run from the repository root::

    .venv/bin/python -m bench.grades                      # SQLite in a temporary directory
    createdb -h 127.0.0.1 -U postgres drie_bench_grades
    .venv/bin/python -m bench.grades --database-url postgresql://postgres@127.0.0.1:5432/drie_bench_grades

The app runs in this process (``create_app``, schema by the migrations); so does the platform: a
threaded HTTP server on loopback with a token endpoint (client_credentials, any assertion) and
the scores endpoint of one line item, which counts every score per (userId, timestamp), so a
score that arrives twice is seen. One course of ``--grades`` (1,000) students; each student's
grade is released with ``release_score`` (the release's transaction, untimed), then the default
worker (``lti_app.jobs.worker.Worker``, one process, ``run(once=True)``: until nothing is due)
delivers them. After ``--warmup`` (50) grades delivered unmeasured, that happens twice, each time
to a line item of its own:

1. **clean**: the platform takes every score (``seconds``, ``delivered``, ``duplicates``);
2. **faulty**: ``--failure-rate`` (30 %) of its answers fail, not applied: 500s, 503s and 429s
   with ``Retry-After`` 0 or 1 s, and a few hangs past the tool's outbound timeout (set to
   ``--timeout`` s, so a hang costs that and not ten seconds). Waits (Retry-After, backoff) are
   not slept through: when nothing is due, the app's clock jumps to the next due job and the
   worker runs again, so ``faulty_seconds`` is the work of the retries, not their waiting.

``delivered`` counts students whose newest grade the gradebook shows; ``duplicates`` the
scores received more than once (same user, same timestamp). Both runs must deliver every grade
and no duplicate. The last line is one JSON object; the full figures go to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from bench.launch import database_label, git_commit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
GOAL_SECONDS = 10.0


class Gradebook:
    """The platform: a token endpoint and the scores endpoints of line items, on loopback."""

    def __init__(self, failure_rate: float, hang_seconds: float, seed: int):
        self.failure_rate = failure_rate
        self.hang_seconds = hang_seconds
        self.random = random.Random(seed)
        self.token = secrets.token_urlsafe(24)
        self.lock = threading.Lock()
        self.received: dict[str, Counter[tuple[str, str]]] = {}
        self.latest: dict[str, dict[str, Any]] = {}  # line item path → userId → score
        self.answers: Counter[str] = Counter()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def line_item(self, name: str) -> str:
        self.received[f"/lineitems/{name}/scores"] = Counter()
        return f"{self.base}/lineitems/{name}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _fault(self) -> tuple[int, dict[str, str], float] | None:
        with self.lock:
            roll = self.random.random()
            if roll >= self.failure_rate:
                return None
            part = roll / self.failure_rate  # where in the failing share: which failure
            wait = str(self.random.choice((0, 1)))
        if part < 0.03:
            return 504, {}, self.hang_seconds  # a hang: the tool gives up first
        if part < 0.40:
            return 500, {}, 0.0
        if part < 0.65:
            return 503, {"Retry-After": wait}, 0.0
        return 429, {"Retry-After": wait}, 0.0

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        book = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as platforms behind a proxy answer
            # Head and body in one write: two small writes on a kept-alive connection wait for
            # the client's delayed ACK (40 ms each), which would be the bench measuring itself.
            wbufsize = 64 * 1024

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.path == "/token":
                    answer = {
                        "access_token": book.token,
                        "token_type": "Bearer",
                        "expires_in": 3600,
                    }
                    return self._send(200, {"Content-Type": "application/json"}, answer)
                if self.path not in book.received:
                    return self._send(404, {}, {"error": "no such line item"})
                if self.headers.get("Authorization") != f"Bearer {book.token}":
                    return self._send(401, {}, {"error": "unauthorized"})
                fault = book._fault()
                if fault is not None:
                    status, headers, hang = fault
                    with book.lock:
                        book.answers[str(status)] += 1
                    if hang:
                        time.sleep(hang)
                    return self._send(status, headers, {"error": "injected"})
                score = json.loads(body)
                key = (str(score["userId"]), str(score["timestamp"]))
                with book.lock:
                    book.answers["204"] += 1
                    book.received[self.path][key] += 1
                    latest = book.latest.setdefault(self.path, {})
                    if key[0] not in latest or key[1] > latest[key[0]]["timestamp"]:
                        latest[key[0]] = score
                return self._send(204, {}, None)

            def _send(self, status: int, headers: dict[str, str], body: Any) -> None:
                payload = b"" if body is None else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the tool hung up (it timed out): nothing to answer to

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def figures(
        self, line_item_url: str, subs: list[str], grades: dict[str, float]
    ) -> dict[str, int]:
        path = line_item_url.removeprefix(self.base) + "/scores"
        counts = self.received[path]
        latest = self.latest.get(path, {})
        delivered = sum(1 for sub in subs if latest.get(sub, {}).get("scoreGiven") == grades[sub])
        return {
            "delivered": delivered,
            "duplicates": sum(n - 1 for n in counts.values() if n > 1),
            "received": sum(counts.values()),
        }


def run(args: argparse.Namespace, progress: Callable[[str], None]) -> dict[str, Any]:
    from alembic import command

    from lti_app import clock, create_app, db
    from lti_app.cli import alembic_config
    from lti_app.grading.models import LineItem, ScoreSync
    from lti_app.grading.service import SEND_KIND, line_item_for, release_score
    from lti_app.jobs.models import Job, JobState
    from lti_app.jobs.worker import Worker
    from lti_app.lti.registration import add_platform
    from lti_app.roster.models import Course, Person

    with tempfile.TemporaryDirectory(prefix="driehoek-bench-grades-") as tmp:
        book = Gradebook(args.failure_rate, args.timeout * 2, args.seed)
        app = create_app(
            {
                "DRIEHOEK_ENV": "test",
                "DATABASE_URL": args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
                "BASE_URL": "http://tool.bench",
                "SECRET_KEY": "bench-" + "x" * 40,
                "INSTANCE_PATH": tmp,
                "LOG_LEVEL": "ERROR",
            }
        )
        # Seconds, not the setting's whole ones: a hang costs this much.
        app.config["HTTP_TIMEOUT_SECONDS"] = args.timeout
        database_url = app.config["DATABASE_URL"]
        command.upgrade(alembic_config(database_url), "head")
        make_session = app.extensions["db_sessionmaker"]
        run_id = f"{os.getpid()}-{int(time.time())}"
        rng = random.Random(args.seed)
        try:
            with app.app_context():
                s = db.session()
                platform = add_platform(
                    s,
                    issuer=book.base,
                    client_id=f"bench-grades-{run_id}",
                    deployment_ids=["bench"],
                    auth_login_url=book.base + "/auth",
                    auth_token_url=book.base + "/token",
                    key_set_url=book.base + "/jwks.json",
                    name="Bench gradebook",
                )
                course = Course(
                    platform_id=platform.id,
                    context_id=f"bench-grades-{run_id}",
                    ags_lineitems_url=book.base + "/lineitems",
                )
                s.add(course)
                s.flush()
                subs = [f"grades-{run_id}-{n:05d}" for n in range(args.grades)]
                s.execute(
                    insert(Person),
                    [
                        {"issuer": book.base, "sub": sub, "name": f"Student {n}"}
                        for n, sub in enumerate(subs)
                    ],
                )
                s.commit()
                course_id = course.id

            def release_all(name: str, subs: list[str]) -> tuple[str, dict[str, float], float]:
                url = book.line_item(name)
                grades = {sub: float(rng.randint(8, 20)) for sub in subs}
                start = time.perf_counter()
                with app.app_context():
                    s = db.session()
                    course = s.get(Course, course_id)
                    assert course is not None
                    item = line_item_for(
                        s, course=course, resource_id=f"bench-{name}", label=name, score_maximum=20
                    )
                    item.url = url
                    people = {
                        p.sub: p for p in s.scalars(select(Person).where(Person.sub.in_(subs)))
                    }
                    for sub in subs:
                        release_score(
                            s,
                            line_item=item,
                            student=people[sub],
                            score_given=grades[sub],
                            score_maximum=20,
                            comment="Goed gereflecteerd.",
                            released_by=None,
                            review_url=f"http://tool.bench/review/{sub}",
                        )
                    s.commit()
                return url, grades, time.perf_counter() - start

            def deliver() -> tuple[float, int]:
                """The default worker until nothing waits; the clock jumps over waits."""
                start, cpu = time.perf_counter(), time.process_time()
                rounds = 0
                with app.app_context():
                    worker = Worker(make_session, poll_seconds=0.01)
                    while True:
                        rounds += 1
                        worker.run(once=True)
                        with make_session() as s:
                            due = s.scalar(
                                select(func.min(Job.run_after)).where(
                                    Job.kind == SEND_KIND, Job.state == JobState.QUEUED
                                )
                            )
                        if due is None:
                            break
                        if due > clock.now():
                            clock.run_from(due)
                clock.set_shift(timedelta(0))
                return time.perf_counter() - start, time.process_time() - cpu, rounds

            # Unmeasured: the tool's key, the token, the statement caches, the connections.
            progress(f"warming up with {args.warmup} grades")
            book.failure_rate = 0.0
            release_all("warmup", subs[: args.warmup])
            deliver()
            result: dict[str, Any] = {}
            for label, rate in (("clean", 0.0), ("faulty", args.failure_rate)):
                book.failure_rate = rate
                progress(f"{label}: releasing {args.grades} grades")
                url, grades, release_seconds = release_all(label, subs)
                progress(f"{label}: delivering")
                seconds, cpu_seconds, rounds = deliver()
                figures = book.figures(url, subs, grades)
                with make_session() as s:
                    states = Counter(
                        str(state)
                        for state in s.scalars(
                            select(ScoreSync.state).join(LineItem).where(LineItem.url == url)
                        )
                    )
                result[label] = {
                    "seconds": round(seconds, 3),
                    "cpu_seconds": round(cpu_seconds, 3),  # this process: tool and platform
                    "release_seconds": round(release_seconds, 3),
                    "rounds": rounds,
                    "states": dict(states),
                    **figures,
                }
                progress(
                    f"{label}: {figures['delivered']} delivered, {figures['duplicates']} duplicates,"
                    f" {figures['received']} received in {seconds:.2f} s ({cpu_seconds:.2f} s CPU)"
                )
        finally:
            clock.set_shift(timedelta(0))
            book.close()
            app.extensions["db_engine"].dispose()
    answers = dict(book.answers)
    return {
        "seconds": result["clean"]["seconds"],
        "delivered": result["clean"]["delivered"],
        "duplicates": result["clean"]["duplicates"],
        "faulty_seconds": result["faulty"]["seconds"],
        "faulty_delivered": result["faulty"]["delivered"],
        "faulty_duplicates": result["faulty"]["duplicates"],
        "grades": args.grades,
        "goal_seconds": GOAL_SECONDS,
        "database": database_label(database_url),
        "failure_rate": args.failure_rate,
        "timeout_seconds": args.timeout,
        "platform_answers": answers,
        "runs": result,
        "commit": git_commit(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--grades", type=int, default=1000, help="students, one grade each")
    parser.add_argument("--failure-rate", type=float, default=0.3, help="of the faulty run")
    parser.add_argument("--timeout", type=float, default=0.3, help="the tool's outbound timeout")
    parser.add_argument("--warmup", type=int, default=50, help="grades delivered unmeasured")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    def progress(message: str) -> None:
        print(message, flush=True)

    result = run(args, progress)
    args.results.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.results / f"grades-{result['database']}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2))
    ok = all(
        (
            result["delivered"] == result["faulty_delivered"] == args.grades,
            result["duplicates"] == result["faulty_duplicates"] == 0,
        )
    )
    print(f"written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    print(
        json.dumps(
            {k: result[k] for k in list(result)[:6]} | {"ok": ok, "database": result["database"]}
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
