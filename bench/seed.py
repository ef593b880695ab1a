"""A college's year in Driehoek, written straight into the real schema (SQLAlchemy core, bulk).

``seed_installation`` fills a migrated database with what a college looks like mid-year:
``courses`` courses of ``students`` students each (context ids ``course-1`` …), one coach per
course and one coordinator in all of them, one small course of 30 (``course-30``) to compare
statement counts with, schools, mentors shared across placements, placements in every state
(a quarter of the students have none yet, one in twenty has two), mentor invitations in every
state with some mentors signed in, guest sessions, agreements with their signatures, and
``hours`` hour entries (approved, pending, rejected). One student in ten has left the course.

Deterministic: the same arguments give the same rows (only timestamps follow the clock). The
tables come from the app's metadata (``lti_app.models``), so Python-side defaults apply; ids
are given explicitly from the table's current maximum (PostgreSQL's sequences are moved past
them afterwards), so children need no round trip to learn their parents' ids.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.engine import Connection, Engine

SMALL_COURSE = "course-30"
SMALL_COURSE_STUDENTS = 30
PROGRAMME = "Educatief graduaat secundair onderwijs"  # the TestLMS link names this programme
BATCH = 2000

FIRST_NAMES = [
    "Emma", "Lucas", "Noor", "Liam", "Élise", "Arthur", "Fatima", "Mohamed", "Zoë", "Jules",
    "Ines", "Louis", "Yasmine", "Victor", "Chloë", "Noah", "Anaïs", "Rayan", "Lotte", "Wout",
]  # fmt: skip
LAST_NAMES = [
    "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens",
    "Wouters", "De Smet", "Van den Broeck", "D'Hondt", "El Amrani", "Öztürk", "Van Damme & Zn",
]  # fmt: skip
CITIES = ["Gent", "Antwerpen", "Leuven", "Brugge", "Hasselt", "Mechelen", "Kortrijk", "Aalst"]
SUBJECTS = ["Wiskunde", "Nederlands", "Frans", "Geschiedenis", "Fysica", "Biologie", "LO"]
TRACKS = ["stage", "werkplekleren", "lio"]
PLACEMENT_STATES = ["proposed", "returned", "approved"]
INVITATION_STATES = ["sent", "opened", "active", "expired", "revoked", "bounced"]
AGREEMENT_STATES = ["draft", "awaiting_signatures", "active", "completed"]
DOCUMENT_STATE = {
    "draft": "draft",
    "awaiting_signatures": "signing",
    "active": "signed",
    "completed": "signed",
}
SIGNATURES = {"draft": 0, "awaiting_signatures": 1, "active": 3, "completed": 3}
HOUR_KINDS = ["observation", "co_teaching", "own_lesson", "other"]


@dataclass
class Seeded:
    """What the benchmark needs to know of the seeded installation."""

    issuer: str
    courses: dict[str, int] = field(default_factory=dict)  # context id → course id
    counts: dict[str, int] = field(default_factory=dict)  # table → rows inserted


def student_sub(course_index: int, i: int) -> str:
    return f"student-{course_index + 1}-{i:04d}"


def coach_sub(course_index: int) -> str:
    return f"coach-{course_index + 1}"


def student_name(course_index: int, i: int) -> str:
    n = course_index * 1000 + i
    return f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {LAST_NAMES[(n // 7) % len(LAST_NAMES)]} {n:05d}"


def context_id(course_index: int) -> str:
    return f"course-{course_index + 1}"


class _Ids:
    """Explicit primary keys per table, after what the table already holds."""

    def __init__(self, conn: Connection, tables: dict[str, Table]):
        self.conn, self.tables = conn, tables
        self.next: dict[str, int] = {}

    def take(self, table: str) -> int:
        if table not in self.next:
            top = self.conn.execute(select(func.max(self.tables[table].c.id))).scalar()
            self.next[table] = (top or 0) + 1
        value: int = self.next[table]
        self.next[table] = value + 1
        return value


def _batches(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def seed_installation(
    engine: Engine,
    *,
    platform_client_id: str,
    courses: int,
    students: int,
    hours: int,
    seed: int = 9,
) -> Seeded:
    """Fill the college of the platform registered with ``platform_client_id``; see the module."""
    import lti_app.models  # noqa: F401  (every table on Base.metadata)
    from lti_app.db import Base

    tables = dict(Base.metadata.tables)
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    rows: dict[str, list[dict[str, Any]]] = {}

    def add(table: str, **values: Any) -> dict[str, Any]:
        row = dict(values)
        rows.setdefault(table, []).append(row)
        return row

    with engine.begin() as conn:
        platform = conn.execute(
            select(tables["platform"]).where(tables["platform"].c.client_id == platform_client_id)
        ).one()
        college_id, issuer, platform_id = platform.college_id, platform.issuer, platform.id
        ids = _Ids(conn, tables)

        programme_id = conn.execute(
            select(tables["programme"].c.id).where(
                tables["programme"].c.college_id == college_id,
                tables["programme"].c.name == PROGRAMME,
            )
        ).scalar()
        if programme_id is None:
            programme_id = ids.take("programme")
            add("programme", id=programme_id, college_id=college_id, name=PROGRAMME)
        template_id = ids.take("agreement_template")
        order = [["student"], ["school"], ["college"]]
        add(
            "agreement_template",
            id=template_id,
            programme_id=programme_id,
            version=1,
            college_name="Bench College",
            sections=[{"key": "school", "title": "School", "clauses": ["Begeleidt de student."]}],
            signing_order=order,
        )

        schools = []
        for k in range(150):
            school_id = ids.take("school")
            schools.append(school_id)
            city = CITIES[k % len(CITIES)]
            add(
                "school",
                id=school_id,
                college_id=college_id,
                name=f"Sint-{LAST_NAMES[k % len(LAST_NAMES)]}college {city} {k:03d}",
                institution_number=f"{100000 + k}",
                street=f"Schoolstraat {k + 1}",
                postal_code=f"{9000 + k}",
                city=city,
                contact_name=f"Directie {k:03d}",
                contact_email=f"directie{k:03d}@school.bench.example",
            )
        mentors = []
        for k in range(max(50, courses * students * 2 // 5)):
            mentor_id = ids.take("mentor")
            mentors.append(mentor_id)
            add(
                "mentor",
                id=mentor_id,
                college_id=college_id,
                email=f"mentor{k:05d}@school.bench.example",
                name=f"{FIRST_NAMES[(k + 3) % len(FIRST_NAMES)]} {LAST_NAMES[k % len(LAST_NAMES)]}",
            )

        coordinator_id = ids.take("person")
        add(
            "person",
            id=coordinator_id,
            issuer=issuer,
            sub="coordinator",
            name="Coördinator Bench",
            email="coordinator@bench.example",
            locale="nl-BE",
        )
        seeded = Seeded(issuer=issuer)
        sizes = [(context_id(c), c, students) for c in range(courses)]
        sizes.append((SMALL_COURSE, courses, SMALL_COURSE_STUDENTS))
        hour_placements: list[tuple[int, date, list[int], str]] = []
        for ctx, c, size in sizes:
            course_id = ids.take("course")
            seeded.courses[ctx] = course_id
            add(
                "course",
                id=course_id,
                platform_id=platform_id,
                context_id=ctx,
                title=f"Stage SO {c + 1}",
                label=f"SO{c + 1}",
                programme_id=programme_id,
            )
            coach_id = ids.take("person")
            add(
                "person",
                id=coach_id,
                issuer=issuer,
                sub=coach_sub(c),
                name=f"Coach {c + 1} Bench",
                email=f"coach{c + 1}@bench.example",
                locale="nl-BE",
            )
            for person_id, role in ((coach_id, "coach"), (coordinator_id, "coordinator")):
                add(
                    "membership",
                    id=ids.take("membership"),
                    course_id=course_id,
                    person_id=person_id,
                    role=role,
                    launch_role=role,
                    lti_roles=[],
                    active=True,
                    source="launch",
                    last_launch_at=now - timedelta(days=1),
                )
            for i in range(size):
                person_id = ids.take("person")
                add(
                    "person",
                    id=person_id,
                    issuer=issuer,
                    sub=student_sub(c, i),
                    name=student_name(c, i),
                    email=f"{student_sub(c, i)}@student.bench.example",
                    locale="nl-BE",
                )
                add(
                    "membership",
                    id=ids.take("membership"),
                    course_id=course_id,
                    person_id=person_id,
                    role="student",
                    launch_role="student" if i % 3 else None,
                    lti_roles=[],
                    active=i % 10 != 9,
                    source="nrps" if i % 3 == 0 else "launch",
                    last_launch_at=(now - timedelta(days=i % 40)) if i % 3 else None,
                )
                if i % 4 == 0:
                    continue  # no placement yet
                for second in (False, True) if i % 20 == 1 else (False,):
                    state = "returned" if second else PLACEMENT_STATES[i % 3]
                    start = today - timedelta(days=60 - (i % 50)) if state == "approved" else None
                    placement_id = ids.take("placement")
                    school_id = schools[(i * 7 + c) % len(schools)]
                    add(
                        "placement",
                        id=placement_id,
                        course_id=course_id,
                        student_id=person_id,
                        school_id=school_id,
                        coach_id=coach_id,
                        track=TRACKS[(i + second) % 3],
                        state=state,
                        return_reason="Graag een andere mentor." if state == "returned" else "",
                        start_date=start,
                        end_date=start + timedelta(days=90) if start else None,
                        subjects=SUBJECTS[i % len(SUBJECTS)],
                        grade_levels="2de graad",
                        planned_hours=120,
                        planned_observation_hours=20,
                        planned_co_teaching_hours=40,
                        planned_own_lessons=60,
                        created_by_id=person_id,
                    )
                    linked = [
                        mentors[(i * 3 + c * 101 + j * 17) % len(mentors)] for j in range(1 + i % 2)
                    ]
                    for j, mentor_id in enumerate(linked):
                        add(
                            "placement_mentor",
                            id=ids.take("placement_mentor"),
                            placement_id=placement_id,
                            mentor_id=mentor_id,
                            subject=SUBJECTS[(i + j) % len(SUBJECTS)],
                        )
                        if (i + j) % 3 == 0:
                            continue  # not invited yet
                        inv_state = INVITATION_STATES[(i + j) % len(INVITATION_STATES)]
                        invitation_id = ids.take("mentor_invitation")
                        token = f"{seed}-{placement_id}-{mentor_id}-{invitation_id}"
                        used = inv_state == "active"
                        add(
                            "mentor_invitation",
                            id=invitation_id,
                            mentor_id=mentor_id,
                            placement_id=placement_id,
                            token_hash=hashlib.sha256(token.encode()).hexdigest(),
                            state=inv_state,
                            expires_at=now + timedelta(days=14 - (i % 30)),
                            opened_at=now - timedelta(days=3) if inv_state != "sent" else None,
                            used_at=now - timedelta(days=2) if used else None,
                            revoked_at=now - timedelta(days=1) if inv_state == "revoked" else None,
                            created_by_id=coach_id,
                        )
                        if used and i % 5 == 0:
                            add(
                                "guest_session",
                                id=ids.take("guest_session"),
                                mentor_id=mentor_id,
                                invitation_id=invitation_id,
                                secret_hash=hashlib.sha256(f"gs-{token}".encode()).hexdigest(),
                                browser="Firefox",
                                system="Windows",
                                expires_at=now + timedelta(days=20),
                            )
                    if state == "approved":
                        assert start is not None
                        hour_placements.append((placement_id, start, linked, ctx))
                        agreement_state = AGREEMENT_STATES[i % len(AGREEMENT_STATES)]
                        agreement_id = ids.take("agreement")
                        add(
                            "agreement",
                            id=agreement_id,
                            placement_id=placement_id,
                            template_id=template_id,
                            state=agreement_state,
                            signing_order=order,
                            fields={"schedule": "Maandag en dinsdag"},
                            school_contact_id=linked[0],
                            activated_at=now - timedelta(days=10)
                            if agreement_state in ("active", "completed")
                            else None,
                            created_by=f"person:{coach_id}",
                        )
                        document_id = ids.take("agreement_document")
                        body = f"Stageovereenkomst {agreement_id} voor {student_name(c, i)}"
                        sha = hashlib.sha256(body.encode()).hexdigest()
                        add(
                            "agreement_document",
                            id=document_id,
                            agreement_id=agreement_id,
                            number=0,
                            kind="agreement",
                            state=DOCUMENT_STATE[agreement_state],
                            title="Stageovereenkomst",
                            text=body,
                            text_sha256=sha,
                            signed_at=now - timedelta(days=10)
                            if DOCUMENT_STATE[agreement_state] == "signed"
                            else None,
                            created_by=f"person:{coach_id}",
                        )
                        for party in ("student", "school", "college")[
                            : SIGNATURES[agreement_state]
                        ]:
                            add(
                                "agreement_signature",
                                id=ids.take("agreement_signature"),
                                document_id=document_id,
                                party=party,
                                signer=f"person:{person_id}",
                                signer_name=student_name(c, i),
                                signer_role=party,
                                revision=1,
                                text_sha256=sha,
                            )

        # The hours: spread over the approved placements, a day each, most of them decided.
        if hour_placements:
            for k in range(hours):
                placement_id, start, linked, _ctx = hour_placements[k % len(hour_placements)]
                nth = k // len(hour_placements)
                roll = rng.random()
                hour_state = "approved" if roll < 0.7 else "pending" if roll < 0.95 else "rejected"
                decided = hour_state != "pending"
                add(
                    "hour_entry",
                    id=ids.take("hour_entry"),
                    placement_id=placement_id,
                    day=start + timedelta(days=nth % 120),
                    kind=HOUR_KINDS[k % len(HOUR_KINDS)],
                    minutes=rng.choice((50, 100, 150, 240, 420)),
                    note="Les 3de jaar" if k % 3 == 0 else "",
                    state=hour_state,
                    reject_reason="Dubbel ingevoerd." if hour_state == "rejected" else "",
                    decided_by_mentor_id=linked[0] if decided else None,
                    decided_at=now - timedelta(days=1) if decided else None,
                )

        order_of_tables = [
            "programme",
            "agreement_template",
            "school",
            "mentor",
            "course",
            "person",
            "membership",
            "placement",
            "placement_mentor",
            "mentor_invitation",
            "guest_session",
            "agreement",
            "agreement_document",
            "agreement_signature",
            "hour_entry",
        ]
        for name in order_of_tables:
            table_rows = rows.get(name, [])
            _normalise(table_rows)
            for batch in _batches(table_rows):
                conn.execute(insert(tables[name]), list(batch))
            seeded.counts[name] = len(table_rows)
        if engine.dialect.name == "postgresql":
            for name in order_of_tables:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                        f"(SELECT max(id) FROM {name}))"
                    )
                )
    settle(engine)
    return seeded


def settle(engine: Engine) -> None:
    """The planner's statistics and PostgreSQL's visibility map, as autovacuum would have them
    after a quiet night (without the map no index-only scan is chosen)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()


def _normalise(rows: list[dict[str, Any]]) -> None:
    """executemany wants every row to name the same columns: a column some rows leave out is
    None in them (so only nullable columns are left out of some rows)."""
    keys: set[str] = set()
    for row in rows:
        keys.update(row)
    for row in rows:
        for key in keys:
            row.setdefault(key, None)
