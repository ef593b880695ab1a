"""bench.feedback's installation: bench/seed.py's course of 300 (and of 30), then every student
with an approved placement and a dozen submitted forms over a semester, straight into the schema
(SQLAlchemy core, bulk, deterministic). The forms' answers are the sandbox's growing semester
(lti_app/sandbox/demo_feedback.py), on the programme's own template versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

from flask import Flask
from sqlalchemy import Engine, func, insert, select, text, update
from sqlalchemy.orm import Session

from bench.launch import BenchError
from bench.scale import sqlalchemy_url
from bench.seed import BATCH, SMALL_COURSE, context_id, seed_installation, settle
from lti_app.db import make_engine
from lti_app.feedback.levels import level_rows, mark_latest
from lti_app.sandbox.demo_feedback import SEMESTER, answers_for
from tests.lms import TestLMS
from tests.servers import flask_cli, registration_args

CLIENT_ID = "bench-feedback"
COLLEGE = "Hogeschool Bench Feedback"
SEED_VERSION = 1


@dataclass(frozen=True)
class Sizes:
    students: int
    forms: int

    @property
    def label(self) -> str:
        """Written into the platform's name: a later run reuses only the same installation."""
        return f"Bench feedback v{SEED_VERSION}: {self.students} students x {self.forms} forms"


def prepare(
    database_url: str, settings: dict[str, str], lms: TestLMS, sizes: Sizes
) -> dict[str, Any]:
    """Migrate, register the TestLMS and seed (or reuse a seeded installation)."""
    upgraded = flask_cli(["db", "upgrade"], settings)
    if upgraded.returncode != 0:
        raise BenchError("flask db upgrade failed:\n" + upgraded.stderr[-2000:])
    import lti_app.models  # noqa: F401
    from lti_app.db import Base

    t = Base.metadata.tables
    engine = make_engine(sqlalchemy_url(database_url))
    try:
        with engine.connect() as conn:
            existing = conn.execute(
                select(t["platform"]).where(t["platform"].c.client_id == CLIENT_ID)
            ).first()
            has_college = conn.execute(
                select(t["college"].c.id).where(t["college"].c.name == COLLEGE)
            ).first()
        if existing is not None:
            if existing.name != sizes.label:
                raise BenchError(f"this database holds {existing.name!r}: use another one")
            reg = lms.tool_registration()
            with engine.begin() as conn:
                conn.execute(
                    update(t["person"])
                    .where(t["person"].c.issuer == existing.issuer)
                    .values(issuer=reg["issuer"])
                )
                conn.execute(
                    update(t["platform"])
                    .where(t["platform"].c.id == existing.id)
                    .values(
                        **{k: reg[k] for k in ("issuer", "auth_login_url", "auth_token_url")},
                        key_set_url=reg["key_set_url"],
                    )
                )
            settle(engine)
            return {"reused": True, "seed_seconds": 0.0, "rows": {}}
        if has_college is None:
            added = flask_cli(["college", "add", COLLEGE], settings)
            if added.returncode != 0:
                raise BenchError("flask college add failed:\n" + added.stderr[-2000:])
        added = flask_cli([*registration_args(lms, sizes.label), "--college", COLLEGE], settings)
        if added.returncode != 0:
            raise BenchError("flask platform add failed:\n" + added.stderr[-2000:])
        started = datetime.now(UTC)
        seeded = seed_installation(
            engine, platform_client_id=CLIENT_ID, courses=1, students=sizes.students, hours=200
        )
        course_ids = [seeded.courses[context_id(0)], seeded.courses[SMALL_COURSE]]
        forms = seed_forms(engine, course_ids, sizes.forms)
        settle(engine)
        return {
            "reused": False,
            "seed_seconds": round((datetime.now(UTC) - started).total_seconds(), 2),
            "rows": {**seeded.counts, "feedback_form": forms},
        }
    finally:
        engine.dispose()


def _templates(engine: Engine, programme_id: int) -> dict[str, tuple[int, list[Any], Any]]:
    """The programme's template of each kind (the defaults saved as version 1): kind → (id,
    blocks, the template as growth reads it)."""
    from lti_app.colleges.models import Programme
    from lti_app.feedback import versions
    from lti_app.feedback.growth import template_of
    from lti_app.feedback.models import FormKind

    with Session(engine) as s:
        programme = s.get(Programme, programme_id)
        assert programme is not None
        found = {}
        for kind in FormKind:
            template = versions.template_for(s, programme, kind)
            read = template_of(
                kind,
                template.framework.version,
                template.scale,
                template.blocks,
                template.framework.competencies,
                "nl",
            )
            found[kind.value] = (template.id, list(template.blocks), read)
        s.commit()
    return found


def seed_forms(engine: Engine, course_ids: list[int], per_student: int) -> int:
    """Every student of the courses gets an approved placement over the past semester (their
    placements are approved, one made where there is none) and ``per_student`` forms on each."""
    import lti_app.models  # noqa: F401
    from lti_app.db import Base

    t = Base.metadata.tables
    today = datetime.now(UTC).date()
    start = today - timedelta(days=130)
    with engine.begin() as conn:
        conn.execute(
            update(t["placement"])
            .where(t["placement"].c.course_id.in_(course_ids))
            .values(state="approved", start_date=start, end_date=today + timedelta(days=30))
        )
        school = conn.execute(select(func.min(t["school"].c.id))).scalar()
        mentor = conn.execute(select(func.min(t["mentor"].c.id))).scalar()
        placed = select(t["placement"].c.student_id).where(
            t["placement"].c.course_id == t["membership"].c.course_id
        )
        unplaced = conn.execute(
            select(t["membership"].c.course_id, t["membership"].c.person_id).where(
                t["membership"].c.course_id.in_(course_ids),
                t["membership"].c.role == "student",
                t["membership"].c.person_id.not_in(placed),
            )
        ).all()
        next_id = (conn.execute(select(func.max(t["placement"].c.id))).scalar() or 0) + 1
        link_id = (conn.execute(select(func.max(t["placement_mentor"].c.id))).scalar() or 0) + 1
        for n, (course_id, person_id) in enumerate(unplaced):
            conn.execute(
                insert(t["placement"]).values(
                    id=next_id + n,
                    course_id=course_id,
                    student_id=person_id,
                    school_id=school,
                    track="stage",
                    state="approved",
                    start_date=start,
                    end_date=today + timedelta(days=30),
                    subjects="Wiskunde",
                )
            )
            conn.execute(
                insert(t["placement_mentor"]).values(
                    id=link_id + n, placement_id=next_id + n, mentor_id=mentor, subject="Wiskunde"
                )
            )
        programme_id = conn.execute(
            select(t["course"].c.programme_id).where(t["course"].c.id == course_ids[0])
        ).scalar()
        mentors = dict(
            conn.execute(
                select(
                    t["placement_mentor"].c.placement_id,
                    func.min(t["placement_mentor"].c.mentor_id),
                )
                .join(t["placement"], t["placement"].c.id == t["placement_mentor"].c.placement_id)
                .where(t["placement"].c.course_id.in_(course_ids))
                .group_by(t["placement_mentor"].c.placement_id)
            ).all()
        )
        placements = conn.execute(
            select(t["placement"].c.id, t["placement"].c.coach_id, t["course"].c.id.label("c"))
            .join(t["course"], t["course"].c.id == t["placement"].c.course_id)
            .where(t["placement"].c.course_id.in_(course_ids))
            .order_by(t["placement"].c.id)
        ).all()
        coaches = dict(
            conn.execute(
                select(t["membership"].c.course_id, func.min(t["membership"].c.person_id))
                .where(
                    t["membership"].c.course_id.in_(course_ids), t["membership"].c.role == "coach"
                )
                .group_by(t["membership"].c.course_id)
            ).all()
        )
    templates = _templates(engine, int(programme_id))
    rows = []
    levels: list[dict[str, Any]] = []  # as filling.submit writes them
    with engine.begin() as conn:
        form_id = (conn.execute(select(func.max(t["feedback_form"].c.id))).scalar() or 0) + 1
        for p in placements:
            for i in range(per_student):
                kind, first, other = SEMESTER[i % len(SEMESTER)]
                template_id, blocks, read = templates[kind.value]
                lesson = start + timedelta(days=2 + i * 120 // max(1, per_student))
                at = datetime.combine(lesson, time(15, 0), UTC)
                by_coach = kind.value == "visit"
                rows.append(
                    {
                        "id": form_id,
                        "placement_id": p.id,
                        "request_id": None,
                        "template_id": template_id,
                        "author_mentor_id": None if by_coach else mentors.get(p.id, mentor),
                        "author_person_id": (p.coach_id or coaches[p.c]) if by_coach else None,
                        "lesson_date": lesson,
                        "class_name": "3B",
                        "subject": "Wiskunde",
                        "answers": answers_for(blocks, first, other),
                        "revision": 3,
                        "state": "submitted",
                        "submitted_at": at,
                        "series_id": form_id,
                        "version": 1,
                        "correction_reason": "",
                        "superseded_at": None,
                        "student_response": "",
                        "follow_up": "",
                        "responded_at": None,
                        "created_at": at,
                        "updated_at": at,
                    }
                )
                levels.extend(level_rows(SimpleNamespace(**rows[-1]), read))
                form_id += 1
        for first_row in range(0, len(rows), BATCH):
            conn.execute(insert(t["feedback_form"]), rows[first_row : first_row + BATCH])
        mark_latest(levels)
        for first_row in range(0, len(levels), BATCH):
            conn.execute(insert(t["feedback_level"]), levels[first_row : first_row + BATCH])
        if engine.dialect.name == "postgresql":
            for name in ("placement", "placement_mentor", "feedback_form"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                        f"(SELECT max(id) FROM {name}))"
                    )
                )
    return len(rows)


def placements_of(database_url: str, context: str) -> list[int]:
    """The approved placements of the course ``context``, by id."""
    import lti_app.models  # noqa: F401
    from lti_app.db import Base

    t = Base.metadata.tables
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    select(t["placement"].c.id)
                    .join(t["course"], t["course"].c.id == t["placement"].c.course_id)
                    .where(
                        t["course"].c.context_id == context, t["placement"].c.state == "approved"
                    )
                    .order_by(t["placement"].c.id)
                ).scalars()
            )
    finally:
        engine.dispose()


def mentor_drafts(app: Flask, count: int) -> list[tuple[str, int]]:
    """``count`` mentors of the course of 300, each with a fresh draft of their own and a fresh
    sign-in link: [(link, draft id)]."""
    from lti_app import db
    from lti_app.feedback import versions
    from lti_app.feedback.models import FeedbackForm, FormKind
    from lti_app.guests.invitations import send_sign_in_link
    from lti_app.placements.models import Placement, PlacementMentor
    from lti_app.roster.models import Course
    from lti_app.schools.models import Mentor

    found = []
    with app.test_request_context():
        s = db.session()
        rows = s.execute(
            select(PlacementMentor.placement_id, PlacementMentor.mentor_id)
            .join(Placement, Placement.id == PlacementMentor.placement_id)
            .join(Course, Course.id == Placement.course_id)
            .where(Course.context_id == context_id(0))
            .order_by(PlacementMentor.id)
        ).all()
        seen: set[int] = set()
        for placement_id, mentor_id in rows:
            if mentor_id in seen or len(found) == count:
                continue
            seen.add(mentor_id)
            placement = s.get(Placement, placement_id)
            mentor = s.get(Mentor, mentor_id)
            assert placement is not None and mentor is not None
            programme = versions.programme_of(s, placement.course)
            assert programme is not None
            template = versions.template_for(s, programme, FormKind.LESSON_OBSERVATION)
            draft = FeedbackForm(
                placement_id=placement_id,
                template_id=template.id,
                author_mentor_id=mentor_id,
                answers={},
            )
            s.add(draft)
            s.flush()
            draft.series_id = draft.id
            link = send_sign_in_link(s, mentor.email)
            assert link is not None
            found.append((link.url, draft.id))
        s.commit()
    return found


def course_view_statements(app: Any, context: str, sub: str) -> int:
    """The SQL statements of one course view of ``context``'s coach (bench/hotspots.InProcess)."""
    client = app.coach_client(context, sub)
    client.get("/feedback/course")  # warm: a client's first request may load things once
    before = app.statements
    r = client.get("/feedback/course")
    if r.status_code != 200:
        raise BenchError(f"course view: HTTP {r.status_code}")
    return int(app.statements - before)
