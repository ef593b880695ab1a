"""Is feedback fast where people wait: a student's growth, the coach's course view, a mentor's
autosave — for 300 students with a dozen forms each, under the production server (issue 10)?

Run from the repository root (needs the test extra: lti1p3platform)::

    .venv/bin/python -m bench.feedback --quick        # SQLite in a temporary directory, < 3 min
    createdb -h 127.0.0.1 -U postgres drie_bench_feedback
    .venv/bin/python -m bench.feedback --database-url postgresql://postgres@127.0.0.1:5432/drie_bench_feedback

bench.scale's machinery (bench/scale.py, bench/seed.py): the database is migrated, a TestLMS
registered with a client id of this benchmark's own, one course of ``--students`` (300) and one
of 30 seeded; then every student of both gets an approved placement and ``--forms`` (12)
submitted forms over a semester (lesson observations, lesson-plan feedback, a mid-term, visit
reports; levels that grow), written straight into the schema. A database seeded before with the
same sizes is reused.

gunicorn runs with ``config/gunicorn.conf.py`` (2 gthread workers × 4 threads), and
``--clients`` (4) browsers at once measure, each request followed by one ``GET /healthz``, with a
burst of ``/healthz`` alone after every round (the yardstick the ratios divide by):

- **growth**: ``GET /feedback/placements/<id>/growth``, the course's coach, placements in turn;
- **course view**: ``GET /feedback/course`` of the 300-student course;
- **autosave**: ``POST /feedback/forms/<id>/autosave`` (JSON, ``X-CSRFToken``) by a signed-in
  mentor on a draft of their own — only when the app has that endpoint; otherwise null.

Then, in this process, the SQL statements of the course view for 30 and for 300 students. The
last line is one JSON object: ``growth_ratio_p95``, ``course_view_ratio_p95``,
``autosave_ratio_p95`` (p95 / healthz p95 in the same run; aims: pages ≤ 10, autosave ≤ 5).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from bench import feedback_seed
from bench.launch import BenchError, database_label, expect, git_commit
from bench.scale import RESULTS, SECRET, Bench, send, sqlalchemy_url
from bench.seed import SMALL_COURSE, coach_sub, context_id
from tests.lms import TestLMS
from tests.servers import ROOT, free_port, gunicorn_settings, running_gunicorn

GOALS = {"growth_ratio_p95": 10.0, "course_view_ratio_p95": 10.0, "autosave_ratio_p95": 5.0}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def pages(
    bench: Bench, sessions: list[requests.Session], name: str, urls: list[str], measured: bool
) -> None:
    """Each client GETs its share of ``urls`` in bursts of 4, a yardstick burst between."""
    share = [urls[i :: len(sessions)] for i in range(len(sessions))]

    def client(http: requests.Session, mine: list[str]) -> None:
        for url in mine:
            start = time.perf_counter()
            r = send(http, "GET", bench.base + url)
            bench.add(measured, name, time.perf_counter() - start)
            expect(r, 200, name)
            bench.healthz(measured)

    for done in range(0, max(len(s) for s in share), 4):
        list(bench.pool.map(client, sessions, [s[done : done + 4] for s in share]))
        bench.yardstick(bench.clients * 2, measured)


def mentor_sessions(
    base: str, links: list[tuple[str, int]]
) -> list[tuple[requests.Session, int, str]]:
    """Each mentor opens their sign-in link and presses the button; (session, draft, token)."""
    signed = []
    for url, draft in links:
        http = requests.Session()
        path = url.split("://", 1)[1].split("/", 1)[1]
        page = send(http, "GET", f"{base}/{path}")
        expect(page, 200, "sign-in link")
        token = CSRF.search(page.text)
        if token is None:
            raise BenchError("the sign-in page has no CSRF token")
        r = send(http, "POST", f"{base}/{path}", data={"csrf_token": token.group(1)})
        expect(r, 303, "mentor sign-in")
        form = send(http, "GET", f"{base}/feedback/forms/{draft}")
        expect(form, 200, "the draft's page")
        meta = re.search(r'name="csrf-token" content="([^"]+)"', form.text) or CSRF.search(
            form.text
        )
        signed.append((http, draft, meta.group(1) if meta else token.group(1)))
    return signed


def autosaves(
    bench: Bench,
    mentors: list[tuple[requests.Session, int, str]],
    rounds: int,
    measured: bool,
    revision: dict[int, int],
) -> None:
    """Each mentor saves their draft ``rounds`` times, as the page does while they type, each
    save based on the revision the last one returned (``revision``: draft → its revision, kept
    across calls, as the page keeps it)."""
    for _http, draft, _token in mentors:
        revision.setdefault(draft, 0)

    def client(mentor: tuple[requests.Session, int, str], count: int) -> None:
        http, draft, token = mentor
        for n in range(count):
            body = {"revision": revision[draft], "answers": {"strengths": f"Rustig {n}"}}
            start = time.perf_counter()
            r = send(
                http,
                "POST",
                f"{bench.base}/feedback/forms/{draft}/autosave",
                json=body,
                headers={"X-CSRFToken": token},
            )
            bench.add(measured, "autosave", time.perf_counter() - start)
            expect(r, 200, "autosave")
            revision[draft] = int(r.json()["revision"])
            bench.healthz(measured)

    for done in range(0, rounds, 4):
        list(bench.pool.map(client, mentors, [min(4, rounds - done)] * len(mentors)))
        bench.yardstick(bench.clients * 2, measured)


def run(args: argparse.Namespace, progress: Any) -> dict[str, Any]:
    wall_start = time.perf_counter()
    sizes = feedback_seed.Sizes(args.students, args.forms)
    with tempfile.TemporaryDirectory(prefix="driehoek-feedback-") as tmp:
        tmp_path = Path(tmp)
        database_url = args.database_url or f"sqlite:///{tmp_path / 'bench.sqlite3'}"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        settings = gunicorn_settings(database_url=database_url, base_url=base, secret_key=SECRET)
        settings["TRUST_PROXY"] = "1"
        del settings["WEB_CONCURRENCY"]  # the config's own default (the README's)
        lms = TestLMS(tool_base=base, client_id=feedback_seed.CLIENT_ID)
        try:
            progress(f"preparing {database_label(database_url)}: {sizes.label}")
            installation = feedback_seed.prepare(database_url, settings, lms, sizes)
            from bench.hotspots import InProcess

            with InProcess(database_url, base, lms, tmp_path) as app:
                has_autosave = "feedback.autosave" in {
                    r.endpoint for r in app.app.url_map.iter_rules()
                }  # type: ignore[union-attr]
                links = feedback_seed.mentor_drafts(app.app, args.clients) if has_autosave else []
            placements = feedback_seed.placements_of(sqlalchemy_url(database_url), context_id(0))
            bench = Bench(base, lms, args.clients)
            measure_start = time.perf_counter()
            try:
                with running_gunicorn([settings], tmp_path / "logs", ports=[port]):
                    sessions = bench.coach_sessions()
                    course = send(sessions[0], "GET", base + "/feedback/course")
                    expect(course, 200, "course view")
                    shown = course.text.count('<th scope="row">')
                    if shown < args.students:
                        raise BenchError(f"the course view shows {shown} students")
                    growth = [f"/feedback/placements/{p}/growth" for p in placements]
                    progress("warming up")
                    pages(bench, sessions, "growth", growth[: args.clients * 2], False)
                    pages(bench, sessions, "course_view", ["/feedback/course"] * 4, False)
                    bench.yardstick(args.clients * 4, measured=False)
                    progress(f"{args.requests} growth pages")
                    cycle = [growth[(i * 7) % len(growth)] for i in range(args.requests)]
                    pages(bench, sessions, "growth", cycle, True)
                    progress(f"{args.requests} course views")
                    pages(
                        bench, sessions, "course_view", ["/feedback/course"] * args.requests, True
                    )
                    if links:
                        mentors = mentor_sessions(base, links)
                        revisions: dict[int, int] = {}
                        autosaves(bench, mentors, 4, False, revisions)
                        progress(f"{args.requests} autosaves")
                        autosaves(
                            bench,
                            mentors,
                            max(1, args.requests // len(mentors)),
                            True,
                            revisions,
                        )
                    course_kib = len(course.content) / 1024
            finally:
                bench.close()
            measure_seconds = time.perf_counter() - measure_start
            progress("counting the course view's statements in this process")
            with InProcess(database_url, base, lms, tmp_path) as app:
                statements = {
                    "30": feedback_seed.course_view_statements(app, SMALL_COURSE, coach_sub(1)),
                    "300": feedback_seed.course_view_statements(app, context_id(0), coach_sub(0)),
                }
        finally:
            lms.close()

    t = bench.timings
    names = ("healthz", "healthz_interleaved", "growth", "course_view", "autosave")
    summary = {name: t.summary(name) for name in names}
    h95 = summary["healthz"]["p95_ms"]

    def ratio(name: str) -> float | None:
        found = summary[name]
        return round(found["p95_ms"] / h95, 2) if found else None

    result: dict[str, Any] = {
        "benchmark": "feedback",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "database": database_label(database_url),
        "quick": args.quick,
        "installation": {**installation, "sizes": sizes.label},
        "gunicorn": {"config": "config/gunicorn.conf.py", "workers": 2, "threads": 4},
        "clients": args.clients,
        "course_view_kib": round(course_kib, 1),
        "results_ms": summary,
        "healthz_p95_ms": round(h95, 3),
        "growth_ratio_p95": ratio("growth"),
        "course_view_ratio_p95": ratio("course_view"),
        "autosave_ratio_p95": ratio("autosave"),
        "autosave_measured": bool(summary["autosave"]),
        "course_view_statements_30": statements["30"],
        "course_view_statements_300": statements["300"],
        "goals": GOALS,
        "measure_seconds": round(measure_seconds, 1),
        "wall_seconds": round(time.perf_counter() - wall_start, 1),
    }
    result["meets_goals"] = all(result[k] is None or result[k] <= v for k, v in GOALS.items())
    return result


def print_table(result: dict[str, Any]) -> None:
    print(f"\nDriehoek feedback — {result['database']}, {result['installation']['sizes']}")
    print(f"{'':36} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'×hz p95':>8}")
    h = result["results_ms"]["healthz"]
    for label, key in (
        ("GET /healthz (all clients, alone)", "healthz"),
        ("GET /healthz (after each request)", "healthz_interleaved"),
        ("growth page", "growth"),
        (f"course view ({result['course_view_kib']} KiB)", "course_view"),
        ("autosave", "autosave"),
    ):
        s = result["results_ms"][key]
        if not s:
            print(f"{label:36} {'(no such endpoint in this tree: null)':>36}")
            continue
        print(
            f"{label:36} {s['p50_ms']:8.2f} {s['p95_ms']:8.2f} {s['p99_ms']:8.2f} "
            f"{s['p95_ms'] / h['p95_ms']:8.1f}"
        )
    print(
        f"SQL statements of the course view: {result['course_view_statements_30']} for 30 "
        f"students, {result['course_view_statements_300']} for 300"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.feedback", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="fewer pages (< 3 min)")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--students", type=int, default=300, help="students of the course (300)")
    parser.add_argument("--forms", type=int, default=12, help="forms per student (12)")
    parser.add_argument("--clients", type=int, default=4, help="browsers at once (4)")
    parser.add_argument("--requests", type=int, default=None, help="requests per kind (200; 60)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="directory for the JSON")
    args = parser.parse_args(argv)
    if args.requests is None:
        args.requests = 60 if args.quick else 200
    if min(args.students, args.forms, args.clients, args.requests) < 1:
        parser.error("sizes and counts must be positive")

    def progress(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    try:
        result = run(args, progress)
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    print_table(result)
    args.output.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = (
        args.output / f"feedback-{result['database']}{'-quick' if args.quick else ''}-{stamp}.json"
    )
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    line = {k: v for k, v in result.items() if k != "results_ms"}
    print(json.dumps(line, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
