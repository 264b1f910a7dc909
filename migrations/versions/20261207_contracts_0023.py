"""contracts: template versions, contracts and their history, the Vchasno registration incentive; company requisites

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contract_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('placeholders', sa.JSON(), nullable=False),
    sa.Column('comment', sa.String(length=500), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_contract_template_file_id_stored_file')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['staff_user.id'], name=op.f('fk_contract_template_uploaded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_template')),
    sa.UniqueConstraint('version', name=op.f('uq_contract_template_version'))
    )
    op.create_table('contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('generated_file_id', sa.Integer(), nullable=False),
    sa.Column('edited_file_id', sa.Integer(), nullable=True),
    sa.Column('pdf_file_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('vchasno_id', sa.String(length=64), nullable=True),
    sa.Column('vchasno_status', sa.Integer(), nullable=True),
    sa.Column('vchasno_checked_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('signed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('signed_file_id', sa.Integer(), nullable=True),
    sa.Column('signature_file_id', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('review', 'returned', 'approved', 'sent', 'signed', 'rejected', 'annulled', 'superseded')", name=op.f('ck_contract_status')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['staff_user.id'], name=op.f('fk_contract_approved_by_id_staff_user')),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_contract_company_id_company')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_contract_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['edited_file_id'], ['stored_file.id'], name=op.f('fk_contract_edited_file_id_stored_file')),
    sa.ForeignKeyConstraint(['generated_file_id'], ['stored_file.id'], name=op.f('fk_contract_generated_file_id_stored_file')),
    sa.ForeignKeyConstraint(['pdf_file_id'], ['stored_file.id'], name=op.f('fk_contract_pdf_file_id_stored_file')),
    sa.ForeignKeyConstraint(['signature_file_id'], ['stored_file.id'], name=op.f('fk_contract_signature_file_id_stored_file')),
    sa.ForeignKeyConstraint(['signed_file_id'], ['stored_file.id'], name=op.f('fk_contract_signed_file_id_stored_file')),
    sa.ForeignKeyConstraint(['template_id'], ['contract_template.id'], name=op.f('fk_contract_template_id_contract_template')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract')),
    sa.UniqueConstraint('number', name=op.f('uq_contract_number')),
    sa.UniqueConstraint('vchasno_id', name=op.f('uq_contract_vchasno_id'))
    )
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_company_id'), ['company_id'], unique=False)
        batch_op.create_index('ix_contract_status_submitted', ['status', 'submitted_at'], unique=False)

    op.create_table('contract_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_contract_event_contract_id_contract')),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_user.id'], name=op.f('fk_contract_event_staff_user_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_event'))
    )
    with op.batch_alter_table('contract_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_event_contract_id'), ['contract_id'], unique=False)

    op.create_table('vchasno_registration_incentive',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('percent', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('invited_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('registered_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('used_order_id', sa.Integer(), nullable=True),
    sa.Column('used_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_vchasno_registration_incentive_company_id_company')),
    sa.ForeignKeyConstraint(['used_order_id'], ['customer_order.id'], name=op.f('fk_vchasno_registration_incentive_used_order_id_customer_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vchasno_registration_incentive')),
    sa.UniqueConstraint('company_id', name=op.f('uq_vchasno_registration_incentive_company_id')),
    sa.UniqueConstraint('used_order_id', name=op.f('uq_vchasno_registration_incentive_used_order_id'))
    )
    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_address', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('iban', sa.String(length=29), server_default='', nullable=False))
        batch_op.add_column(sa.Column('bank_name', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('signer_name', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('signer_position', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('signing_basis', sa.String(length=300), server_default='', nullable=False))



def downgrade() -> None:
    # Dropped in place (SQLite 3.35+ can): rebuilding company, as batch mode otherwise
    # would, fails on SQLite while other tables' rows point at it.
    with op.batch_alter_table('company', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('signing_basis')
        batch_op.drop_column('signer_position')
        batch_op.drop_column('signer_name')
        batch_op.drop_column('bank_name')
        batch_op.drop_column('iban')
        batch_op.drop_column('legal_address')

    op.drop_table('vchasno_registration_incentive')
    with op.batch_alter_table('contract_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_event_contract_id'))

    op.drop_table('contract_event')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_status_submitted')
        batch_op.drop_index(batch_op.f('ix_contract_company_id'))

    op.drop_table('contract')
    op.drop_table('contract_template')
