"""bench.scale's machinery on a tiny installation: it seeds, serves with the production gunicorn
config, launches, pages, counts statements and prints one JSON object last. No timing is
asserted: only that every figure the issue asks for is there and is a figure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from bench import scale
from bench.seed import SMALL_COURSE_STUDENTS, seed_installation

TINY = [
    "--quick",
    "--courses",
    "1",
    "--students",
    "5",
    "--hours",
    "40",
    "--launches",
    "4",
    "--coach-launches",
    "2",
    "--requests",
    "4",
    "--warmup",
    "1",
    "--clients",
    "2",
]


def test_scale_prints_the_figures_as_json_last(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert scale.main([*TINY, "--output", str(tmp_path)]) == 0

    out = capsys.readouterr().out.strip().splitlines()
    result = json.loads(out[-1])
    for key in (
        "healthz_p50_ms",
        "healthz_p95_ms",
        "launch_p50_ms",
        "launch_ratio_p50",
        "launch_post_ratio_p50",
        "coach_launch_ratio_p50",
        "pipeline_p95_ms",
        "pipeline_ratio_p50",
        "pipeline_ratio_p95",
    ):
        assert isinstance(result[key], float) and result[key] > 0, key
    # The pipeline's statements do not grow with the course.
    assert result["pipeline_statements_30"] == result["pipeline_statements_300"] > 0
    assert result["database"] == "sqlite"
    assert result["gunicorn"] == {"config": "config/gunicorn.conf.py", "workers": 2, "threads": 4}
    assert result["installation"]["reused"] is False
    assert result["installation"]["rows"]["hour_entry"] == 40
    assert isinstance(result["meets_goals"], bool)
    # The table came first, and the whole result (with every percentile) was written.
    assert any(line.startswith("pipeline (") for line in out[:-1])
    [written] = tmp_path.glob("scale-sqlite-quick-*.json")
    full = json.loads(written.read_text())
    assert full["results_ms"]["student_launch"]["n"] == 4
    assert full["results_ms"]["pipeline"]["n"] == 4


def test_seed_is_deterministic_and_fills_every_course(tmp_path: Path) -> None:
    """Two seeds with the same sizes write the same rows; each course has its students."""
    import lti_app.models  # noqa: F401
    from lti_app.cli import alembic_config
    from lti_app.db import Base

    counts = []
    names = []
    for n in range(2):
        url = f"sqlite:///{tmp_path / f'seed{n}.sqlite3'}"
        from alembic import command

        command.upgrade(alembic_config(url), "head")
        engine = create_engine(url)
        t = Base.metadata.tables
        with engine.begin() as conn:
            college = conn.execute(t["college"].insert().values(name="C")).inserted_primary_key
            conn.execute(
                t["platform"]
                .insert()
                .values(
                    name="P",
                    issuer="https://lms.example",
                    client_id="bench-scale",
                    auth_login_url="https://lms.example/auth",
                    auth_token_url="https://lms.example/token",
                    key_set_url="https://lms.example/jwks",
                    college_id=college[0],
                    origins=[],
                )
            )
        seeded = seed_installation(
            engine, platform_client_id="bench-scale", courses=2, students=8, hours=30
        )
        counts.append(seeded.counts)
        with engine.connect() as conn:
            names.append(
                conn.execute(select(t["person"].c.name).order_by(t["person"].c.id)).scalars().all()
            )
            per_course = dict(
                conn.execute(
                    select(t["course"].c.context_id, func.count())
                    .join(t["membership"], t["membership"].c.course_id == t["course"].c.id)
                    .where(t["membership"].c.role == "student")
                    .group_by(t["course"].c.context_id)
                ).all()
            )
        engine.dispose()
        assert per_course == {"course-1": 8, "course-2": 8, "course-30": SMALL_COURSE_STUDENTS}
        assert seeded.counts["hour_entry"] == 30
    assert counts[0] == counts[1]
    assert names[0] == names[1]
