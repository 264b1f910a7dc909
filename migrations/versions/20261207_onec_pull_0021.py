"""onec pull: cursors per entity, the pull's lease, 1C's company details, balances and
documents; payments of source "1c"

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


SOURCES = "'liqpay', 'bank', 'manual', 'discount'"


def upgrade() -> None:
    # Money entered in 1C becomes a payment of its own source (the push never sends it back).
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payment_source'), type_='check')
        batch_op.create_check_constraint('source', f"source IN ({SOURCES}, '1c')")
    op.create_table('onec_cursor',
    sa.Column('entity', sa.String(length=30), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('entity', name=op.f('pk_onec_cursor'))
    )
    op.create_table('onec_lease',
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=False),
    sa.Column('until', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_onec_lease'))
    )
    op.create_table('onec_company',
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=500), nullable=True),
    sa.Column('vat_number', sa.String(length=12), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('manager_name', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_onec_company_company_id_company')),
    sa.PrimaryKeyConstraint('company_id', name=op.f('pk_onec_company'))
    )
    op.create_table('onec_balance',
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('debt', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('overdue_debt', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('as_of', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('portal_debt', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('differs_since', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_onec_balance_company_id_company')),
    sa.PrimaryKeyConstraint('company_id', name=op.f('pk_onec_balance'))
    )
    op.create_index(op.f('ix_onec_balance_differs_since'), 'onec_balance', ['differs_since'], unique=False)
    op.create_table('onec_document',
    sa.Column('guid', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('number', sa.String(length=50), nullable=False),
    sa.Column('date', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('portal_id', sa.String(length=64), nullable=True),
    sa.Column('payment_source', sa.String(length=10), nullable=True),
    sa.Column('posted', sa.Boolean(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_onec_document_company_id_company')),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_onec_document_order_id_customer_order')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_onec_document_payment_id_payment')),
    sa.PrimaryKeyConstraint('guid', name=op.f('pk_onec_document'))
    )
    op.create_index(op.f('ix_onec_document_company_id'), 'onec_document', ['company_id'], unique=False)
    op.create_index(op.f('ix_onec_document_order_id'), 'onec_document', ['order_id'], unique=False)
    op.create_index(op.f('ix_onec_document_payment_id'), 'onec_document', ['payment_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_onec_document_payment_id'), table_name='onec_document')
    op.drop_index(op.f('ix_onec_document_order_id'), table_name='onec_document')
    op.drop_index(op.f('ix_onec_document_company_id'), table_name='onec_document')
    op.drop_table('onec_document')
    op.drop_index(op.f('ix_onec_balance_differs_since'), table_name='onec_balance')
    op.drop_table('onec_balance')
    op.drop_table('onec_company')
    op.drop_table('onec_lease')
    op.drop_table('onec_cursor')
    # What came from 1C stays as money staff recorded by hand.
    op.execute("UPDATE payment SET source = 'manual' WHERE source = '1c'")
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payment_source'), type_='check')
        batch_op.create_check_constraint('source', f"source IN ({SOURCES})")
