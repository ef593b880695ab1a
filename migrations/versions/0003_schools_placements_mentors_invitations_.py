"""schools placements mentors invitations hours

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 01:44:16.014877
"""

from alembic import op
import sqlalchemy as sa

import lti_app.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('change_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=60), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_record'))
    )
    with op.batch_alter_table('change_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_change_record_at'), ['at'], unique=False)
        batch_op.create_index('ix_change_record_entity', ['entity', 'entity_id'], unique=False)

    op.create_table('mentor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('created_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentor')),
    sa.UniqueConstraint('email', name=op.f('uq_mentor_email'))
    )
    op.create_table('school',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('institution_number', sa.String(length=20), nullable=True),
    sa.Column('street', sa.String(length=300), nullable=False),
    sa.Column('postal_code', sa.String(length=10), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('contact_email', sa.String(length=320), nullable=True),
    sa.Column('contact_phone', sa.String(length=40), nullable=False),
    sa.Column('created_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school')),
    sa.UniqueConstraint('institution_number', name=op.f('uq_school_institution_number'))
    )
    op.create_table('placement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=True),
    sa.Column('track', sa.Enum('stage', 'werkplekleren', 'lio', name='track', native_enum=False, length=20), nullable=False),
    sa.Column('state', sa.Enum('proposed', 'returned', 'approved', name='placementstate', native_enum=False, length=20), nullable=False),
    sa.Column('return_reason', sa.Text(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('subjects', sa.String(length=300), nullable=False),
    sa.Column('grade_levels', sa.String(length=200), nullable=False),
    sa.Column('planned_observation_hours', sa.Integer(), nullable=False),
    sa.Column('planned_co_teaching_hours', sa.Integer(), nullable=False),
    sa.Column('planned_own_lessons', sa.Integer(), nullable=False),
    sa.Column('planned_hours', sa.Integer(), nullable=False),
    sa.Column('risk_analysis_done', sa.Boolean(), nullable=False),
    sa.Column('workstation_sheet_needed', sa.Boolean(), nullable=False),
    sa.Column('insurance_reference', sa.String(length=100), nullable=False),
    sa.Column('lio_appointment', sa.String(length=200), nullable=False),
    sa.Column('lio_teaching_hours', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['coach_id'], ['person.id'], name=op.f('fk_placement_coach_id_person')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_placement_course_id_course')),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_placement_created_by_id_person')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_placement_school_id_school')),
    sa.ForeignKeyConstraint(['student_id'], ['person.id'], name=op.f('fk_placement_student_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement'))
    )
    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_placement_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_placement_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_placement_student_id'), ['student_id'], unique=False)

    op.create_table('hour_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('observation', 'co_teaching', 'own_lesson', 'other', name='hourkind', native_enum=False, length=20), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'approved', 'rejected', name='hourstate', native_enum=False, length=20), nullable=False),
    sa.Column('reject_reason', sa.Text(), nullable=False),
    sa.Column('decided_by_mentor_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', lti_app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_mentor_id'], ['mentor.id'], name=op.f('fk_hour_entry_decided_by_mentor_id_mentor')),
    sa.ForeignKeyConstraint(['placement_id'], ['placement.id'], name=op.f('fk_hour_entry_placement_id_placement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hour_entry'))
    )
    with op.batch_alter_table('hour_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hour_entry_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_hour_entry_placement_id'), ['placement_id'], unique=False)

    op.create_table('mentor_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('state', sa.Enum('sent', 'opened', 'active', 'expired', 'revoked', 'bounced', name='invitationstate', native_enum=False, length=20), nullable=False),
    sa.Column('expires_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_at', lti_app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('used_at', lti_app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', lti_app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('mail_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_mentor_invitation_created_by_id_person')),
    sa.ForeignKeyConstraint(['mentor_id'], ['mentor.id'], name=op.f('fk_mentor_invitation_mentor_id_mentor')),
    sa.ForeignKeyConstraint(['placement_id'], ['placement.id'], name=op.f('fk_mentor_invitation_placement_id_placement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentor_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_mentor_invitation_token_hash'))
    )
    with op.batch_alter_table('mentor_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentor_invitation_mentor_id'), ['mentor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentor_invitation_placement_id'), ['placement_id'], unique=False)

    op.create_table('placement_mentor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('created_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mentor_id'], ['mentor.id'], name=op.f('fk_placement_mentor_mentor_id_mentor')),
    sa.ForeignKeyConstraint(['placement_id'], ['placement.id'], name=op.f('fk_placement_mentor_placement_id_placement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_mentor')),
    sa.UniqueConstraint('placement_id', 'mentor_id', name=op.f('uq_placement_mentor_placement_id_mentor_id'))
    )
    with op.batch_alter_table('placement_mentor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_placement_mentor_mentor_id'), ['mentor_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('placement_mentor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_placement_mentor_mentor_id'))

    op.drop_table('placement_mentor')
    with op.batch_alter_table('mentor_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentor_invitation_placement_id'))
        batch_op.drop_index(batch_op.f('ix_mentor_invitation_mentor_id'))

    op.drop_table('mentor_invitation')
    with op.batch_alter_table('hour_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hour_entry_placement_id'))
        batch_op.drop_index(batch_op.f('ix_hour_entry_day'))

    op.drop_table('hour_entry')
    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_placement_student_id'))
        batch_op.drop_index(batch_op.f('ix_placement_school_id'))
        batch_op.drop_index(batch_op.f('ix_placement_course_id'))

    op.drop_table('placement')
    op.drop_table('school')
    op.drop_table('mentor')
    with op.batch_alter_table('change_record', schema=None) as batch_op:
        batch_op.drop_index('ix_change_record_entity')
        batch_op.drop_index(batch_op.f('ix_change_record_at'))

    op.drop_table('change_record')

