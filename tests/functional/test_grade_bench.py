"""bench.grades on a small count: the default worker delivers every grade once, clean and with
30 % of the platform's answers failing, and the last line is the JSON the issue asks for. No
timing is asserted: only that the figures are there and that nothing was lost or doubled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import grades


def test_grades_bench_delivers_every_grade_once_and_prints_the_figures_as_json_last(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = grades.main(
        ["--grades", "40", "--warmup", "5", "--timeout", "0.3", "--results", str(tmp_path)]
    )

    out = capsys.readouterr().out.strip().splitlines()
    result = json.loads(out[-1])
    assert code == 0, out
    for key in ("seconds", "faulty_seconds"):
        assert isinstance(result[key], float) and result[key] > 0, key
    assert (result["delivered"], result["faulty_delivered"]) == (40, 40)
    assert (result["duplicates"], result["faulty_duplicates"]) == (0, 0)
    [written] = tmp_path.glob("grades-sqlite-*.json")
    full = json.loads(written.read_text())
    # The faulty run met failures and retried through them.
    answers = full["platform_answers"]
    assert sum(n for status, n in answers.items() if status != "204") > 0
    assert full["runs"]["faulty"]["states"] == {"sent": 40}
