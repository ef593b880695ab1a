"""How long does a complete LTI launch take, compared with the cheapest request the tool serves?

Run from the repository root (needs the test extra: lti1p3platform)::

    .venv/bin/python -m bench.launch                      # SQLite in a temporary directory
    .venv/bin/python -m bench.launch --database-url postgresql://postgres@127.0.0.1:5432/bench

It starts gunicorn exactly as the Procfile does (config/gunicorn.conf.py, one gthread worker
by default), registers a TestLMS (lti1p3platform on a local HTTP server) with ``flask platform
add``, then alternates N complete launches and N ``GET /healthz`` over real HTTP:

- launch = ``GET /lti/login`` → (platform signs the id_token) → ``POST /lti/launch`` →
  ``GET`` the student's page (the launch redirects straight to it). Only the tool's requests are timed as "launch";
  the platform's work (building the login URL, signing the id_token) is timed apart as
  "platform", so the launch/healthz ratio is about the tool alone.
- healthz = one ``GET /healthz`` (a database round trip), right after each launch, so both
  are measured under the same conditions.

Each launch is a new browser (empty cookie jar) from a new client address (``X-Forwarded-For``
with ``TRUST_PROXY=1``), as when a class of students opens the tool: the per-address rate limit
on login and launch still runs but is not what gets measured. Students cycle through a pool
(``--students``), so early launches create people and later ones update them.

Writes the figures as JSON to bench/results/ (gitignored) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as platform_module
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from tests.lms import LEARNER, Person, TestLMS
from tests.servers import (
    ROOT,
    flask_cli,
    free_port,
    gunicorn_settings,
    registration_args,
    running_gunicorn,
)

RESULTS = ROOT / "bench" / "results"
SECRET = secrets.token_urlsafe(48)  # one per run, like a fresh deployment


class BenchError(RuntimeError):
    """A request in the benchmark did not answer as a working tool would."""


@dataclass
class Timings:
    samples: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, seconds: float) -> None:
        self.samples.setdefault(name, []).append(seconds * 1000.0)

    def summary(self, name: str) -> dict[str, float]:
        values = sorted(self.samples.get(name, []))
        if not values:
            return {}
        return {
            "n": len(values),
            "p50_ms": percentile(values, 50),
            "p95_ms": percentile(values, 95),
            "p99_ms": percentile(values, 99),
            "mean_ms": statistics.fmean(values),
            "max_ms": values[-1],
        }


def percentile(sorted_values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    rank = (len(sorted_values) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def timed(timings: Timings | None, name: str, call: Callable[[], requests.Response]) -> Any:
    start = time.perf_counter()
    response = call()
    if timings is not None:
        timings.add(name, time.perf_counter() - start)
    return response


def expect(response: requests.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise BenchError(
            f"{what}: HTTP {response.status_code} (expected {status}): {response.text[:500]}"
        )


@dataclass
class PendingLaunch:
    """One browser between its login and its launch."""

    http: requests.Session
    person: Person
    headers: dict[str, str]
    login_ms: float = 0.0
    auth_query: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)


def start_launch(
    base: str, lms: TestLMS, person: Person, client_ip: str, timings: Timings | None
) -> PendingLaunch:
    """A new browser (empty cookie jar) starts the OIDC login: the tool's first request."""
    pending = PendingLaunch(requests.Session(), person, {"X-Forwarded-For": client_ip})
    start = time.perf_counter()
    params = lms.login_params(person)
    if timings is not None:
        timings.add("platform_login_url", time.perf_counter() - start)
    start = time.perf_counter()
    r = pending.http.get(
        base + "/lti/login",
        params=params,
        headers=pending.headers,
        allow_redirects=False,
        timeout=30,
    )
    pending.login_ms = (time.perf_counter() - start) * 1000.0
    expect(r, 302, "login")
    pending.auth_query = dict(parse_qsl(urlsplit(r.headers["Location"]).query))
    return pending


def sign_launch(pending: PendingLaunch, lms: TestLMS, timings: Timings | None) -> None:
    """The platform's part: answer the auth request with a signed id_token (not the tool's time)."""
    start = time.perf_counter()
    pending.form = lms.authorize(pending.auth_query, pending.person)
    if timings is not None:
        timings.add("platform_sign", time.perf_counter() - start)


def finish_launch(pending: PendingLaunch, base: str, timings: Timings | None) -> None:
    """POST the launch and follow the redirects to the student's page."""
    http, headers = pending.http, pending.headers
    data = {"id_token": pending.form["id_token"], "state": pending.form["state"]}
    r = timed(
        timings,
        "launch_post",
        lambda: http.post(
            base + "/lti/launch", data=data, headers=headers, allow_redirects=False, timeout=30
        ),
    )
    expect(r, 303, "launch")
    start = time.perf_counter()
    while r.status_code in (302, 303):
        location = r.headers["Location"]
        target = location if location.startswith("http") else base + location
        r = http.get(target, headers=headers, allow_redirects=False, timeout=30)
    if timings is not None:
        timings.add("home_pages", time.perf_counter() - start)
        timings.samples.setdefault("login", []).append(pending.login_ms)
        tool = (
            pending.login_ms
            + timings.samples["launch_post"][-1]
            + timings.samples["home_pages"][-1]
        )
        timings.samples.setdefault("launch", []).append(tool)
    expect(r, 200, "home page")
    if pending.person.name not in r.text:
        raise BenchError(f"home page does not greet {pending.person.name}: {r.text[:300]}")
    http.close()


def launch_batch(
    http: requests.Session,
    base: str,
    lms: TestLMS,
    people: list[Person],
    first_index: int,
    timings: Timings | None,
) -> None:
    """A batch of launches in three phases, so the platform's signing (tens of ms of CPU on
    this 2-core machine) never sits between two timed tool requests: logins, then signing,
    then launches with their pages, each followed by one /healthz."""
    pending = [
        start_launch(base, lms, person, _ip(first_index + i), timings)
        for i, person in enumerate(people)
    ]
    for p in pending:
        sign_launch(p, lms, timings)
    for p in pending:
        finish_launch(p, base, timings)
        healthz(http, base, timings)


def healthz(http: requests.Session, base: str, timings: Timings | None) -> None:
    r = timed(timings, "healthz", lambda: http.get(base + "/healthz", timeout=30))
    expect(r, 200, "healthz")


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except OSError:
        return None
    return out.stdout.strip() or None


def database_label(url: str) -> str:
    scheme = url.split(":", 1)[0]
    return (
        "sqlite"
        if scheme.startswith("sqlite")
        else "postgresql"
        if "postgres" in scheme
        else scheme
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="driehoek-bench-") as tmp:
        tmp_path = Path(tmp)
        database_url = args.database_url or f"sqlite:///{tmp_path / 'bench.sqlite3'}"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        extra = {"TRUST_PROXY": "1", "GUNICORN_THREADS": str(args.threads), "LOG_LEVEL": "warning"}
        if args.redis_url:
            extra["REDIS_URL"] = args.redis_url
        settings = gunicorn_settings(
            database_url=database_url,
            base_url=base,
            secret_key=SECRET,
            workers=args.workers,
            **extra,
        )
        upgraded = flask_cli(["db", "upgrade"], settings)
        if upgraded.returncode != 0:
            raise BenchError("flask db upgrade failed:\n" + upgraded.stderr[-2000:])

        lms = TestLMS(tool_base=base, client_id=f"bench-{os.getpid()}-{int(time.time())}")
        try:
            added = flask_cli(
                registration_args(lms, "Bench LMS"),
                settings,
            )
            if added.returncode != 0:
                raise BenchError("flask platform add failed:\n" + added.stderr[-2000:])

            students = [
                Person(
                    f"bench-student-{i}", f"Student {i:04d} Bench", [LEARNER], f"s{i}@bench.example"
                )
                for i in range(args.students)
            ]
            timings = Timings()
            started = time.perf_counter()
            with running_gunicorn([settings], tmp_path / "logs", ports=[port]) as [server]:
                with requests.Session() as http:
                    batch = 25

                    def people(first: int, count: int) -> list[Person]:
                        return [students[(first + i) % len(students)] for i in range(count)]

                    for first in range(0, args.warmup, batch):
                        count = min(batch, args.warmup - first)
                        launch_batch(http, base, lms, people(first, count), first, None)
                    for i in range(0, args.launches, batch):
                        first, count = args.warmup + i, min(batch, args.launches - i)
                        launch_batch(http, base, lms, people(first, count), first, timings)
                    for _ in range(max(0, args.healthz - args.launches)):
                        healthz(http, base, timings)
                wall = time.perf_counter() - started
                server_log_tail = server.log()[-2000:]
        finally:
            lms.close()

    summary = {
        name: timings.summary(name)
        for name in (
            "launch",
            "login",
            "launch_post",
            "home_pages",
            "healthz",
            "platform_login_url",
            "platform_sign",
        )
    }
    ratio = {
        "p50": summary["launch"]["p50_ms"] / summary["healthz"]["p50_ms"],
        "p95": summary["launch"]["p95_ms"] / summary["healthz"]["p95_ms"],
    }
    return {
        "benchmark": "launch",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "database": database_label(database_url),
        "state_store": "redis" if args.redis_url else "database",
        "gunicorn": {"workers": args.workers, "threads": args.threads, "worker_class": "gthread"},
        "launches": args.launches,
        "warmup": args.warmup,
        "students": args.students,
        "wall_seconds": wall,
        "python": platform_module.python_version(),
        "machine": {"platform": platform_module.platform(), "cpus": os.cpu_count()},
        "results_ms": summary,
        "ratio_launch_to_healthz": ratio,
        "server_log_tail": server_log_tail if args.keep_log else None,
    }


def _ip(n: int) -> str:
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def print_table(result: dict[str, Any]) -> None:
    rows = [
        ("launch (tool, 3 requests)", "launch"),
        ("  GET /lti/login", "login"),
        ("  POST /lti/launch", "launch_post"),
        ("  GET student page", "home_pages"),
        ("GET /healthz", "healthz"),
        ("platform: login URL (excl.)", "platform_login_url"),
        ("platform: sign id_token (excl.)", "platform_sign"),
    ]
    store = result["state_store"]
    print(
        f"\nDriehoek launch benchmark — {result['database']} (launch state: {store}), "
        f"gunicorn {result['gunicorn']['workers']} worker × {result['gunicorn']['threads']} threads, "
        f"{result['launches']} launches after {result['warmup']} warm-up"
    )
    print(f"{'':34} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for label, key in rows:
        s = result["results_ms"][key]
        print(
            f"{label:34} {s['p50_ms']:8.2f} {s['p95_ms']:8.2f} {s['p99_ms']:8.2f} {s['mean_ms']:8.2f}"
        )
    ratio = result["ratio_launch_to_healthz"]
    print(f"{'ratio launch / healthz':34} {ratio['p50']:8.1f} {ratio['p95']:8.1f}")
    print(f"wall time {result['wall_seconds']:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.launch", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "-n", "--launches", type=int, default=500, help="measured launches (default 500)"
    )
    parser.add_argument(
        "--healthz",
        type=int,
        default=None,
        help="measured /healthz requests (default: as many as launches)",
    )
    parser.add_argument(
        "--warmup", type=int, default=20, help="unmeasured launches first (default 20)"
    )
    parser.add_argument(
        "--students", type=int, default=100, help="distinct students cycled through (default 100)"
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="e.g. postgresql://postgres@127.0.0.1:5432/bench (default: SQLite in a temporary directory)",
    )
    parser.add_argument(
        "--redis-url",
        default=None,
        help="keep launch state in Redis, e.g. redis://127.0.0.1:6379/14",
    )
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (default 1)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS,
        help="directory for the JSON (default bench/results)",
    )
    parser.add_argument(
        "--keep-log", action="store_true", help="put the tail of the server log in the JSON"
    )
    args = parser.parse_args(argv)
    if args.launches < 1 or args.warmup < 0 or args.students < 1:
        parser.error("--launches and --students must be positive, --warmup not negative")
    args.healthz = args.launches if args.healthz is None else args.healthz
    if args.healthz < args.launches:
        parser.error("--healthz must be at least --launches (one follows each launch)")

    try:
        result = run(args)
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    print_table(result)
    args.output.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.output / f"launch-{result['database']}-{result['state_store']}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
