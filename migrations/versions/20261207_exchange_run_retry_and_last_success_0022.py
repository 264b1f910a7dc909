"""exchange runs: the run a retry repeats, and an index for the last success per entity

Revision ID: 0022
Revises: 0018
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite adds a foreign key only by rebuilding the table; nothing points at
    # exchange_run, so the rebuild is safe.
    with op.batch_alter_table('exchange_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retry_of', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_exchange_run_retry_of_exchange_run'), 'exchange_run', ['retry_of'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_exchange_run_retry_of'), ['retry_of'])
        batch_op.create_index('ix_exchange_run_last_success', ['direction', 'status', 'entity', 'finished_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('exchange_run', schema=None) as batch_op:
        batch_op.drop_index('ix_exchange_run_last_success')
        batch_op.drop_constraint(batch_op.f('uq_exchange_run_retry_of'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_exchange_run_retry_of_exchange_run'), type_='foreignkey')
        batch_op.drop_column('retry_of')
