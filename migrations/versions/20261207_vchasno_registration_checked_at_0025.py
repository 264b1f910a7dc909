"""contracts: when an invited customer's registration in Vchasno was last checked

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('vchasno_registration_incentive', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_at', core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('vchasno_registration_incentive', schema=None) as batch_op:
        batch_op.drop_column('checked_at')
