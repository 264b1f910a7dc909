"""promotions reminders refunds claims

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('promotion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('online_order', 'online_payment')", name=op.f('ck_promotion_kind')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_promotion_dates')),
    sa.CheckConstraint('percent > 0 AND percent < 100', name=op.f('ck_promotion_percent')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion'))
    )
    op.create_table('refund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('provider_answer', sa.Text(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('requested', 'done', 'failed')", name=op.f('ck_refund_status')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_refund_payment_id_payment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund'))
    )
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_payment_id'), ['payment_id'], unique=False)

    op.create_table('collection_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('manager_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_collection_task_company_id_company')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_collection_task_invoice_id_invoice')),
    sa.ForeignKeyConstraint(['manager_id'], ['staff_user.id'], name=op.f('fk_collection_task_manager_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collection_task')),
    sa.UniqueConstraint('invoice_id', name=op.f('uq_collection_task_invoice_id'))
    )
    with op.batch_alter_table('collection_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_task_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_collection_task_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collection_task_manager_id'), ['manager_id'], unique=False)

    op.create_table('invoice_reminder',
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('offset_days', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('raised_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('skipped', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_invoice_reminder_invoice_id_invoice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('invoice_id', 'offset_days', name=op.f('pk_invoice_reminder'))
    )
    op.create_table('payment_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('file_type', sa.String(length=100), nullable=False),
    sa.Column('file_data', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=False),
    sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open', 'confirmed', 'rejected')", name=op.f('ck_payment_claim_status')),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_payment_claim_company_id_company')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_payment_claim_invoice_id_invoice')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_payment_claim_payment_id_payment')),
    sa.ForeignKeyConstraint(['user_id'], ['customer_user.id'], name=op.f('fk_payment_claim_user_id_customer_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_claim'))
    )
    with op.batch_alter_table('payment_claim', schema=None) as batch_op:
        batch_op.create_index('ix_payment_claim_status_company', ['status', 'company_id'], unique=False)

    with op.batch_alter_table('card_checkout_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount', sa.Numeric(precision=14, scale=2), nullable=False))
        batch_op.add_column(sa.Column('promotion_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_card_checkout_item_promotion_id_promotion'), 'promotion', ['promotion_id'], ['id'])

    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promotion_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('discount_amount', sa.Numeric(precision=14, scale=2), nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_customer_order_promotion_id_promotion'), 'promotion', ['promotion_id'], ['id'])


    # A promotion's write-off is kept as a payment of its own source.
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payment_source'), type_='check')
        batch_op.create_check_constraint('source', "source IN ('liqpay', 'bank', 'manual', 'discount')")

def downgrade() -> None:
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payment_source'), type_='check')
        batch_op.create_check_constraint('source', "source IN ('liqpay', 'bank', 'manual')")
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_customer_order_promotion_id_promotion'), type_='foreignkey')
        batch_op.drop_column('discount_amount')
        batch_op.drop_column('promotion_id')

    with op.batch_alter_table('card_checkout_item', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_card_checkout_item_promotion_id_promotion'), type_='foreignkey')
        batch_op.drop_column('promotion_id')
        batch_op.drop_column('discount')

    with op.batch_alter_table('payment_claim', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_claim_status_company')

    op.drop_table('payment_claim')
    op.drop_table('invoice_reminder')
    with op.batch_alter_table('collection_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_task_manager_id'))
        batch_op.drop_index(batch_op.f('ix_collection_task_company_id'))
        batch_op.drop_index(batch_op.f('ix_collection_task_closed_at'))

    op.drop_table('collection_task')
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_payment_id'))

    op.drop_table('refund')
    op.drop_table('promotion')
