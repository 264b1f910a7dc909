"""payments invoices allocations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('invoice_counter',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_invoice_counter'))
    )
    op.create_table('bank_statement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('file_format', sa.String(length=5), nullable=False),
    sa.Column('account', sa.String(length=40), nullable=False),
    sa.Column('lines_total', sa.Integer(), nullable=False),
    sa.Column('lines_new', sa.Integer(), nullable=False),
    sa.Column('lines_matched', sa.Integer(), nullable=False),
    sa.Column('imported_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('imported_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['imported_by_staff_id'], ['staff_user.id'], name=op.f('fk_bank_statement_imported_by_staff_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_statement'))
    )
    op.create_table('card_checkout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('settled_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_card_checkout_company_id_company')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_checkout')),
    sa.UniqueConstraint('reference', name=op.f('uq_card_checkout_reference'))
    )
    with op.batch_alter_table('card_checkout', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_checkout_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_card_checkout_settled_at'), ['settled_at'], unique=False)

    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('checkout_id', sa.Integer(), nullable=True),
    sa.Column('statement_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('provider_status', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('payer_name', sa.String(length=300), nullable=False),
    sa.Column('payer_tax_id', sa.String(length=10), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('needs_review', sa.Boolean(), nullable=False),
    sa.Column('review_reason', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('liqpay', 'bank', 'manual')", name=op.f('ck_payment_source')),
    sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed', 'reversed')", name=op.f('ck_payment_status')),
    sa.ForeignKeyConstraint(['checkout_id'], ['card_checkout.id'], name=op.f('fk_payment_checkout_id_card_checkout')),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_payment_company_id_company')),
    sa.ForeignKeyConstraint(['statement_id'], ['bank_statement.id'], name=op.f('fk_payment_statement_id_bank_statement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment')),
    sa.UniqueConstraint('source', 'external_id', name='uq_payment_source_external_id')
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_checkout_id'), ['checkout_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_payer_tax_id'), ['payer_tax_id'], unique=False)
        batch_op.create_index('ix_payment_review', ['needs_review', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_statement_id'), ['statement_id'], unique=False)

    op.create_table('invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('vat_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('paid_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('pay_token', sa.String(length=32), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('full', 'advance', 'remainder')", name=op.f('ck_invoice_kind')),
    sa.CheckConstraint("status IN ('open', 'paid', 'cancelled')", name=op.f('ck_invoice_status')),
    sa.CheckConstraint('paid_amount >= 0 AND paid_amount <= amount', name=op.f('ck_invoice_paid_within_amount')),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_invoice_company_id_company')),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_invoice_order_id_customer_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice')),
    sa.UniqueConstraint('pay_token', name=op.f('uq_invoice_pay_token')),
    sa.UniqueConstraint('year', 'seq', name='uq_invoice_year_seq')
    )
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_company_status', ['company_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_invoice_status_due', ['status', 'due_on'], unique=False)

    op.create_table('payment_status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=10), nullable=True),
    sa.Column('to_status', sa.String(length=10), nullable=False),
    sa.Column('provider_status', sa.String(length=20), nullable=False),
    sa.Column('at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_payment_status_change_payment_id_payment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_status_change'))
    )
    with op.batch_alter_table('payment_status_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_status_change_payment_id'), ['payment_id'], unique=False)

    op.create_table('allocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('allocated_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reversed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_allocation_invoice_id_invoice')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_allocation_payment_id_payment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation')),
    sa.UniqueConstraint('payment_id', 'invoice_id', name='uq_allocation_payment_invoice')
    )
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocation_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('card_checkout_item',
    sa.Column('checkout_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['checkout_id'], ['card_checkout.id'], name=op.f('fk_card_checkout_item_checkout_id_card_checkout'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_card_checkout_item_invoice_id_invoice')),
    sa.PrimaryKeyConstraint('checkout_id', 'invoice_id', name=op.f('pk_card_checkout_item'))
    )
    op.create_table('invoice_status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=10), nullable=True),
    sa.Column('to_status', sa.String(length=10), nullable=False),
    sa.Column('at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_invoice_status_change_invoice_id_invoice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_status_change'))
    )
    with op.batch_alter_table('invoice_status_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_status_change_invoice_id'), ['invoice_id'], unique=False)

    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('released_at', core.db.UTCDateTime(timezone=True), nullable=True))
    # Orders already past confirmation were shipped under the old rules: released.
    op.execute(
        "UPDATE customer_order SET released_at = updated_at "
        "WHERE status IN ('assembling', 'shipped', 'delivered')"
    )


def downgrade() -> None:
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.drop_column('released_at')

    with op.batch_alter_table('invoice_status_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_status_change_invoice_id'))

    op.drop_table('invoice_status_change')
    op.drop_table('card_checkout_item')
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocation_invoice_id'))

    op.drop_table('allocation')
    with op.batch_alter_table('payment_status_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_status_change_payment_id'))

    op.drop_table('payment_status_change')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_status_due')
        batch_op.drop_index(batch_op.f('ix_invoice_order_id'))
        batch_op.drop_index('ix_invoice_company_status')

    op.drop_table('invoice')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_statement_id'))
        batch_op.drop_index('ix_payment_review')
        batch_op.drop_index(batch_op.f('ix_payment_payer_tax_id'))
        batch_op.drop_index(batch_op.f('ix_payment_company_id'))
        batch_op.drop_index(batch_op.f('ix_payment_checkout_id'))

    op.drop_table('payment')
    with op.batch_alter_table('card_checkout', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_checkout_settled_at'))
        batch_op.drop_index(batch_op.f('ix_card_checkout_company_id'))

    op.drop_table('card_checkout')
    op.drop_table('bank_statement')
    op.drop_table('invoice_counter')
