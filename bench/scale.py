"""Is Driehoek fast where people wait, on a college's year of data, under the production server?

Run from the repository root (needs the test extra: lti1p3platform)::

    .venv/bin/python -m bench.scale --quick            # SQLite in a temporary directory, < 3 min
    createdb -h 127.0.0.1 -U postgres drie_bench
    .venv/bin/python -m bench.scale --database-url postgresql://postgres@127.0.0.1:5432/drie_bench

It migrates the database (``flask db upgrade``), registers a TestLMS (lti1p3platform behind a
local HTTP server) with ``flask college add`` and ``flask platform add``, and seeds a college's
year straight into the schema (bench/seed.py: by default 10 courses × 300 students, 60,000
hours; ``--quick`` 2 × 300 and 6,000). A database seeded before with the same sizes is reused
(the platform's issuer is moved to this run's TestLMS); nothing is ever deleted.

Then gunicorn runs with ``config/gunicorn.conf.py`` as the README's production config sets it
(2 gthread workers × 4 threads unless ``--workers``/``--threads``), and ``--clients`` browsers
(4) at once measure over loopback HTTP, each request followed by one ``GET /healthz``:

- **student launch**: ``GET /lti/login`` + ``POST /lti/launch`` + ``GET`` the student's page,
  a student of the 300-student course, a new browser and client address each time;
- **coach launch**: the same for that course's coach, landing on the pipeline;
- **pipeline**: ``GET /coach`` of the 300-student course with a coach's session.

The platform signs its id_tokens between the timed phases, never during one (it is ~55 ms of
CPU each, which would slow the clients that are timing). Afterwards, in this process, the app
counts the SQL statements of the pipeline for a 30- and a 300-student course; ``--profile``
adds where the launch POST and the pipeline spend their time (bench/hotspots.py).

The ratios are those of issue 9: launch p50 / healthz p50 (aim ≤ 5), pipeline p95 / healthz
p95 (aim ≤ 10). A table first, then the results as one JSON object on the last line (also
written to bench/results/, gitignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform as platform_module
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from sqlalchemy import select, update

from bench.launch import (
    BenchError,
    PendingLaunch,
    Timings,
    _ip,
    database_label,
    expect,
    git_commit,
)
from bench.seed import (
    SMALL_COURSE,
    coach_sub,
    context_id,
    seed_installation,
    settle,
    student_name,
    student_sub,
)
from lti_app.db import make_engine
from tests.lms import INSTRUCTOR, LEARNER, Person, TestLMS
from tests.servers import ROOT, flask_cli, free_port, gunicorn_settings, running_gunicorn

RESULTS = ROOT / "bench" / "results"
SECRET = secrets.token_urlsafe(48)
CLIENT_ID = "bench-scale"
COLLEGE = "Hogeschool Bench"
SEED_VERSION = 1
GOALS = {"launch_ratio_p50": 5.0, "pipeline_ratio_p95": 10.0}


@dataclass(frozen=True)
class Sizes:
    courses: int
    students: int
    hours: int

    @property
    def label(self) -> str:
        """Written into the platform's name: a later run reuses only the same installation."""
        return (
            f"Bench scale v{SEED_VERSION}: {self.courses} courses x {self.students} students, "
            f"{self.hours} hours"
        )


def sqlalchemy_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# -- the installation --------------------------------------------------------------------------


def prepare(
    database_url: str, settings: dict[str, str], lms: TestLMS, sizes: Sizes
) -> dict[str, Any]:
    """Migrate, register the TestLMS and seed (or reuse a seeded installation); what was done."""
    upgraded = flask_cli(["db", "upgrade"], settings)
    if upgraded.returncode != 0:
        raise BenchError("flask db upgrade failed:\n" + upgraded.stderr[-2000:])
    import lti_app.models  # noqa: F401
    from lti_app.db import Base

    platform_t = Base.metadata.tables["platform"]
    college_t = Base.metadata.tables["college"]
    person_t = Base.metadata.tables["person"]
    engine = make_engine(sqlalchemy_url(database_url))
    try:
        with engine.connect() as conn:
            existing = conn.execute(
                select(platform_t).where(platform_t.c.client_id == CLIENT_ID)
            ).first()
            has_college = conn.execute(
                select(college_t.c.id).where(college_t.c.name == COLLEGE)
            ).first()
        if existing is not None:
            if existing.name != sizes.label:
                raise BenchError(
                    f"this database holds another bench installation ({existing.name!r}, not "
                    f"{sizes.label!r}): use another database, or the same sizes"
                )
            reg = lms.tool_registration()
            with engine.begin() as conn:
                conn.execute(
                    update(person_t)
                    .where(person_t.c.issuer == existing.issuer)
                    .values(issuer=reg["issuer"])
                )
                conn.execute(
                    update(platform_t)
                    .where(platform_t.c.id == existing.id)
                    .values(
                        issuer=reg["issuer"],
                        auth_login_url=reg["auth_login_url"],
                        auth_token_url=reg["auth_token_url"],
                        key_set_url=reg["key_set_url"],
                    )
                )
            settle(engine)  # the issuer's update left a dead row for each person
            return {"reused": True, "seed_seconds": 0.0, "rows": {}}
        if has_college is None:
            added = flask_cli(["college", "add", COLLEGE], settings)
            if added.returncode != 0:
                raise BenchError("flask college add failed:\n" + added.stderr[-2000:])
        args = registration(lms, sizes.label)
        added = flask_cli(args, settings)
        if added.returncode != 0:
            raise BenchError("flask platform add failed:\n" + added.stderr[-2000:])
        started = time.perf_counter()
        seeded = seed_installation(
            engine,
            platform_client_id=CLIENT_ID,
            courses=sizes.courses,
            students=sizes.students,
            hours=sizes.hours,
        )
        return {
            "reused": False,
            "seed_seconds": round(time.perf_counter() - started, 2),
            "rows": seeded.counts,
        }
    finally:
        engine.dispose()


def registration(lms: TestLMS, name: str) -> list[str]:
    from tests.servers import registration_args

    return [*registration_args(lms, name), "--college", COLLEGE]


# -- one browser -------------------------------------------------------------------------------


def student(i: int) -> Person:
    sub = student_sub(0, i)
    return Person(sub, student_name(0, i), [LEARNER], f"{sub}@student.bench.example")


def coach() -> Person:
    return Person(coach_sub(0), "Coach 1 Bench", [INSTRUCTOR], "coach1@bench.example")


def send(http: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
    """One request, sent again once on a fresh connection when gunicorn had closed the idle
    keep-alive one (``keepalive`` = 5 s; the platform's signing, slow on a busy machine, can
    leave a browser idle that long) just as it went out: a browser does the same. The request
    had not reached the app; the refused try (well under a millisecond) stays in the time."""
    try:
        return http.request(method, url, allow_redirects=False, timeout=60, **kwargs)
    except requests.ConnectionError:
        return http.request(method, url, allow_redirects=False, timeout=60, **kwargs)


def login(base: str, lms: TestLMS, person: Person, n: int) -> PendingLaunch:
    """A new browser (empty cookie jar, its own address) starts the OIDC login."""
    pending = PendingLaunch(requests.Session(), person, {"X-Forwarded-For": _ip(n)})
    params = lms.login_params(person)
    start = time.perf_counter()
    r = send(pending.http, "GET", base + "/lti/login", params=params, headers=pending.headers)
    pending.login_ms = (time.perf_counter() - start) * 1000.0
    expect(r, 302, "login")
    pending.auth_query = dict(parse_qsl(urlsplit(r.headers["Location"]).query))
    return pending


def finish(pending: PendingLaunch, base: str, landing: str) -> tuple[float, float, str]:
    """POST the launch, follow to the page it lands on; (post s, page s, page text)."""
    http, headers = pending.http, pending.headers
    data = {"id_token": pending.form["id_token"], "state": pending.form["state"]}
    start = time.perf_counter()
    r = send(http, "POST", base + "/lti/launch", data=data, headers=headers)
    post = time.perf_counter() - start
    expect(r, 303, "launch")
    start = time.perf_counter()
    while r.status_code in (302, 303):
        location = r.headers["Location"]
        target = location if location.startswith("http") else base + location
        r = send(http, "GET", target, headers=headers)
    page = time.perf_counter() - start
    expect(r, 200, f"{landing} after launch")
    if landing not in r.url:
        raise BenchError(f"the launch landed on {r.url}, not {landing}")
    return post, page, r.text


# -- the measured phases -----------------------------------------------------------------------


class Bench:
    def __init__(self, base: str, lms: TestLMS, clients: int):
        self.base, self.lms, self.clients = base, lms, clients
        self.timings = Timings()
        self.lock = threading.Lock()
        self.addresses = 0
        self.pool = ThreadPoolExecutor(clients)
        self.local = threading.local()

    def close(self) -> None:
        self.pool.shutdown()

    def add(self, measured: bool, name: str, seconds: float) -> None:
        if measured:
            with self.lock:
                self.timings.add(name, seconds)

    def healthz(self, measured: bool, name: str = "healthz_interleaved") -> None:
        http = getattr(self.local, "http", None)
        if http is None:
            http = self.local.http = requests.Session()
        start = time.perf_counter()
        r = send(http, "GET", self.base + "/healthz")
        self.add(measured, name, time.perf_counter() - start)
        expect(r, 200, "healthz")

    def yardstick(self, total: int, measured: bool = True) -> None:
        """``total`` /healthz from all clients at once and nothing else: the cheapest request
        at the same concurrency as the measured ones, which the ratios divide by. A burst
        follows every round of measured requests, so the yardstick sees the same machine
        (other work on it comes and goes). The /healthz after each measured request waits
        behind the other clients' heavy requests: it is reported apart (healthz_interleaved)."""

        def client(_i: int) -> None:
            for _ in range(max(1, total // self.clients)):
                self.healthz(measured, "healthz")

        list(self.pool.map(client, range(self.clients)))

    def _address(self) -> int:
        with self.lock:
            self.addresses += 1
            return self.addresses

    def launches(self, people: list[Person], kind: str, landing: str, measured: bool) -> None:
        """Launches in rounds of ``clients × 4``: logins at once, then the platform signs them
        all (nobody timing meanwhile), then posts and pages at once; a /healthz after each."""
        size = self.clients * 4
        for first in range(0, len(people), size):
            group = people[first : first + size]

            def start(person: Person) -> PendingLaunch:
                pending = login(self.base, self.lms, person, self._address())
                self.healthz(measured)
                return pending

            pending = list(self.pool.map(start, group))
            for p in pending:
                p.form = self.lms.authorize(p.auth_query, p.person)

            def end(p: PendingLaunch) -> None:
                post, page, _text = finish(p, self.base, landing)
                p.http.close()
                self.add(measured, f"{kind}_login", p.login_ms / 1000.0)
                self.add(measured, f"{kind}_post", post)
                self.add(measured, f"{kind}_page", page)
                self.add(measured, kind, p.login_ms / 1000.0 + post + page)
                self.healthz(measured)

            list(self.pool.map(end, pending))
            self.yardstick(self.clients * 2, measured)

    def coach_sessions(self) -> list[requests.Session]:
        sessions = []
        for _ in range(self.clients):
            pending = login(self.base, self.lms, coach(), self._address())
            pending.form = self.lms.authorize(pending.auth_query, pending.person)
            finish(pending, self.base, "/coach")
            sessions.append(pending.http)
        return sessions

    def pipeline(self, sessions: list[requests.Session], rounds: int, measured: bool) -> None:
        """Each client ``rounds`` pages, in bursts of 4 with a yardstick burst between."""

        def client(http: requests.Session, count: int) -> None:
            for _ in range(count):
                start = time.perf_counter()
                r = send(http, "GET", self.base + "/coach")
                self.add(measured, "pipeline", time.perf_counter() - start)
                expect(r, 200, "pipeline")
                self.healthz(measured)

        for done in range(0, rounds, 4):
            count = min(4, rounds - done)
            list(self.pool.map(client, sessions, [count] * len(sessions)))
            self.yardstick(self.clients * 2, measured)


def check_pipeline(sessions: list[requests.Session], base: str, students: int) -> float:
    """The pipeline shows the course's students (one tbody each, or one item each in the
    folded line of students without a placement); its size in KiB."""
    page = sessions[0].get(base + "/coach")
    expect(page, 200, "pipeline")
    rows = page.text.count("<tbody") + page.text.count('<li class="unplaced-student')
    if rows < students:
        raise BenchError(f"the pipeline shows {rows} students, not {students}")
    return len(page.content) / 1024


# -- the run -----------------------------------------------------------------------------------


def run(args: argparse.Namespace, progress: Callable[[str], None]) -> dict[str, Any]:
    wall_start = time.perf_counter()
    load_before = [round(x, 2) for x in os.getloadavg()]
    sizes = Sizes(args.courses, args.students, args.hours)
    with tempfile.TemporaryDirectory(prefix="driehoek-scale-") as tmp:
        tmp_path = Path(tmp)
        database_url = args.database_url or f"sqlite:///{tmp_path / 'bench.sqlite3'}"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        extra = {"TRUST_PROXY": "1"}
        if args.threads:
            extra["GUNICORN_THREADS"] = str(args.threads)
        settings = gunicorn_settings(database_url=database_url, base_url=base, secret_key=SECRET)
        settings.update(extra)
        if args.workers:
            settings["WEB_CONCURRENCY"] = str(args.workers)
        else:
            del settings["WEB_CONCURRENCY"]  # the config's own default (the README's)
        lms = TestLMS(tool_base=base, client_id=CLIENT_ID)
        try:
            progress(f"preparing {database_label(database_url)}: {sizes.label}")
            installation = prepare(database_url, settings, lms, sizes)
            progress(
                "reusing the seeded installation"
                if installation["reused"]
                else f"seeded in {installation['seed_seconds']} s"
            )
            bench = Bench(base, lms, args.clients)
            measure_start = time.perf_counter()
            try:
                with running_gunicorn([settings], tmp_path / "logs", ports=[port]):
                    students = [student(i) for i in range(args.students)]
                    warm = students[: args.warmup]
                    progress("warming up")
                    bench.launches(warm, "student_launch", "/student", measured=False)
                    bench.launches([coach()] * args.warmup, "coach_launch", "/coach", False)
                    sessions = bench.coach_sessions()
                    page_kib = check_pipeline(sessions, base, args.students)
                    bench.pipeline(sessions, max(1, args.warmup // args.clients), False)
                    bench.yardstick(args.clients * 4, measured=False)
                    progress(f"{args.launches} student launches")
                    cycle = [students[(i * 7) % len(students)] for i in range(args.launches)]
                    bench.launches(cycle, "student_launch", "/student", measured=True)
                    progress(f"{args.requests} pipeline pages")
                    bench.pipeline(sessions, max(1, args.requests // args.clients), True)
                    progress(f"{args.coach_launches} coach launches")
                    bench.launches(
                        [coach()] * args.coach_launches, "coach_launch", "/coach", measured=True
                    )
                    for http in sessions:
                        http.close()
            finally:
                bench.close()
            measure_seconds = time.perf_counter() - measure_start

            progress("counting the pipeline's statements in this process")
            from bench.hotspots import InProcess

            with InProcess(database_url, base, lms, tmp_path) as app:
                statements = {
                    "30": app.pipeline_statements(SMALL_COURSE, coach_sub(args.courses)),
                    "300": app.pipeline_statements(context_id(0), coach_sub(0)),
                }
                profile = app.profile(args.profile) if args.profile else None
        finally:
            lms.close()

    t = bench.timings
    summary = {
        name: t.summary(name)
        for name in (
            "healthz",
            "healthz_interleaved",
            "student_launch",
            "student_launch_login",
            "student_launch_post",
            "student_launch_page",
            "coach_launch",
            "coach_launch_login",
            "coach_launch_post",
            "coach_launch_page",
            "pipeline",
        )
    }
    h50, h95 = summary["healthz"]["p50_ms"], summary["healthz"]["p95_ms"]
    result: dict[str, Any] = {
        "benchmark": "scale",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "database": database_label(database_url),
        "quick": args.quick,
        "installation": {**installation, "sizes": sizes.label},
        "gunicorn": {
            "config": "config/gunicorn.conf.py",
            "workers": int(settings.get("WEB_CONCURRENCY", "2")),
            "threads": int(settings.get("GUNICORN_THREADS", "4")),
        },
        "clients": args.clients,
        "page_kib": round(page_kib, 1),
        "results_ms": summary,
        "healthz_p50_ms": round(h50, 3),
        "healthz_p95_ms": round(h95, 3),
        "launch_p50_ms": round(summary["student_launch"]["p50_ms"], 3),
        "launch_ratio_p50": round(summary["student_launch"]["p50_ms"] / h50, 2),
        "launch_post_ratio_p50": round(summary["student_launch_post"]["p50_ms"] / h50, 2),
        "coach_launch_ratio_p50": round(summary["coach_launch"]["p50_ms"] / h50, 2),
        "pipeline_p95_ms": round(summary["pipeline"]["p95_ms"], 3),
        "pipeline_ratio_p50": round(summary["pipeline"]["p50_ms"] / h50, 2),
        "pipeline_ratio_p95": round(summary["pipeline"]["p95_ms"] / h95, 2),
        "pipeline_statements_30": statements["30"],
        "pipeline_statements_300": statements["300"],
        "goals": GOALS,
        "measure_seconds": round(measure_seconds, 1),
        "wall_seconds": round(time.perf_counter() - wall_start, 1),
        "python": platform_module.python_version(),
        "machine": {
            "platform": platform_module.platform(),
            "cpus": os.cpu_count(),
            "load_before": load_before,
            "load_after": [round(x, 2) for x in os.getloadavg()],
        },
    }
    result["meets_goals"] = all(result[k] <= v for k, v in GOALS.items())
    if profile is not None:
        result["profile"] = profile
    return result


def print_table(result: dict[str, Any]) -> None:
    g = result["gunicorn"]
    print(
        f"\nDriehoek at scale — {result['database']}, {result['installation']['sizes']}; "
        f"gunicorn {g['workers']} workers × {g['threads']} threads, {result['clients']} clients"
    )
    print(f"{'':34} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'×hz p50':>8} {'×hz p95':>8}")
    rows = [
        ("GET /healthz (all clients, alone)", "healthz"),
        ("GET /healthz (after each request)", "healthz_interleaved"),
        ("student launch (3 requests)", "student_launch"),
        ("  GET /lti/login", "student_launch_login"),
        ("  POST /lti/launch", "student_launch_post"),
        ("  GET /student", "student_launch_page"),
        ("coach launch (to the pipeline)", "coach_launch"),
        ("  POST /lti/launch", "coach_launch_post"),
        ("  GET /coach", "coach_launch_page"),
        (f"pipeline ({result['page_kib']} KiB)", "pipeline"),
    ]
    h = result["results_ms"]["healthz"]
    for label, key in rows:
        s = result["results_ms"][key]
        print(
            f"{label:34} {s['p50_ms']:8.2f} {s['p95_ms']:8.2f} {s['p99_ms']:8.2f} "
            f"{s['p50_ms'] / h['p50_ms']:8.1f} {s['p95_ms'] / h['p95_ms']:8.1f}"
        )
    print(
        f"SQL statements of the pipeline: {result['pipeline_statements_30']} for 30 students, "
        f"{result['pipeline_statements_300']} for 300"
    )
    verdict = "meets" if result["meets_goals"] else "misses"
    print(
        f"launch {result['launch_ratio_p50']} × healthz at p50 (aim ≤ 5), pipeline "
        f"{result['pipeline_ratio_p95']} × at p95 (aim ≤ 10): {verdict} the goals; "
        f"measured in {result['measure_seconds']} s, {result['wall_seconds']} s in all"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="2 courses, fewer rounds (< 3 min)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="e.g. postgresql://postgres@127.0.0.1:5432/drie_bench (default: SQLite in a "
        "temporary directory)",
    )
    parser.add_argument("--courses", type=int, default=None, help="courses (10; --quick 2)")
    parser.add_argument("--students", type=int, default=300, help="students per course (300)")
    parser.add_argument("--hours", type=int, default=None, help="hour entries (60000; quick 6000)")
    parser.add_argument("--clients", type=int, default=4, help="browsers at once (4)")
    parser.add_argument("--launches", type=int, default=None, help="student launches (400; 100)")
    parser.add_argument("--coach-launches", type=int, default=None, help="coach launches (80; 32)")
    parser.add_argument("--requests", type=int, default=None, help="pipeline pages (300; 100)")
    parser.add_argument("--warmup", type=int, default=None, help="unmeasured launches (16; 8)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (config: 2)")
    parser.add_argument("--threads", type=int, default=None, help="threads per worker (config: 4)")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="also profile N launches and pages"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="directory for the JSON")
    args = parser.parse_args(argv)
    quick = args.quick

    def default(value: int | None, full: int, fast: int) -> int:
        return value if value is not None else fast if quick else full

    args.courses = default(args.courses, 10, 2)
    args.hours = default(args.hours, 60_000, 6_000)
    args.launches = default(args.launches, 400, 100)
    args.coach_launches = default(args.coach_launches, 80, 32)
    args.requests = default(args.requests, 300, 100)
    args.warmup = default(args.warmup, 16, 8)
    if min(args.courses, args.students, args.clients, args.launches, args.requests) < 1:
        parser.error("sizes and counts must be positive")
    if args.coach_launches < 1 or args.warmup < 1:
        parser.error("--coach-launches and --warmup must be positive")

    def progress(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    try:
        result = run(args, progress)
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    print_table(result)
    if result.get("profile"):
        from bench.hotspots import print_profile

        print_profile(result["profile"])
    args.output.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.output / f"scale-{result['database']}{'-quick' if quick else ''}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    line = {k: v for k, v in result.items() if k not in ("results_ms", "profile")}
    print(json.dumps(line, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
