"""The app in the benchmark's own process: SQL statements per page, and where the time goes.

Used by bench/scale.py after its HTTP measurements, on the same seeded installation and the same
TestLMS. ``InProcess.pipeline_statements`` launches a course's coach through the Flask test
client (a real signed launch) and counts the statements of one ``GET /coach``.
``InProcess.profile`` runs N launch POSTs (the logins and the platform's signing done before,
untimed) and N pipeline pages under cProfile, and also times them without the profiler with
the work split by wrapping the functions that matter (token check, recording the person,
commit, query, render): cProfile makes Python-heavy code look slower than it is, the wrapped
clocks do not.
"""

from __future__ import annotations

import cProfile
import importlib
import io
import pstats
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from bench.seed import context_id, student_name, student_sub
from tests.lms import INSTRUCTOR, LEARNER, Person, TestLMS

# (label, module, attribute path): the functions whose time the split reports. A name that
# moved stops the profile with its name, rather than leaving a row out unnoticed.
SPLIT = [
    ("token: whole validate()", "lti_app.lti.message_launch", "HardenedMessageLaunch.validate"),
    ("token: state check", "lti_app.lti.message_launch", "HardenedMessageLaunch.validate_state"),
    (
        "token: key lookup (JWKS)",
        "lti_app.lti.message_launch",
        "HardenedMessageLaunch.get_public_key",
    ),
    (
        "token: signature",
        "lti_app.lti.message_launch",
        "HardenedMessageLaunch.validate_jwt_signature",
    ),
    ("token: nonce spend", "lti_app.lti.message_launch", "HardenedMessageLaunch.validate_nonce"),
    (
        "token: save launch data",
        "lti_app.lti.message_launch",
        "HardenedMessageLaunch.save_launch_data",
    ),
    (
        "token: deployment",
        "lti_app.lti.message_launch",
        "HardenedMessageLaunch.validate_deployment",
    ),
    ("record person+membership", "lti_app.launch.views", "record_launch"),
    ("platform lookup", "lti_app.lti.adapters", "DatabaseToolConf.platform"),
    ("roster sync request", "lti_app.launch.views", "request_sync"),
    ("sign in (login_user)", "lti_app.launch.views", "login_user"),
    ("pipeline: queries", "lti_app.pipeline.service", "pipeline"),
    ("pipeline: staff query", "lti_app.pipeline.views", "course_people"),
    ("render_template", "lti_app.pipeline.views", "render_template"),
    ("session commit", "sqlalchemy.orm.session", "Session.commit"),
]


class InProcess:
    def __init__(self, database_url: str, base: str, lms: TestLMS, tmp: Path):
        from bench.launch import SECRET
        from bench.scale import sqlalchemy_url

        self.lms, self.base = lms, base
        self.overrides = {
            "DRIEHOEK_ENV": "test",
            "DATABASE_URL": sqlalchemy_url(database_url),
            "BASE_URL": base,
            "SECRET_KEY": SECRET,
            "INSTANCE_PATH": str(tmp / "instance"),
            "TRUST_PROXY": 1,
            "LOG_LEVEL": "warning",
        }
        self.app: Flask | None = None
        self.statements = 0
        self.addresses = 0

    def __enter__(self) -> InProcess:
        from lti_app import create_app

        self.app = create_app(self.overrides)
        event.listen(self.app.extensions["db_engine"], "before_cursor_execute", self._count)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.app is not None:
            self.app.extensions["db_engine"].dispose()

    def _count(self, *args: Any) -> None:
        self.statements += 1

    # -- launches through the test client ---------------------------------------------------------
    def _client(self) -> FlaskClient:
        assert self.app is not None
        self.addresses += 1
        client = self.app.test_client()
        client.environ_base["HTTP_X_FORWARDED_FOR"] = (
            f"10.200.{self.addresses // 250}.{self.addresses % 250}"
        )
        return client

    def _signed(self, person: Person, context: str) -> tuple[FlaskClient, dict[str, str]]:
        """A new browser after its login and the platform's signing: ready to POST."""
        client = self._client()
        r = client.get("/lti/login", query_string=self.lms.login_params(person))
        if r.status_code != 302:
            raise RuntimeError(f"login: HTTP {r.status_code}: {r.get_data(as_text=True)[:300]}")
        query = dict(parse_qsl(urlsplit(r.headers["Location"]).query))
        title = "Stage SO" if context == "course-1" else f"Stage {context}"
        form = self.lms.authorize(
            query,
            person,
            context={"context_id": context, "context_title": title, "context_label": "SO"},
        )
        return client, {"id_token": form["id_token"], "state": form["state"]}

    def _post(self, client: FlaskClient, form: dict[str, str]) -> str:
        r = client.post("/lti/launch", data=form)
        if r.status_code != 303:
            raise RuntimeError(f"launch: HTTP {r.status_code}: {r.get_data(as_text=True)[:300]}")
        return str(r.headers["Location"])

    def coach_client(self, context: str, sub: str) -> FlaskClient:
        person = Person(sub, f"Coach {sub}", [INSTRUCTOR], f"{sub}@bench.example")
        client, form = self._signed(person, context)
        self._post(client, form)
        return client

    def pipeline_statements(self, context: str, sub: str) -> int:
        client = self.coach_client(context, sub)
        client.get("/coach")  # warm: the first request of a client may load things once
        before = self.statements
        r = client.get("/coach")
        if r.status_code != 200:
            raise RuntimeError(f"pipeline: HTTP {r.status_code}")
        return self.statements - before

    # -- profile -------------------------------------------------------------------------------
    def profile(self, n: int) -> dict[str, Any]:
        students = [
            Person(student_sub(0, i), student_name(0, i), [LEARNER], None) for i in range(n)
        ]
        course = context_id(0)
        pages = self.coach_client(course, "coach-1")

        def launch_batch() -> list[tuple[FlaskClient, dict[str, str]]]:
            return [self._signed(p, course) for p in students]

        # Warm up both paths once (JWKS fetched and cached, templates compiled).
        for client, form in launch_batch()[:3]:
            self._post(client, form)
        pages.get("/coach")

        out: dict[str, Any] = {"n": n}
        out["steps_ms"] = self._steps(students, course)
        # 1. Wall clock without the profiler, split by wrapped functions.
        batch = launch_batch()
        with split_clock() as clocks:
            before = self.statements
            total = []
            for client, form in batch:
                start = time.perf_counter()
                self._post(client, form)
                total.append(time.perf_counter() - start)
            launch_statements = (self.statements - before) / n
            out["launch_post"] = clocks.report(total)
        out["launch_post"]["statements"] = launch_statements
        with split_clock() as clocks:
            total = []
            for _ in range(n):
                start = time.perf_counter()
                r = pages.get("/coach")
                total.append(time.perf_counter() - start)
                assert r.status_code == 200
            out["pipeline"] = clocks.report(total)
            out["pipeline"]["bytes"] = len(r.get_data())
        # 2. cProfile, for what the split does not name.
        batch = launch_batch()
        profiler = cProfile.Profile()
        for client, form in batch:
            profiler.enable()
            self._post(client, form)
            profiler.disable()
        out["launch_post_cprofile"] = top(profiler, n)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(n):
            pages.get("/coach")
        profiler.disable()
        out["pipeline_cprofile"] = top(profiler, n)
        return out

    def _steps(self, students: list[Person], course: str) -> dict[str, float]:
        """Median server time in this process of each request a student's launch makes, and
        of /healthz: what the HTTP ratios would be without the server, the client and the
        network around them."""
        times: dict[str, list[float]] = {"healthz": [], "login": [], "post": [], "home": []}
        idle = self._client()
        for person in students:
            client = self._client()
            start = time.perf_counter()
            r = client.get("/lti/login", query_string=self.lms.login_params(person))
            times["login"].append(time.perf_counter() - start)
            query = dict(parse_qsl(urlsplit(r.headers["Location"]).query))
            form = self.lms.authorize(
                query,
                person,
                context={"context_id": course, "context_title": "Stage SO", "context_label": "SO"},
            )
            start = time.perf_counter()
            landing = self._post(client, {"id_token": form["id_token"], "state": form["state"]})
            times["post"].append(time.perf_counter() - start)
            start = time.perf_counter()
            r = client.get(urlsplit(landing).path)
            times["home"].append(time.perf_counter() - start)
            assert r.status_code == 200, r.status_code
            start = time.perf_counter()
            idle.get("/healthz")
            times["healthz"].append(time.perf_counter() - start)
        return {k: round(statistics.median(v) * 1000, 3) for k, v in times.items()}


class _Clocks:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.depth: dict[str, int] = {}

    def wrap(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        clocks = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            # Only the outermost call counts (validate() calls the others; no double time).
            outer = clocks.depth.get(label, 0) == 0
            clocks.depth[label] = clocks.depth.get(label, 0) + 1
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                clocks.depth[label] -= 1
                if outer:
                    clocks.seconds[label] = clocks.seconds.get(label, 0.0) + (
                        time.perf_counter() - start
                    )
                    clocks.calls[label] = clocks.calls.get(label, 0) + 1

        timed.__wrapped__ = fn  # type: ignore[attr-defined]
        return timed

    def report(self, totals: list[float]) -> dict[str, Any]:
        n = len(totals)
        mean_ms = statistics.fmean(totals) * 1000
        return {
            "median_ms": round(statistics.median(totals) * 1000, 3),
            "mean_ms": round(mean_ms, 3),
            "split_ms_per_request": {
                label: round(seconds * 1000 / n, 3) for label, seconds in self.seconds.items()
            },
            "split_calls_per_request": {
                label: round(calls / n, 2) for label, calls in self.calls.items()
            },
        }


@contextmanager
def split_clock() -> Iterator[_Clocks]:
    clocks = _Clocks()
    undo: list[tuple[Any, str, Any]] = []
    try:
        for label, module_name, path in SPLIT:
            try:
                owner: Any = importlib.import_module(module_name)
                *parents, name = path.split(".")
                for parent in parents:
                    owner = getattr(owner, parent)
                original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
            except (ImportError, AttributeError, KeyError) as exc:
                # A renamed function must not silently vanish from the split.
                missing = f"bench.hotspots: {label}: {module_name}.{path} not found ({exc})"
                raise SystemExit(missing) from exc
            undo.append((owner, name, original))
            setattr(owner, name, clocks.wrap(label, original))
        yield clocks
    finally:
        for owner, name, original in reversed(undo):
            setattr(owner, name, original)


def top(profiler: cProfile.Profile, n: int, limit: int = 25) -> list[dict[str, Any]]:
    """The functions with most cumulative time per request, shortened paths."""
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    for (filename, line, name), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        short = filename
        for marker in ("/site-packages/", "/wt-bench/", "/lib/python3"):
            if marker in filename:
                short = filename.split(marker, 1)[1]
                break
        rows.append(
            {
                "function": f"{short}:{line}({name})",
                "calls": round(ncalls / n, 1),
                "cum_ms": round(cumtime * 1000 / n, 3),
                "own_ms": round(tottime * 1000 / n, 3),
            }
        )
    by_cum = sorted(rows, key=lambda r: -r["cum_ms"])[:limit]
    by_own = sorted(rows, key=lambda r: -r["own_ms"])[:limit]
    return [{"by": "cumulative", **r} for r in by_cum] + [{"by": "own", **r} for r in by_own]


def print_profile(profile: dict[str, Any]) -> None:
    n = profile["n"]
    steps = profile["steps_ms"]
    print(
        f"\nserver time in process, median of {n}: "
        + ", ".join(f"{k} {v} ms ({v / steps['healthz']:.1f} ×)" for k, v in steps.items())
    )
    for key in ("launch_post", "pipeline"):
        part = profile[key]
        print(
            f"\n{key} in process, {n} requests: median {part['median_ms']} ms, "
            f"mean {part['mean_ms']} ms"
            + (f", {part['statements']} statements" if "statements" in part else "")
        )
        for label, ms in sorted(part["split_ms_per_request"].items(), key=lambda kv: -kv[1]):
            calls = part["split_calls_per_request"][label]
            print(f"  {label:32} {ms:8.3f} ms  ({calls} calls)")
    for key in ("launch_post_cprofile", "pipeline_cprofile"):
        print(f"\n{key} (per request; cProfile inflates Python-heavy code)")
        for row in profile[key]:
            print(
                f"  {row['by']:10} {row['cum_ms']:8.3f} cum {row['own_ms']:8.3f} own "
                f"{row['calls']:8} × {row['function']}"
            )
