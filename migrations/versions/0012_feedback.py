"""feedback: competency frameworks, form templates, requests, forms and attachments

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 21:38:40

Frameworks and templates are versioned per programme (rows never change); a form keeps its
template version, so a submitted form reads as it did. Attachments keep their bytes in the
database, like the signed PDFs, so every app server sees them.
"""

import sqlalchemy as sa
from alembic import op


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "competency_framework",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("competencies", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_competency_framework_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competency_framework")),
        sa.UniqueConstraint(
            "programme_id", "version", name=op.f("uq_competency_framework_programme_id_version")
        ),
    )
    with op.batch_alter_table("competency_framework", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_competency_framework_programme_id"), ["programme_id"], unique=False
        )

    op.create_table(
        "feedback_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "lesson_observation",
                "lesson_plan",
                "midterm",
                "final",
                "visit",
                name="formkind",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column(
            "filled_by",
            sa.Enum("mentor", "coach", name="filledby", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("scale", sa.JSON(), nullable=False),
        sa.Column("blocks", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["competency_framework.id"],
            name=op.f("fk_feedback_template_framework_id_competency_framework"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_feedback_template_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_template")),
        sa.UniqueConstraint(
            "programme_id",
            "kind",
            "version",
            name=op.f("uq_feedback_template_programme_id_kind_version"),
        ),
    )
    with op.batch_alter_table("feedback_template", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_template_programme_id"), ["programme_id"], unique=False
        )

    op.create_table(
        "feedback_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "lesson_observation",
                "lesson_plan",
                "midterm",
                "final",
                "visit",
                name="formkind",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("lesson_date", sa.Date(), nullable=True),
        sa.Column("class_name", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("focus", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "open", "answered", "withdrawn", name="requeststate", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["person.id"], name=op.f("fk_feedback_request_created_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"], ["mentor.id"], name=op.f("fk_feedback_request_mentor_id_mentor")
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placement.id"],
            name=op.f("fk_feedback_request_placement_id_placement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_request")),
    )
    with op.batch_alter_table("feedback_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_request_mentor_id"), ["mentor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_feedback_request_placement_id"), ["placement_id"], unique=False
        )

    op.create_table(
        "feedback_form",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("author_mentor_id", sa.Integer(), nullable=True),
        sa.Column("author_person_id", sa.Integer(), nullable=True),
        sa.Column("lesson_date", sa.Date(), nullable=True),
        sa.Column("class_name", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("draft", "submitted", name="formstate", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("correction_reason", sa.Text(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("student_response", sa.Text(), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(author_mentor_id IS NULL) <> (author_person_id IS NULL)",
            name=op.f("ck_feedback_form_one_author"),
        ),
        sa.ForeignKeyConstraint(
            ["author_mentor_id"],
            ["mentor.id"],
            name=op.f("fk_feedback_form_author_mentor_id_mentor"),
        ),
        sa.ForeignKeyConstraint(
            ["author_person_id"],
            ["person.id"],
            name=op.f("fk_feedback_form_author_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placement.id"],
            name=op.f("fk_feedback_form_placement_id_placement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["feedback_request.id"],
            name=op.f("fk_feedback_form_request_id_feedback_request"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["feedback_template.id"],
            name=op.f("fk_feedback_form_template_id_feedback_template"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_form")),
        sa.UniqueConstraint(
            "series_id", "version", name=op.f("uq_feedback_form_series_id_version")
        ),
    )
    with op.batch_alter_table("feedback_form", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_form_author_mentor_id"), ["author_mentor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_feedback_form_author_person_id"), ["author_person_id"], unique=False
        )
        batch_op.create_index(
            "ix_feedback_form_placement_state",
            ["placement_id", "state", "submitted_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_feedback_form_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_feedback_form_series_id"), ["series_id"], unique=False)

    op.create_table(
        "feedback_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("form_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by", sa.String(length=60), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["feedback_form.id"],
            name=op.f("fk_feedback_attachment_form_id_feedback_form"),
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placement.id"],
            name=op.f("fk_feedback_attachment_placement_id_placement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["feedback_request.id"],
            name=op.f("fk_feedback_attachment_request_id_feedback_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_attachment")),
    )
    with op.batch_alter_table("feedback_attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_attachment_form_id"), ["form_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_feedback_attachment_placement_id"), ["placement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_feedback_attachment_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_attachment_request_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_attachment_placement_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_attachment_form_id"))

    op.drop_table("feedback_attachment")
    with op.batch_alter_table("feedback_form", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_form_series_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_form_request_id"))
        batch_op.drop_index("ix_feedback_form_placement_state")
        batch_op.drop_index(batch_op.f("ix_feedback_form_author_person_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_form_author_mentor_id"))

    op.drop_table("feedback_form")
    with op.batch_alter_table("feedback_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_request_placement_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_request_mentor_id"))

    op.drop_table("feedback_request")
    with op.batch_alter_table("feedback_template", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_template_programme_id"))

    op.drop_table("feedback_template")
    with op.batch_alter_table("competency_framework", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_competency_framework_programme_id"))

    op.drop_table("competency_framework")
