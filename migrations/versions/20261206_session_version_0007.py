"""session version of customer and staff users

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

Part of Flask-Login's id in every session and remember-me cookie: logging out, a new
password or being switched off moves it on, and every earlier cookie stops working.
Cookies issued before this revision carry no version: their holders log in once more.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

TABLES = ('customer_user', 'staff_user')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('session_version')
