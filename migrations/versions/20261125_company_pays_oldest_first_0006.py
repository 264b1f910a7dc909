"""company pays oldest first

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

Existing companies keep today's behaviour (oldest first).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pay_oldest_first', sa.Boolean(), nullable=False, server_default=sa.true()))



def downgrade() -> None:
    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.drop_column('pay_oldest_first')

