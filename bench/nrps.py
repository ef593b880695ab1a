"""How long does Driehoek take to sync a course roster of 2,000 from the LMS (NRPS)?

Run from the repository root (needs the test extra for ``--platform http``)::

    .venv/bin/python -m bench.nrps                        # SQLite in a temporary directory
    .venv/bin/python -m bench.nrps --database-url postgresql://postgres@127.0.0.1:5432/bench
    .venv/bin/python -m bench.nrps --platform http        # pages over loopback HTTP (TestLMS)

The app runs in this process (``create_app``), its schema built by the migrations. The platform's
answers are prepared before any timing: a token response and the membership container pages
(``--members`` members, ``--page-size`` a page, with names, e-mail, roles, status and a picture
as Canvas or Moodle send them). The tool gets them through its real client (``service_client``:
client assertion signed with its key, token request, paging by ``Link`` header):

- ``--platform memory`` (default): through a requests transport adapter in this process, so no
  socket is involved and all time but the adapter's own is the tool's;
- ``--platform http``: served by TestLMS's HTTP server on loopback, so connection handling is
  in the figures (on the server side counted as platform time only inside the handler).

Each run syncs a new course twice: a **first sync** (everyone new: inserts) and a **re-sync**
after the platform dropped 5 % of the members and renamed 5 % (updates and deactivations). The
token cache is emptied before each sync, so every sync also requests a token. Time inside the
platform (adapter or handler) is measured and subtracted: **tool time** = wall time of
``sync_roster`` plus the commit − platform time. The fetch and write phases are split with the
sync's progress callback. The PostgreSQL database must exist; the benchmark migrates it and adds
a platform, courses and people of its own (deleting nothing), and refreshes the planner's
statistics (``ANALYZE``, untimed) before each run, as autovacuum would in production. The yardstick is ``GET /healthz`` through the in-process Flask test client (a request
with one ``SELECT 1``), measured in the same run; the **ratio** tool time / healthz says how many
cheapest requests a sync is worth, comparable across machines.

Writes the figures as JSON to bench/results/ (gitignored) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as platform_module
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
NRPS_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
GIVEN = ("Lotte", "Mehdi", "Sofie", "Jonas", "Emma", "Noah", "Fien", "Seppe", "Yasmine", "Wout")
FAMILY = ("Janssens", "El Amrani", "De Smet", "Willems", "Claes", "Peeters", "Maes", "Aerts")


@dataclass
class PreparedPlatform:
    """An LMS whose answers are ready before the clock starts; it times its own share."""

    base: str
    members: list[dict[str, Any]]
    page_size: int
    seconds: float = 0.0
    requests: int = 0
    _pages: dict[str, tuple[dict[str, str], bytes]] = field(default_factory=dict)

    def prepare(self, course: str) -> str:
        """Serialise the roster's pages for ``course``; returns its memberships URL."""
        url = f"{self.base}/nrps/{course}"
        self._pages = {}
        count = max(1, -(-len(self.members) // self.page_size))
        for page in range(1, count + 1):
            chunk = self.members[(page - 1) * self.page_size : page * self.page_size]
            body = {"id": url, "context": {"id": course, "title": course}, "members": chunk}
            headers = {"Content-Type": NRPS_TYPE}
            if page < count:
                headers["Link"] = f'<{url}?page={page + 1}>; rel="next"'
            self._pages[_page_key(url if page == 1 else f"{url}?page={page}")] = (
                headers,
                json.dumps(body).encode(),
            )
        token = {"access_token": "bench-token", "token_type": "Bearer", "expires_in": 3600}
        self._pages["/token"] = ({"Content-Type": "application/json"}, json.dumps(token).encode())
        return url

    def answer(self, path_and_query: str) -> tuple[int, dict[str, str], bytes]:
        start = time.perf_counter()
        self.requests += 1
        found = self._pages.get(_page_key(path_and_query))
        result = (200, *found) if found else (404, {}, b"not found")
        self.seconds += time.perf_counter() - start
        return result


def _page_key(url: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in parts.query.split("&") if q and not q.startswith("limit="))
    return parts.path + (f"?{query}" if query else "")


class InMemoryTransport(BaseAdapter):
    """requests' transport replaced by the prepared platform: no sockets."""

    def __init__(self, lms: PreparedPlatform):
        super().__init__()
        self._lms = lms

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        status, headers, body = self._lms.answer(
            parts.path + (f"?{parts.query}" if parts.query else "")
        )
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(headers)
        response._content = body
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


def roster(members: int, run: str) -> list[dict[str, Any]]:
    out = []
    for i in range(members):
        given, family = GIVEN[i % len(GIVEN)], FAMILY[i % len(FAMILY)]
        role = "Instructor" if i % 40 == 0 else "Learner"
        out.append(
            {
                "user_id": f"bench-{run}-{i:05d}",
                "lis_person_sourcedid": f"r0{i:06d}",
                "status": "Active",
                "name": f"{given} {family}",
                "given_name": given,
                "family_name": family,
                "email": f"{given.lower()}.{i}@student.example",
                "picture": f"https://lms.example/avatars/{i}.png",
                "roles": [LIS + "membership#" + role],
            }
        )
    return out


@dataclass
class SyncFigures:
    tool_ms: float
    platform_ms: float
    fetch_ms: float  # tool time until the last page was read (platform time excluded)
    write_ms: float  # from the last page to the end of the commit
    commit_ms: float
    statements: int
    pages: int


def timed_sync(app: Any, course_id: int, lms: PreparedPlatform, mode: str) -> SyncFigures:
    from lti_app import db
    from lti_app.extensions import cache
    from lti_app.lti.services import service_client
    from lti_app.roster.models import Course
    from lti_app.roster.service import sync_roster

    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    engine = app.extensions["db_engine"]
    with app.app_context():
        cache.clear()
        s = db.session()
        course = s.get(Course, course_id)
        assert course is not None
        http = requests.Session()
        if mode == "memory":
            http.mount("http://", InMemoryTransport(lms))
        lms.seconds = 0.0
        marks: list[tuple[float, float]] = []  # (wall clock, platform seconds so far)
        event.listen(engine, "before_cursor_execute", count)
        try:
            with service_client(s, course.platform, http=http) as client:
                started = time.perf_counter()
                summary = sync_roster(
                    s,
                    course,
                    client,
                    progress=lambda done, total: marks.append((time.perf_counter(), lms.seconds)),
                )
                committing = time.perf_counter()
                s.commit()
                ended = time.perf_counter()
        finally:
            event.remove(engine, "before_cursor_execute", count)
            http.close()
    platform_s = lms.seconds
    fetched_at, platform_at_fetch = marks[-2]
    return SyncFigures(
        tool_ms=(ended - started - platform_s) * 1000,
        platform_ms=platform_s * 1000,
        fetch_ms=(fetched_at - started - platform_at_fetch) * 1000,
        write_ms=(ended - fetched_at) * 1000,
        commit_ms=(ended - committing) * 1000,
        statements=statements,
        pages=summary.pages,
    )


def healthz_ms(app: Any, n: int) -> list[float]:
    client = app.test_client()
    for _ in range(20):  # warm up
        client.get("/healthz")
    out = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get("/healthz")
        out.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"/healthz answered {response.status_code}")
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    from alembic import command

    from lti_app import create_app, db
    from lti_app.cli import alembic_config
    from lti_app.lti.registration import add_platform
    from lti_app.roster.models import Course

    with tempfile.TemporaryDirectory(prefix="driehoek-bench-nrps-") as tmp:
        app = create_app(
            {
                "DRIEHOEK_ENV": "test",
                "DATABASE_URL": args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
                "BASE_URL": "http://tool.bench",
                "SECRET_KEY": "bench-" + "x" * 40,
                "INSTANCE_PATH": tmp,
                "LOG_LEVEL": "WARNING",
            }
        )
        database_url = app.config["DATABASE_URL"]  # normalised (postgresql+psycopg://)
        command.upgrade(alembic_config(database_url), "head")
        server = None
        if args.platform == "http":
            from tests.lms import TestLMS

            server = TestLMS(tool_base="http://tool.bench")
            base = server.issuer
        else:
            base = "http://lms.bench"
        lms = PreparedPlatform(base, [], args.page_size)
        if server is not None:
            server.routes["/token"] = lambda *_request: lms.answer("/token")
        client_id = f"bench-nrps-{os.getpid()}-{int(time.time())}"
        with app.app_context():
            s = db.session()
            platform = add_platform(
                s,
                issuer=base,
                client_id=client_id,
                deployment_ids=["bench"],
                auth_login_url=base + "/auth",
                auth_token_url=base + "/token",
                key_set_url=base + "/jwks.json",
                name="Bench LMS",
            )
            s.commit()
            platform_id = platform.id

        first: list[SyncFigures] = []
        again: list[SyncFigures] = []
        try:
            for run_no in range(args.warmup + args.runs):
                context = f"bench-course-{client_id}-{run_no}"
                lms.members = roster(args.members, f"{client_id}-{run_no}")
                url = lms.prepare(context)
                if server is not None:
                    server.routes[urlsplit(url).path] = _serve(lms, urlsplit(url).path)
                with app.app_context():
                    s = db.session()
                    course = Course(platform_id=platform_id, context_id=context, nrps_url=url)
                    s.add(course)
                    s.commit()
                    course_id = course.id
                _analyze(app)
                a = timed_sync(app, course_id, lms, args.platform)
                cut = len(lms.members) // 20
                lms.members = lms.members[cut:]
                for m in lms.members[:cut]:
                    m["name"] += " (renamed)"
                lms.prepare(context)
                b = timed_sync(app, course_id, lms, args.platform)
                if run_no >= args.warmup:
                    first.append(a)
                    again.append(b)
            health = healthz_ms(app, args.healthz)
        finally:
            if server is not None:
                server.close()
            app.extensions["db_engine"].dispose()

    def median(rows: list[SyncFigures], name: str) -> float:
        return statistics.median(getattr(r, name) for r in rows)

    health_p50 = statistics.median(health)
    summary = {
        label: {
            name: median(rows, name)
            for name in (
                "tool_ms",
                "platform_ms",
                "fetch_ms",
                "write_ms",
                "commit_ms",
                "statements",
                "pages",
            )
        }
        | {"tool_ms_min": min(r.tool_ms for r in rows), "tool_ms_max": max(r.tool_ms for r in rows)}
        for label, rows in (("first_sync", first), ("resync", again))
    }
    return {
        "benchmark": "nrps",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "database": "sqlite" if database_url.startswith("sqlite") else "postgresql",
        "platform": args.platform,
        "members": args.members,
        "page_size": args.page_size,
        "runs": args.runs,
        "python": platform_module.python_version(),
        "machine": {"platform": platform_module.platform(), "cpus": os.cpu_count()},
        "healthz": {"how": "in-process Flask test client", "p50_ms": health_p50, "n": len(health)},
        "results_ms": summary,
        "ratio_tool_to_healthz": {k: v["tool_ms"] / health_p50 for k, v in summary.items()},
    }


def _analyze(app: Any) -> None:
    """On PostgreSQL, refresh the planner's statistics as autovacuum would in production.

    Without them (autovacuum off, tables grown by earlier runs) the planner reads the
    (issuer, sub) index by issuer alone and filters sub by hand, which measures the database's
    configuration rather than the sync.
    """
    from sqlalchemy import text

    engine = app.extensions["db_engine"]
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE person"))
            conn.execute(text("ANALYZE membership"))


def _serve(lms: PreparedPlatform, path: str) -> Callable[..., Any]:
    def route(method: str, query: dict[str, str], body: bytes, headers: dict[str, str]) -> Any:
        page = query.get("page")
        return lms.answer(path + (f"?page={page}" if page else ""))

    return route


def _git_commit() -> str | None:
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


def print_table(result: dict[str, Any]) -> None:
    print(
        f"NRPS sync of {result['members']} members, {result['results_ms']['first_sync']['pages']:.0f} "
        f"pages, {result['database']}, platform {result['platform']}, median of {result['runs']} runs"
    )
    print(
        f"{'':28}{'tool ms':>9}{'fetch':>8}{'write':>8}{'commit':>8}{'platform':>10}"
        f"{'SQL':>6}{'ratio':>8}"
    )
    for label, name in (
        ("first sync (all new)", "first_sync"),
        ("re-sync (5% gone/renamed)", "resync"),
    ):
        r = result["results_ms"][name]
        ratio = result["ratio_tool_to_healthz"][name]
        print(
            f"{label:28}{r['tool_ms']:9.1f}{r['fetch_ms']:8.1f}{r['write_ms']:8.1f}{r['commit_ms']:8.1f}"
            f"{r['platform_ms']:10.2f}{r['statements']:6.0f}{ratio:8.0f}"
        )
    h = result["healthz"]
    print(f"GET /healthz ({h['how']}) p50 {h['p50_ms']:.3f} ms over {h['n']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--platform", choices=("memory", "http"), default="memory")
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--page-size", type=int, default=200, help="the platform's page size")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--healthz", type=int, default=500)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = run(args)
    print_table(result)
    args.results.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.results / f"nrps-{result['database']}-{result['platform']}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
