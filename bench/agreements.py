"""What signing an agreement costs: the agreement page, the last signature (which makes and
stores the PDF), and the PDF alone, each against ``GET /healthz`` measured in the same run.

Run from the repository root::

    .venv/bin/python -m bench.agreements                       # SQLite in a temporary directory
    .venv/bin/python -m bench.agreements --database-url postgresql://postgres@127.0.0.1:5432/bench

The app runs in this process (``create_app``), its schema built by the migrations. A course, a
coach and ``--runs`` placements (student, school, mentor) are made with tests/factories; each
placement gets an agreement from the default template, sent for signing and signed by the
student and the school before any timing, so every timed signature is a college's last one.
Requests go through the Flask test client with the coach's session. Reported: the median of
``--runs`` (after 3 warm-up runs), and the **ratio** to the median ``/healthz`` (a request with
one ``SELECT 1``), which is comparable across machines. Prints a table and writes JSON to
bench/results/ (gitignored).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
WARM_UP = 3


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _prepare(app: Any, count: int) -> tuple[int, int, list[int]]:
    """A coach and ``count`` agreements awaiting only the college; returns (coach, course, ids)."""
    from sqlalchemy.orm import Session

    from lti_app import db
    from lti_app.agreements import service, signing, template_service
    from lti_app.agreements.parties import person_signer, school_signer
    from lti_app.placements.service import get_placement
    from lti_app.roster.models import Role
    from tests import factories

    with app.test_request_context():
        s: Session = db.session()
        with factories.bound(s):
            course = factories.CourseFactory()
            coach = factories.PersonFactory(email="coach@hogeschool.example")
            factories.MembershipFactory(course=course, person=coach, role=Role.COACH)
            placements = [
                factories.PlacementFactory(course=course, coach_id=coach.id) for _ in range(count)
            ]
        template = template_service.template_for(s, factories.ProgrammeFactory())
        agreements = []
        for made in placements:
            placement = get_placement(s, made.id)
            assert placement is not None
            agreement = service.create_agreement(s, placement, template, coach.get_id())
            service.update_fields(
                s,
                agreement,
                {
                    "schedule": "Maandag en donderdag, 8:25–15:45",
                    "learning_goals": "Differentiëren",
                },
                coach.get_id(),
                coach.display_name,
            )
            service.send_for_signing(s, agreement, coach.get_id())
            document = service.main_document(agreement)
            student = person_signer(placement.student, placement, Role.STUDENT)
            school = school_signer(placement.mentor_links[0].mentor, placement)
            assert student is not None and school is not None
            signing.sign(s, document, student, document.text_sha256)
            signing.sign(s, document, school, document.text_sha256)
            agreements.append(agreement.id)
        s.commit()
        return coach.id, course.id, agreements


def run(args: argparse.Namespace) -> dict[str, Any]:
    from alembic import command

    from lti_app import create_app, db
    from lti_app.agreements import service
    from lti_app.agreements.pdf import render_pdf
    from lti_app.cli import alembic_config

    tmp = Path(tempfile.mkdtemp(prefix="driehoek-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    command.upgrade(alembic_config(url), "head")
    app = create_app(
        {
            "DRIEHOEK_ENV": "test",
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "INSTANCE_PATH": str(tmp),
            "BASE_URL": "http://tool.test",
        }
    )
    total = WARM_UP + args.runs
    coach_id, course_id, agreements = _prepare(app, total)
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(
            {"_user_id": f"person:{coach_id}", "_fresh": True, "role": "coach"},
            course_id=course_id,
            locale="nl",
        )

    timings: dict[str, list[float]] = {"healthz": [], "page": [], "last_signature": [], "pdf": []}
    for i, agreement_id in enumerate(agreements):
        start = time.perf_counter()
        assert client.get("/healthz").status_code == 200
        healthz = _ms(start)

        start = time.perf_counter()
        page = client.get(f"/agreements/{agreement_id}")
        page_ms = _ms(start)
        html = page.get_data(as_text=True)
        assert page.status_code == 200, html[:500]
        document_id, digest = re.findall(
            r'/agreements/documents/(\d+)/sign".*?name="sha256" value="([0-9a-f]{64})"', html, re.S
        )[0]
        token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
        assert token is not None

        start = time.perf_counter()
        signed = client.post(
            f"/agreements/documents/{document_id}/sign",
            data={"csrf_token": token.group(1), "sha256": digest, "agree": "y"},
        )
        signature_ms = _ms(start)
        assert signed.status_code == 303

        with app.app_context():
            document = service.get_document(db.session(), int(document_id))
            assert document is not None and document.pdf
            start = time.perf_counter()
            render_pdf(document)
            pdf_ms = _ms(start)
        if i >= WARM_UP:
            for key, value in zip(timings, (healthz, page_ms, signature_ms, pdf_ms), strict=True):
                timings[key].append(value)

    medians = {key: statistics.median(values) for key, values in timings.items()}
    return {
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "runs": args.runs,
        "median_ms": medians,
        "ratio_to_healthz": {k: v / medians["healthz"] for k, v in medians.items()},
        "pdf_bytes": len(document.pdf or b""),
        "at": datetime.now(UTC).isoformat(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=20)
    result = run(parser.parse_args())
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"agreements-{result['database']}-{stamp}.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"{'what':<16} {'median ms':>10} {'ratio':>8}")
    for key, value in result["median_ms"].items():
        print(f"{key:<16} {value:>10.2f} {result['ratio_to_healthz'][key]:>8.1f}")
    print(f"PDF: {result['pdf_bytes']} bytes · {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
