"""onec exchange: the sessions of 1C's "exchange with website" and the orders 1C has taken

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('onec_exchange_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sale_sent', sa.JSON(), nullable=True),
    sa.Column('import_name', sa.String(length=255), nullable=True),
    sa.Column('import_started_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('import_run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['import_run_id'], ['exchange_run.id'], name=op.f('fk_onec_exchange_session_import_run_id_exchange_run'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onec_exchange_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_onec_exchange_session_token_hash'))
    )
    op.create_index(op.f('ix_onec_exchange_session_expires_at'), 'onec_exchange_session', ['expires_at'], unique=False)
    op.create_table('onec_sale_export',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('exported_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_onec_sale_export_order_id_customer_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_onec_sale_export'))
    )


def downgrade() -> None:
    op.drop_table('onec_sale_export')
    op.drop_index(op.f('ix_onec_exchange_session_expires_at'), table_name='onec_exchange_session')
    op.drop_table('onec_exchange_session')
