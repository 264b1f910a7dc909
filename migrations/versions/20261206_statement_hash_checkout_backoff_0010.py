"""statement file hash, checkout reconciliation backoff

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-06

Statements imported before keep no hash: only files imported from now on are
recognised when uploaded again (their lines were never imported twice anyway).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = '0010'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bank_statement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_sha256', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_bank_statement_content_sha256'), ['content_sha256'])
    # Checkouts still waiting are asked about at once, then by the new schedule.
    with op.batch_alter_table('card_checkout', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_checks', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('next_check_at', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_answer', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('lapsed', sa.String(length=10), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('lapsed_at', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_card_checkout_lapsed_at'), ['lapsed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('card_checkout', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_checkout_lapsed_at'))
        for column in ('lapsed_at', 'lapsed', 'last_answer', 'next_check_at', 'status_checks'):
            batch_op.drop_column(column)
    with op.batch_alter_table('bank_statement', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_bank_statement_content_sha256'), type_='unique')
        batch_op.drop_column('content_sha256')
