"""hour_entry index for the coach's pipeline: its hour totals and the mentors who decided

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 19:50:00

The pipeline sums each placement's minutes by state and asks which mentors decided on a
placement's hours; with (placement_id, decided_by_mentor_id, state, minutes) both are read from
the index alone instead of every hour_entry row of the course (60,000 in a college's year).
Plain columns in a plain B-tree: the same on SQLite and PostgreSQL.
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_hour_entry_pipeline",
        "hour_entry",
        ["placement_id", "decided_by_mentor_id", "state", "minutes"],
    )


def downgrade() -> None:
    op.drop_index("ix_hour_entry_pipeline", table_name="hour_entry")
