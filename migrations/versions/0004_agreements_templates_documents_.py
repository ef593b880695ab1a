"""agreements templates documents signatures

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 06:57:01.640821
"""

from alembic import op
import sqlalchemy as sa

import lti_app.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agreement_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('college_name', sa.String(length=300), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('signing_order', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('created_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_template')),
    sa.UniqueConstraint('programme', 'version', name=op.f('uq_agreement_template_programme_version'))
    )
    op.create_table('agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'awaiting_signatures', 'active', 'completed', 'ended_early', 'cancelled', name='agreementstate', native_enum=False, length=30), nullable=False),
    sa.Column('signing_order', sa.JSON(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('school_contact_id', sa.Integer(), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=False),
    sa.Column('activated_at', lti_app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', lti_app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('created_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['placement_id'], ['placement.id'], name=op.f('fk_agreement_placement_id_placement')),
    sa.ForeignKeyConstraint(['school_contact_id'], ['mentor.id'], name=op.f('fk_agreement_school_contact_id_mentor')),
    sa.ForeignKeyConstraint(['template_id'], ['agreement_template.id'], name=op.f('fk_agreement_template_id_agreement_template')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement'))
    )
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_placement_id'), ['placement_id'], unique=False)
        batch_op.create_index('uq_agreement_live_placement', ['placement_id'], unique=True, sqlite_where=sa.text("state IN ('draft', 'awaiting_signatures', 'active')"), postgresql_where=sa.text("state IN ('draft', 'awaiting_signatures', 'active')"))

    op.create_table('agreement_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('agreement', 'addendum', name='documentkind', native_enum=False, length=20), nullable=False),
    sa.Column('state', sa.Enum('draft', 'signing', 'signed', 'withdrawn', name='documentstate', native_enum=False, length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('signed_at', lti_app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('created_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_agreement_document_agreement_id_agreement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_document')),
    sa.UniqueConstraint('agreement_id', 'number', name=op.f('uq_agreement_document_agreement_id_number'))
    )
    with op.batch_alter_table('agreement_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_document_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_document_pdf_sha256'), ['pdf_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_document_text_sha256'), ['text_sha256'], unique=False)

    op.create_table('agreement_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('party', sa.Enum('student', 'school', 'college', name='party', native_enum=False, length=20), nullable=False),
    sa.Column('signer', sa.String(length=60), nullable=False),
    sa.Column('signer_name', sa.String(length=300), nullable=False),
    sa.Column('signer_email', sa.String(length=320), nullable=False),
    sa.Column('signer_role', sa.String(length=40), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('signed_at', lti_app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('voided_at', lti_app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['agreement_document.id'], name=op.f('fk_agreement_signature_document_id_agreement_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_signature'))
    )
    with op.batch_alter_table('agreement_signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_signature_document_id'), ['document_id'], unique=False)
        batch_op.create_index('uq_agreement_signature_valid', ['document_id', 'party'], unique=True, sqlite_where=sa.text('voided_at IS NULL'), postgresql_where=sa.text('voided_at IS NULL'))



def downgrade() -> None:
    with op.batch_alter_table('agreement_signature', schema=None) as batch_op:
        batch_op.drop_index('uq_agreement_signature_valid', sqlite_where=sa.text('voided_at IS NULL'), postgresql_where=sa.text('voided_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_agreement_signature_document_id'))

    op.drop_table('agreement_signature')
    with op.batch_alter_table('agreement_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_document_text_sha256'))
        batch_op.drop_index(batch_op.f('ix_agreement_document_pdf_sha256'))
        batch_op.drop_index(batch_op.f('ix_agreement_document_agreement_id'))

    op.drop_table('agreement_document')
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.drop_index('uq_agreement_live_placement', sqlite_where=sa.text("state IN ('draft', 'awaiting_signatures', 'active')"), postgresql_where=sa.text("state IN ('draft', 'awaiting_signatures', 'active')"))
        batch_op.drop_index(batch_op.f('ix_agreement_placement_id'))

    op.drop_table('agreement')
    op.drop_table('agreement_template')
