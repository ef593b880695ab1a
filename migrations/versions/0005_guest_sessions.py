"""guest sessions: a mentor's sign-in on one device, kept on the server so that it can end

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:12:00.000000

Mentors signed in before this revision carry only their id in a cookie; such cookies sign
nobody in any more, so they use a link from their e-mail (or ask for a new one) once.
"""

from alembic import op
import sqlalchemy as sa

import lti_app.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('guest_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('browser', sa.String(length=40), nullable=False),
    sa.Column('system', sa.String(length=40), nullable=False),
    sa.Column('created_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', lti_app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=60), nullable=True),
    sa.ForeignKeyConstraint(['invitation_id'], ['mentor_invitation.id'], name=op.f('fk_guest_session_invitation_id_mentor_invitation')),
    sa.ForeignKeyConstraint(['mentor_id'], ['mentor.id'], name=op.f('fk_guest_session_mentor_id_mentor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guest_session')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_guest_session_secret_hash'))
    )
    with op.batch_alter_table('guest_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guest_session_mentor_id'), ['mentor_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('guest_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guest_session_mentor_id'))

    op.drop_table('guest_session')
