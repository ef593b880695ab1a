"""feedback levels: each submitted form's level per competency, for growth in SQL

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 22:50:00

The coach's course view reads each competency's latest level from this table (``latest``: per
placement and competency, the newest level of its current submitted forms) instead of decoding
every form's answers. Filled here from the forms submitted before, read as
lti_app/feedback/growth.py reads them: a competency's scale items on one form give the level
nearest their mean (the lower on a tie), "not observed", empty answers and levels the form's own
template version lacks give none. Written again by the app whenever a form is submitted.
"""

import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BRUSSELS = ZoneInfo("Europe/Brussels")
BATCH = 1000


def upgrade() -> None:
    op.create_table(
        "feedback_level",
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("competency", sa.String(length=100), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("latest", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["feedback_form.id"],
            name=op.f("fk_feedback_level_form_id_feedback_form"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["feedback_template.id"],
            name=op.f("fk_feedback_level_template_id_feedback_template"),
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placement.id"],
            name=op.f("fk_feedback_level_placement_id_placement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("form_id", "competency", name=op.f("pk_feedback_level")),
    )
    op.create_index(
        "ix_feedback_level_placement_latest",
        "feedback_level",
        ["placement_id", "latest"],
        unique=False,
    )
    _fill()


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _day(lesson_date: Any, submitted_at: Any) -> date:
    if lesson_date is not None:
        return lesson_date if isinstance(lesson_date, date) else date.fromisoformat(lesson_date)
    moment = submitted_at
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BRUSSELS).date()


def _levels(scale: list[dict[str, Any]], items: list[dict[str, Any]], answers: Any) -> Any:
    """(competency, level key, value) per competency the answers rate."""
    if not isinstance(answers, dict):
        return
    values = {str(s["key"]): int(s["value"]) for s in scale}
    keys: dict[str, list[str]] = {}
    for b in items:
        if b.get("type") == "scale" and b.get("competency"):
            keys.setdefault(str(b["competency"]), []).append(str(b["key"]))
    for competency, found in keys.items():
        given = [values[a] for a in (answers.get(k) for k in found) if isinstance(a, str) and a in values]
        if not given:
            continue
        mean = sum(given) / len(given)
        key = min(values, key=lambda k: (abs(values[k] - mean), values[k]))
        yield competency, key, values[key]


def _fill() -> None:
    conn = op.get_bind()
    templates = {
        t.id: (_json(t.scale), _json(t.blocks))
        for t in conn.execute(sa.text("SELECT id, scale, blocks FROM feedback_template"))
    }
    level = sa.table(
        "feedback_level",
        sa.column("form_id"),
        sa.column("competency"),
        sa.column("placement_id"),
        sa.column("template_id"),
        sa.column("level"),
        sa.column("value"),
        sa.column("day"),
        sa.column("latest"),
    )
    rows: list[dict[str, Any]] = []
    forms = conn.execute(
        sa.text(
            "SELECT id, placement_id, template_id, lesson_date, submitted_at, answers,"
            " series_id, version FROM feedback_form WHERE state = 'submitted'"
        )
    ).all()
    # A current form: no submitted version of its series is newer (growth.current_submitted).
    newest: dict[Any, int] = {}
    for f in forms:
        series = f.series_id if f.series_id is not None else ("form", f.id)
        newest[series] = max(newest.get(series, f.version), f.version)
    best: dict[tuple[int, str], dict[str, Any]] = {}
    for f in forms:
        scale, items = templates[f.template_id]
        day = _day(f.lesson_date, f.submitted_at)
        series = f.series_id if f.series_id is not None else ("form", f.id)
        current = f.version == newest[series]
        for competency, key, value in _levels(scale, items, _json(f.answers)):
            row = {
                "form_id": f.id,
                "competency": competency,
                "placement_id": f.placement_id,
                "template_id": f.template_id,
                "level": key,
                "value": value,
                "day": day,
                "latest": False,
            }
            rows.append(row)
            # Per placement and competency, the newest day, then the highest form id.
            known = best.get((f.placement_id, competency))
            if current and (known is None or (day, f.id) > (known["day"], known["form_id"])):
                best[(f.placement_id, competency)] = row
    for row in best.values():
        row["latest"] = True
    for first in range(0, len(rows), BATCH):
        op.bulk_insert(level, rows[first : first + BATCH])


def downgrade() -> None:
    op.drop_index("ix_feedback_level_placement_latest", table_name="feedback_level")
    op.drop_table("feedback_level")
