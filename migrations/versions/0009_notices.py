"""notices: what waits for someone, mailed in bundles and in the daily digest until done

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 19:00:00

One row per thing a person (an LMS person or a mentor) should know about: an agreement's turn,
a returned proposal, returned hours. The notifications package mails them together a few
minutes after they happen and lists the open ones in the daily digest until they are settled.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("college_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("mentor_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "agreement_your_turn",
                "agreement_active",
                "agreement_changed",
                "placement_returned",
                "placement_approved",
                "hours_returned",
                name="noticekind",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("placement_id", sa.Integer(), nullable=True),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("about", sa.String(length=100), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mail_id", sa.Integer(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(person_id IS NULL) <> (mentor_id IS NULL)", name=op.f("ck_notice_one_recipient")
        ),
        sa.ForeignKeyConstraint(
            ["college_id"], ["college.id"], name=op.f("fk_notice_college_id_college"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_notice_person_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"], ["mentor.id"], name=op.f("fk_notice_mentor_id_mentor"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"], ["placement.id"], name=op.f("fk_notice_placement_id_placement"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["person.id"], name=op.f("fk_notice_student_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice")),
        sa.UniqueConstraint("token", name=op.f("uq_notice_token")),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.create_index("ix_notice_about", ["about"], unique=False)
        batch_op.create_index("ix_notice_placement_id", ["placement_id"], unique=False)
        batch_op.create_index("ix_notice_person_open", ["person_id", "done_at"], unique=False)
        batch_op.create_index("ix_notice_mentor_open", ["mentor_id", "done_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_mentor_open")
        batch_op.drop_index("ix_notice_person_open")
        batch_op.drop_index("ix_notice_placement_id")
        batch_op.drop_index("ix_notice_about")
    op.drop_table("notice")
