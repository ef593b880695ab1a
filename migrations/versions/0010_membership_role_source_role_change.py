"""membership.role_source (own launch, roster or coach) and role_change (a coach's corrections)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 19:00:00

Existing memberships get the source their role most likely has: their own launch when it gave
the role they have, else the roster (a sync set or raised it). No one has corrected a role yet.
"""

import sqlalchemy as sa

import lti_app.db
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ROLE = sa.Enum("student", "coach", "coordinator", name="role", native_enum=False, length=20)
SOURCE = sa.Enum("launch", "roster", "coach", name="rolesource", native_enum=False, length=20)
MEMBERSHIP = sa.table(
    "membership",
    sa.column("role", sa.String),
    sa.column("launch_role", sa.String),
    sa.column("source", sa.String),
    sa.column("role_source", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role_source", SOURCE, nullable=False, server_default="launch")
        )
    m = MEMBERSHIP.c
    op.execute(
        MEMBERSHIP.update()
        .where(
            sa.or_(
                sa.and_(m.launch_role.is_(None), m.source == "nrps"),
                sa.and_(m.launch_role.is_not(None), m.role != m.launch_role),
            )
        )
        .values(role_source="roster")
    )
    op.create_table(
        "role_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("from_role", ROLE, nullable=False),
        sa.Column("to_role", ROLE, nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("at", lti_app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["membership_id"], ["membership.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["changed_by_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_role_change_membership_id", "role_change", ["membership_id"])


def downgrade() -> None:
    op.drop_index("ix_role_change_membership_id", table_name="role_change")
    op.drop_table("role_change")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("role_source")
