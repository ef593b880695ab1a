"""How long does the coach's pipeline page take for a course of 300 students, compared with the
cheapest request the tool serves?

Run from the repository root (needs the test extra: lti1p3platform, factory_boy)::

    createdb -h 127.0.0.1 -U postgres driehoek_pipeline_bench
    .venv/bin/python -m bench.pipeline --database-url postgresql://postgres@127.0.0.1:5432/driehoek_pipeline_bench
    .venv/bin/python -m bench.pipeline                    # SQLite in a temporary directory

It starts gunicorn exactly as the Procfile does (config/gunicorn.conf.py, one gthread worker by
default), registers a TestLMS with ``flask platform add`` and launches a coach over real HTTP
(OIDC login → signed id_token → launch → the pipeline page). Then it fills that coach's course
with ``--students`` students through tests/factories, as a course looks mid-year: a quarter
without a placement, the rest proposed, returned or approved, at one of 20 schools, with one or
two mentors whose invitations are in every state, hours logged (approved and pending), and one
student in ten who left the course. The planner's statistics are refreshed (``ANALYZE``,
untimed), as autovacuum would.

Measured, alternately and over loopback HTTP with the coach's session cookie: ``GET /coach``
(the whole course, unfiltered: the heaviest page) and ``GET /healthz`` (one ``SELECT 1``), after
``--warmup`` unmeasured rounds. The **ratio** pipeline / healthz says how many cheapest requests
the page is worth on this machine in this run; the aim is a p95 within 10.

The PostgreSQL database must exist; the benchmark migrates it and adds a platform, a course and
people of its own each run (deleting nothing). Writes the figures as JSON to bench/results/
(gitignored) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as platform_module
import re
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select, text

from bench.launch import (
    BenchError,
    Timings,
    database_label,
    expect,
    git_commit,
    sign_launch,
    start_launch,
)
from lti_app.db import make_engine
from tests import factories
from tests.lms import INSTRUCTOR, Person, TestLMS
from tests.servers import (
    APP,
    GUNICORN_CONFIG,
    ROOT,
    GunicornServer,
    child_env,
    flask_cli,
    free_port,
    gunicorn_settings,
    registration_args,
)

RESULTS = ROOT / "bench" / "results"
SECRET = secrets.token_urlsafe(48)
# --gc-freeze: the project's gunicorn config plus a hook that moves everything loaded at start-up
# out of the collector's sight, so a full collection scans only what requests allocate.
FROZEN_CONFIG = f"""
exec(compile(open({str(GUNICORN_CONFIG)!r}).read(), {str(GUNICORN_CONFIG)!r}, "exec"))


def post_worker_init(worker):
    import gc

    gc.freeze()
"""


class _Server(GunicornServer):
    """A gunicorn server started with a config file of the benchmark's choosing."""

    config: Path = GUNICORN_CONFIG

    def start(self) -> _Server:
        env = child_env({"PORT": str(self.port), **self.settings})
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(self.config), APP],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self


def _sqlalchemy_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def launch_coach(base: str, lms: TestLMS, coach: Person) -> requests.Session:
    """A coach's browser after a real launch: it holds the session cookie."""
    pending = start_launch(base, lms, coach, "10.0.0.1", None)
    sign_launch(pending, lms, None)
    http = pending.http
    r = http.post(
        base + "/lti/launch",
        data={"id_token": pending.form["id_token"], "state": pending.form["state"]},
        headers=pending.headers,
        allow_redirects=False,
        timeout=30,
    )
    expect(r, 303, "launch")
    r = http.get(base + r.headers["Location"], allow_redirects=False, timeout=30)
    expect(r, 200, "coach page after launch")
    return http


def seed(database_url: str, lms: TestLMS, students: int) -> int:
    """Fill the launched coach's course (context ``course-1`` of this LMS); its id."""
    from lti_app.guests.models import InvitationState
    from lti_app.hours.models import HourState
    from lti_app.lti.models import Platform
    from lti_app.placements.models import PlacementState, Track
    from lti_app.roster.models import Course

    engine = make_engine(_sqlalchemy_url(database_url))
    try:
        from sqlalchemy.orm import Session

        with Session(engine) as s, factories.bound(s):
            course = s.scalars(
                select(Course)
                .join(Platform, Course.platform_id == Platform.id)
                .where(Platform.client_id == lms.client_id, Course.context_id == "course-1")
            ).one()
            run = f"{lms.client_id}"
            schools = [
                factories.SchoolFactory(name=f"School {i:02d} {run}", institution_number=None)
                for i in range(20)
            ]
            invitation_states = list(InvitationState)
            for i in range(students):
                person = factories.PersonFactory(
                    sub=f"{run}-student-{i}",
                    name=f"Student {i:04d}",
                    email=f"student{i}@{run}.example",
                )
                factories.MembershipFactory(course=course, person=person, active=i % 10 != 9)
                if i % 4 == 0:
                    continue  # no placement yet
                mentors = [
                    factories.MentorFactory(email=f"mentor{i}-{j}@{run}.example")
                    for j in range(1 + i % 2)
                ]
                placement = factories.PlacementFactory(
                    course=course,
                    student=person,
                    school=schools[i % len(schools)],
                    mentors=mentors,
                    state=list(PlacementState)[i % 3],
                    track=list(Track)[i % 3],
                )
                for j, mentor in enumerate(mentors):
                    if (i + j) % 3:
                        factories.MentorInvitationFactory(
                            placement=placement,
                            mentor=mentor,
                            token_hash=secrets.token_hex(32),
                            state=invitation_states[(i + j) % len(invitation_states)],
                        )
                for k in range(i % 5):
                    factories.HourEntryFactory(
                        placement=placement,
                        minutes=50,
                        state=HourState.APPROVED if k % 2 else HourState.PENDING,
                    )
            s.commit()
            course_id = course.id
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("ANALYZE"))
            conn.commit()
        return course_id
    finally:
        engine.dispose()


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="driehoek-bench-") as tmp:
        tmp_path = Path(tmp)
        database_url = args.database_url or f"sqlite:///{tmp_path / 'bench.sqlite3'}"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        settings = gunicorn_settings(
            database_url=database_url,
            base_url=base,
            secret_key=SECRET,
            workers=args.workers,
            TRUST_PROXY="1",
            GUNICORN_THREADS=str(args.threads),
            LOG_LEVEL="warning",
        )
        upgraded = flask_cli(["db", "upgrade"], settings)
        if upgraded.returncode != 0:
            raise BenchError("flask db upgrade failed:\n" + upgraded.stderr[-2000:])
        lms = TestLMS(tool_base=base, client_id=f"bench-pipeline-{os.getpid()}-{int(time.time())}")
        try:
            added = flask_cli(registration_args(lms, "Bench LMS"), settings)
            if added.returncode != 0:
                raise BenchError("flask platform add failed:\n" + added.stderr[-2000:])
            coach = Person("bench-coach", "Coach Bench", [INSTRUCTOR], "coach@bench.example")
            timings = Timings()
            (tmp_path / "logs").mkdir()
            server = _Server(port, dict(settings), tmp_path / "logs" / "gunicorn.log")
            if args.gc_freeze:
                server.config = tmp_path / "gunicorn-gc-freeze.conf.py"
                server.config.write_text(FROZEN_CONFIG)
            try:
                server.start().wait_ready()
                http = launch_coach(base, lms, coach)
                started = time.perf_counter()
                seed(database_url, lms, args.students)
                seed_seconds = time.perf_counter() - started
                page = http.get(base + "/coach", timeout=30)
                expect(page, 200, "pipeline")
                rows = len(re.findall(r"<tbody>", page.text))
                if rows != args.students:
                    raise BenchError(f"the pipeline shows {rows} students, not {args.students}")
                page_kib = len(page.content) / 1024
                for i in range(args.warmup + args.requests):
                    measured = timings if i >= args.warmup else None
                    start = time.perf_counter()
                    r = http.get(base + "/coach", timeout=30)
                    if measured is not None:
                        measured.add("pipeline", time.perf_counter() - start)
                    expect(r, 200, "pipeline")
                    start = time.perf_counter()
                    r = http.get(base + "/healthz", timeout=30)
                    if measured is not None:
                        measured.add("healthz", time.perf_counter() - start)
                    expect(r, 200, "healthz")
                http.close()
            finally:
                server.stop()
        finally:
            lms.close()

    summary = {name: timings.summary(name) for name in ("pipeline", "healthz")}
    ratio = {
        "p50": summary["pipeline"]["p50_ms"] / summary["healthz"]["p50_ms"],
        "p95": summary["pipeline"]["p95_ms"] / summary["healthz"]["p95_ms"],
    }
    return {
        "benchmark": "pipeline",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "database": database_label(database_url),
        "served_by": "gunicorn over loopback HTTP",
        "gc_freeze": args.gc_freeze,
        "gunicorn": {"workers": args.workers, "threads": args.threads, "worker_class": "gthread"},
        "students": args.students,
        "requests": args.requests,
        "warmup": args.warmup,
        "page_kib": round(page_kib, 1),
        "seed_seconds": round(seed_seconds, 2),
        "python": platform_module.python_version(),
        "machine": {"platform": platform_module.platform(), "cpus": os.cpu_count()},
        "results_ms": summary,
        "ratio_pipeline_to_healthz": ratio,
    }


def print_table(result: dict[str, Any]) -> None:
    print(
        f"\nDriehoek pipeline benchmark — {result['database']}, {result['students']} students, "
        f"gunicorn {result['gunicorn']['workers']} worker × {result['gunicorn']['threads']} threads, "
        f"{result['requests']} requests each after {result['warmup']} warm-up"
        f"{', gc.freeze() after start-up' if result['gc_freeze'] else ''} "
        f"(page {result['page_kib']} KiB)"
    )
    print(f"{'':28} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for label, key in (("GET /coach (pipeline)", "pipeline"), ("GET /healthz", "healthz")):
        s = result["results_ms"][key]
        print(
            f"{label:28} {s['p50_ms']:8.2f} {s['p95_ms']:8.2f} {s['p99_ms']:8.2f} {s['mean_ms']:8.2f}"
        )
    ratio = result["ratio_pipeline_to_healthz"]
    print(f"{'ratio pipeline / healthz':28} {ratio['p50']:8.1f} {ratio['p95']:8.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pipeline", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--students", type=int, default=300, help="students in the course (300)")
    parser.add_argument("-n", "--requests", type=int, default=200, help="measured rounds (200)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured rounds first (20)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="e.g. postgresql://postgres@127.0.0.1:5432/driehoek_pipeline_bench "
        "(default: SQLite in a temporary directory)",
    )
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (default 1)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="experiment: gc.freeze() in each worker after start-up (not in the project's config)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="directory for the JSON")
    args = parser.parse_args(argv)
    if args.students < 1 or args.requests < 1 or args.warmup < 0:
        parser.error("--students and --requests must be positive, --warmup not negative")
    try:
        result = run(args)
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    print_table(result)
    args.output.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    frozen = "-gcfreeze" if args.gc_freeze else ""
    path = args.output / f"pipeline-{result['database']}{frozen}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
