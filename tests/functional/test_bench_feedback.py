"""bench.feedback's machinery on a tiny installation: it seeds students with a dozen forms,
serves with the production gunicorn config, measures the growth page and the course view,
counts the course view's statements and prints one JSON object last. No timing is asserted:
only that every figure the issue asks for is there (autosave: a figure, or null while the app
has no autosave endpoint)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import feedback

TINY = ["--quick", "--students", "6", "--forms", "12", "--requests", "4", "--clients", "2"]


def test_feedback_bench_prints_the_ratios_as_json_last(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert feedback.main([*TINY, "--output", str(tmp_path)]) == 0

    out = capsys.readouterr().out.strip().splitlines()
    result = json.loads(out[-1])
    for key in ("growth_ratio_p95", "course_view_ratio_p95"):
        assert isinstance(result[key], float) and result[key] > 0, key
    assert "autosave_ratio_p95" in result
    autosave = result["autosave_ratio_p95"]
    assert (autosave is None) is (not result["autosave_measured"])
    assert autosave is None or autosave > 0
    assert result["course_view_statements_30"] == result["course_view_statements_300"] > 0
    assert result["installation"]["rows"]["feedback_form"] >= 12 * 6
    assert result["gunicorn"]["config"] == "config/gunicorn.conf.py"
    assert any(line.startswith("course view (") for line in out[:-1])
    [written] = tmp_path.glob("feedback-sqlite-quick-*.json")
    full = json.loads(written.read_text())
    assert full["results_ms"]["growth"]["n"] == 4
    assert full["results_ms"]["course_view"]["n"] == 4
