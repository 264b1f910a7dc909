"""reason codes: order status changes and payments keep why as a code with parameters

Revision ID: 0012
Revises: 0006
Create Date: 2026-12-06

Rows written before keep an empty code; pages show their stored Ukrainian sentence.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('order_status_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_code', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('reason_params', sa.JSON(), nullable=True))
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_code', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('review_params', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_column('review_params')
        batch_op.drop_column('review_code')
    with op.batch_alter_table('order_status_change', schema=None) as batch_op:
        batch_op.drop_column('reason_params')
        batch_op.drop_column('reason_code')
