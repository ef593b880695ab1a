"""journals and grading: prompt sets, entries and versions, assignments, reviews, comments;
line items and the scores the worker sends to the LMS gradebook

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 00:36:32

New tables only: nothing existing changes. A score row is written when a coach releases a grade,
in the same transaction, and the worker sends it (lti_app/grading).
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journal_prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sets", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_journal_prompts_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_prompts")),
        sa.UniqueConstraint(
            "programme_id", "version", name=op.f("uq_journal_prompts_programme_id_version")
        ),
    )
    with op.batch_alter_table("journal_prompts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_journal_prompts_programme_id"), ["programme_id"], unique=False
        )

    op.create_table(
        "grading_line_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.String(length=255), nullable=False),
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("score_maximum", sa.Float(), nullable=False),
        sa.Column("resource_link_id", sa.String(length=255), nullable=True),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_grading_line_item_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grading_line_item")),
        sa.UniqueConstraint(
            "course_id", "resource_id", name=op.f("uq_grading_line_item_course_id_resource_id")
        ),
    )
    with op.batch_alter_table("grading_line_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_grading_line_item_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(
            "ix_grading_line_item_course_link", ["course_id", "resource_link_id"], unique=False
        )

    op.create_table(
        "grading_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_item_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("score_given", sa.Float(), nullable=True),
        sa.Column("score_maximum", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("activity_progress", sa.String(length=30), nullable=False),
        sa.Column("grading_progress", sa.String(length=30), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_url", sa.String(length=1000), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sent_version", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "sent",
                "failed",
                "no_ags",
                name="syncstate",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sending_by", sa.String(length=200), nullable=True),
        sa.Column("sending_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_item_id"],
            ["grading_line_item.id"],
            name=op.f("fk_grading_score_line_item_id_grading_line_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_grading_score_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"],
            ["person.id"],
            name=op.f("fk_grading_score_released_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grading_score")),
        sa.UniqueConstraint(
            "line_item_id", "person_id", name=op.f("uq_grading_score_line_item_id_person_id")
        ),
    )
    with op.batch_alter_table("grading_score", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_grading_score_line_item_id"), ["line_item_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_grading_score_person_id"), ["person_id"], unique=False)
        batch_op.create_index("ix_grading_score_state", ["state", "next_try_at"], unique=False)

    op.create_table(
        "journal_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("entries_required", sa.Integer(), nullable=False),
        sa.Column("final_required", sa.Boolean(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("max_score", sa.Float(), nullable=False),
        sa.Column("rubric", sa.JSON(), nullable=False),
        sa.Column("line_item_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_journal_assignment_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["person.id"],
            name=op.f("fk_journal_assignment_created_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["line_item_id"],
            ["grading_line_item.id"],
            name=op.f("fk_journal_assignment_line_item_id_grading_line_item"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_assignment")),
        sa.UniqueConstraint("line_item_id", name=op.f("uq_journal_assignment_line_item_id")),
    )
    with op.batch_alter_table("journal_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_journal_assignment_course_id"), ["course_id"], unique=False
        )

    op.create_table(
        "journal_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "submitted",
                "resubmit",
                "graded",
                name="reviewstate",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resubmit_reason", sa.Text(), nullable=False),
        sa.Column("rubric_points", sa.JSON(), nullable=False),
        sa.Column("grade", sa.Float(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("graded_by_id", sa.Integer(), nullable=True),
        sa.Column("graded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_rubric_points", sa.JSON(), nullable=True),
        sa.Column("released_grade", sa.Float(), nullable=True),
        sa.Column("released_comment", sa.Text(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["journal_assignment.id"],
            name=op.f("fk_journal_review_assignment_id_journal_assignment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["graded_by_id"],
            ["person.id"],
            name=op.f("fk_journal_review_graded_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placement.id"],
            name=op.f("fk_journal_review_placement_id_placement"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"],
            ["person.id"],
            name=op.f("fk_journal_review_released_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["person.id"], name=op.f("fk_journal_review_student_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_review")),
        sa.UniqueConstraint(
            "assignment_id", "student_id", name=op.f("uq_journal_review_assignment_id_student_id")
        ),
    )
    with op.batch_alter_table("journal_review", schema=None) as batch_op:
        batch_op.create_index(
            "ix_journal_review_queue", ["assignment_id", "state", "submitted_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_journal_review_student_id"), ["student_id"], unique=False
        )

    op.create_table(
        "journal_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("prompts_id", sa.Integer(), nullable=False),
        sa.Column("prompt_set", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("competencies", sa.JSON(), nullable=False),
        sa.Column("feedback_form_id", sa.Integer(), nullable=True),
        sa.Column("starting_point", sa.Text(), nullable=False),
        sa.Column("is_final", sa.Boolean(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("draft", "submitted", name="entrystate", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_form_id"],
            ["feedback_form.id"],
            name=op.f("fk_journal_entry_feedback_form_id_feedback_form"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placement.id"],
            name=op.f("fk_journal_entry_placement_id_placement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["prompts_id"],
            ["journal_prompts.id"],
            name=op.f("fk_journal_entry_prompts_id_journal_prompts"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["person.id"], name=op.f("fk_journal_entry_student_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entry")),
    )
    with op.batch_alter_table("journal_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_journal_entry_feedback_form_id"), ["feedback_form_id"], unique=False
        )
        batch_op.create_index(
            "ix_journal_entry_placement_state", ["placement_id", "state"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_journal_entry_student_id"), ["student_id"], unique=False
        )

    op.create_table(
        "journal_entry_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["person.id"],
            name=op.f("fk_journal_entry_comment_author_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entry.id"],
            name=op.f("fk_journal_entry_comment_entry_id_journal_entry"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["journal_review.id"],
            name=op.f("fk_journal_entry_comment_review_id_journal_review"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entry_comment")),
    )
    with op.batch_alter_table("journal_entry_comment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_journal_entry_comment_entry_id"), ["entry_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_journal_entry_comment_review_id"), ["review_id"], unique=False
        )

    op.create_table(
        "journal_entry_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("competencies", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entry.id"],
            name=op.f("fk_journal_entry_version_entry_id_journal_entry"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entry_version")),
        sa.UniqueConstraint(
            "entry_id", "number", name=op.f("uq_journal_entry_version_entry_id_number")
        ),
    )


def downgrade() -> None:
    op.drop_table("journal_entry_version")
    with op.batch_alter_table("journal_entry_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_entry_comment_review_id"))
        batch_op.drop_index(batch_op.f("ix_journal_entry_comment_entry_id"))

    op.drop_table("journal_entry_comment")
    with op.batch_alter_table("journal_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_entry_student_id"))
        batch_op.drop_index("ix_journal_entry_placement_state")
        batch_op.drop_index(batch_op.f("ix_journal_entry_feedback_form_id"))

    op.drop_table("journal_entry")
    with op.batch_alter_table("journal_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_review_student_id"))
        batch_op.drop_index("ix_journal_review_queue")

    op.drop_table("journal_review")
    with op.batch_alter_table("journal_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_assignment_course_id"))

    op.drop_table("journal_assignment")
    with op.batch_alter_table("grading_score", schema=None) as batch_op:
        batch_op.drop_index("ix_grading_score_state")
        batch_op.drop_index(batch_op.f("ix_grading_score_person_id"))
        batch_op.drop_index(batch_op.f("ix_grading_score_line_item_id"))

    op.drop_table("grading_score")
    with op.batch_alter_table("grading_line_item", schema=None) as batch_op:
        batch_op.drop_index("ix_grading_line_item_course_link")
        batch_op.drop_index(batch_op.f("ix_grading_line_item_course_id"))

    op.drop_table("grading_line_item")
    with op.batch_alter_table("journal_prompts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_prompts_programme_id"))

    op.drop_table("journal_prompts")
