"""jobs and mail: the job queue, outgoing mail, bounced addresses

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 01:28:48.049440
"""

from alembic import op
import sqlalchemy as sa

import lti_app.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bounced_address',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bounced_address')),
    sa.UniqueConstraint('address', name=op.f('uq_bounced_address_address'))
    )
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=100), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=255), nullable=True),
    sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', name='jobstate', native_enum=False, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('run_after', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_by', sa.String(length=200), nullable=True),
    sa.Column('locked_at', lti_app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('progress', sa.JSON(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('created_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', lti_app.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index('ix_job_state_run_after', ['state', 'run_after'], unique=False)
        batch_op.create_index('uq_job_dedupe_key_unfinished', ['dedupe_key'], unique=True, postgresql_where=sa.text("state IN ('queued', 'running')"), sqlite_where=sa.text("state IN ('queued', 'running')"))

    op.create_table('outgoing_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to_address', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=998), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('state', sa.Enum('queued', 'sent', 'bounced', 'failed', name='mailstate', native_enum=False, length=20), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('created_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', lti_app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_outgoing_mail_job_id_job'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_mail')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outgoing_mail_message_id'))
    )
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoing_mail_to_address'), ['to_address'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_mail_to_address'))

    op.drop_table('outgoing_mail')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('uq_job_dedupe_key_unfinished', postgresql_where=sa.text("state IN ('queued', 'running')"), sqlite_where=sa.text("state IN ('queued', 'running')"))
        batch_op.drop_index('ix_job_state_run_after')

    op.drop_table('job')
    op.drop_table('bounced_address')
