"""a mentor's subject belongs to the placement: placement_mentor.subject, mentor.subject dropped

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 17:45:00

One subject per mentor meant that a subject typed on one placement showed on every other
placement of the same mentor. Each link between a placement and a mentor takes the subject its
mentor has now (mentor rows are per college, so this copies nothing across colleges); the
mentor's column goes, so nothing can read or write the shared value again. Downgrading puts
back, per mentor, the subject of their newest link that has one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

MENTOR = sa.table("mentor", sa.column("id", sa.Integer), sa.column("subject", sa.String))
LINK = sa.table(
    "placement_mentor",
    sa.column("id", sa.Integer),
    sa.column("mentor_id", sa.Integer),
    sa.column("subject", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("placement_mentor", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("subject", sa.String(length=200), nullable=False, server_default="")
        )
    # A correlated UPDATE: one statement, on SQLite and PostgreSQL alike.
    op.execute(
        LINK.update().values(
            subject=sa.select(MENTOR.c.subject)
            .where(MENTOR.c.id == LINK.c.mentor_id)
            .scalar_subquery()
        )
    )
    with op.batch_alter_table("placement_mentor", schema=None) as batch_op:
        batch_op.alter_column("subject", server_default=None)
    with op.batch_alter_table("mentor", schema=None) as batch_op:
        batch_op.drop_column("subject")


def downgrade() -> None:
    with op.batch_alter_table("mentor", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("subject", sa.String(length=200), nullable=False, server_default="")
        )
    newest = (
        sa.select(LINK.c.subject)
        .where(LINK.c.mentor_id == MENTOR.c.id, LINK.c.subject != "")
        .order_by(LINK.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    op.execute(MENTOR.update().values(subject=sa.func.coalesce(newest, "")))
    with op.batch_alter_table("mentor", schema=None) as batch_op:
        batch_op.alter_column("subject", server_default=None)
    with op.batch_alter_table("placement_mentor", schema=None) as batch_op:
        batch_op.drop_column("subject")
