"""colleges (tenants), programmes, one-time registration invites; registrations, schools,
mentors and templates belong to a college

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 16:40:00

An installation with data gets one college, named from COLLEGE_NAME (or "Hogeschool": rename it
with ``flask --app lti_app college rename``), which takes every registration, school and
mentor; each programme named by an agreement template becomes a programme of it, and when there
is exactly one, every course takes it (otherwise coaches choose at the next launch).
"""

import os
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import lti_app.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

COLLEGE = sa.table(
    'college', sa.column('id', sa.Integer), sa.column('name', sa.String),
    sa.column('created_at', lti_app.db.UTCDateTime(timezone=True)),
)
PROGRAMME = sa.table(
    'programme', sa.column('id', sa.Integer), sa.column('college_id', sa.Integer),
    sa.column('name', sa.String), sa.column('created_at', lti_app.db.UTCDateTime(timezone=True)),
)


def upgrade() -> None:
    op.create_table('college',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('logo', sa.LargeBinary(), nullable=True),
    sa.Column('logo_mime', sa.String(length=40), nullable=True),
    sa.Column('created_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_college')),
    sa.UniqueConstraint('name', name=op.f('uq_college_name'))
    )
    op.create_table('programme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('college_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['college_id'], ['college.id'], name=op.f('fk_programme_college_id_college'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme')),
    sa.UniqueConstraint('college_id', 'name', name=op.f('uq_programme_college_id_name'))
    )
    op.create_table('registration_invite',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('college_id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('expires_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', lti_app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('platform_id', sa.Integer(), nullable=True),
    sa.Column('created_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['college_id'], ['college.id'], name=op.f('fk_registration_invite_college_id_college'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['platform_id'], ['platform.id'], name=op.f('fk_registration_invite_platform_id_platform'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_invite')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_registration_invite_token_sha256'))
    )

    bind = op.get_bind()
    now = datetime.now(UTC)
    college_id = None
    if any(
        bind.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first()
        for table in ('platform', 'course', 'school', 'mentor', 'agreement_template')
    ):
        name = " ".join(os.environ.get("COLLEGE_NAME", "").split()) or "Hogeschool"
        op.bulk_insert(COLLEGE, [{'name': name, 'created_at': now}])
        college_id = bind.execute(sa.text("SELECT id FROM college")).scalar_one()

    # Registrations, schools and mentors: the one college's.
    for table in ('platform', 'school', 'mentor'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('college_id', sa.Integer(), nullable=True))
            if table == 'platform':
                batch_op.add_column(sa.Column('origins', sa.JSON(), nullable=True))
        if college_id is not None:
            bind.execute(sa.text(f"UPDATE {table} SET college_id = :c"), {'c': college_id})
    bind.execute(sa.text("UPDATE platform SET origins = '[]'"))
    with op.batch_alter_table('platform', schema=None) as batch_op:
        batch_op.alter_column('college_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('origins', existing_type=sa.JSON(), nullable=False)
        batch_op.create_index(batch_op.f('ix_platform_college_id'), ['college_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_platform_college_id_college'), 'college', ['college_id'], ['id'])
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.alter_column('college_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint('uq_school_institution_number', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_school_college_id_institution_number'), ['college_id', 'institution_number'])
        batch_op.create_index(batch_op.f('ix_school_college_id'), ['college_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_school_college_id_college'), 'college', ['college_id'], ['id'])
    with op.batch_alter_table('mentor', schema=None) as batch_op:
        batch_op.alter_column('college_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint('uq_mentor_email', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_mentor_college_id_email'), ['college_id', 'email'])
        batch_op.create_index(batch_op.f('ix_mentor_college_id'), ['college_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_mentor_college_id_college'), 'college', ['college_id'], ['id'])

    # Templates: each programme name becomes a programme of the college.
    with op.batch_alter_table('agreement_template', schema=None) as batch_op:
        batch_op.add_column(sa.Column('programme_id', sa.Integer(), nullable=True))
    names = [row[0] for row in bind.execute(sa.text("SELECT DISTINCT programme FROM agreement_template"))]
    if names and college_id is not None:
        op.bulk_insert(PROGRAMME, [{'college_id': college_id, 'name': n, 'created_at': now} for n in names])
        bind.execute(sa.text(
            "UPDATE agreement_template SET programme_id = "
            "(SELECT programme.id FROM programme WHERE programme.name = agreement_template.programme)"
        ))
    with op.batch_alter_table('agreement_template', schema=None) as batch_op:
        batch_op.drop_constraint('uq_agreement_template_programme_version', type_='unique')
        batch_op.drop_column('programme')
        batch_op.alter_column('programme_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_agreement_template_programme_id_version'), ['programme_id', 'version'])
        batch_op.create_index(batch_op.f('ix_agreement_template_programme_id'), ['programme_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_agreement_template_programme_id_programme'), 'programme', ['programme_id'], ['id'])

    # Courses: the programme, when there is no doubt which.
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('programme_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_course_programme_id'), ['programme_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_course_programme_id_programme'), 'programme', ['programme_id'], ['id'])
    if len(names) == 1:
        bind.execute(sa.text("UPDATE course SET programme_id = (SELECT id FROM programme)"))


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_course_programme_id_programme'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_course_programme_id'))
        batch_op.drop_column('programme_id')

    with op.batch_alter_table('agreement_template', schema=None) as batch_op:
        batch_op.add_column(sa.Column('programme', sa.String(length=200), nullable=True))
    bind.execute(sa.text(
        "UPDATE agreement_template SET programme = "
        "(SELECT programme.name FROM programme WHERE programme.id = agreement_template.programme_id)"
    ))
    with op.batch_alter_table('agreement_template', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_agreement_template_programme_id_programme'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_agreement_template_programme_id'))
        batch_op.drop_constraint(batch_op.f('uq_agreement_template_programme_id_version'), type_='unique')
        batch_op.drop_column('programme_id')
        batch_op.alter_column('programme', existing_type=sa.String(length=200), nullable=False)
        batch_op.create_unique_constraint('uq_agreement_template_programme_version', ['programme', 'version'])

    with op.batch_alter_table('mentor', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_mentor_college_id_college'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_mentor_college_id'))
        batch_op.drop_constraint(batch_op.f('uq_mentor_college_id_email'), type_='unique')
        batch_op.create_unique_constraint('uq_mentor_email', ['email'])
        batch_op.drop_column('college_id')
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_school_college_id_college'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_school_college_id'))
        batch_op.drop_constraint(batch_op.f('uq_school_college_id_institution_number'), type_='unique')
        batch_op.create_unique_constraint('uq_school_institution_number', ['institution_number'])
        batch_op.drop_column('college_id')
    with op.batch_alter_table('platform', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_platform_college_id_college'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_platform_college_id'))
        batch_op.drop_column('origins')
        batch_op.drop_column('college_id')

    op.drop_table('registration_invite')
    op.drop_table('programme')
    op.drop_table('college')
