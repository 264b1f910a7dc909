"""onec push: what 1C answered for each document the portal pushed

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = '0020'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('onec_document_ref',
    sa.Column('portal_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('onec_id', sa.String(length=36), nullable=False),
    sa.Column('number', sa.String(length=50), nullable=False),
    sa.Column('onec_date', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('pushed_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('portal_id', 'kind', name=op.f('pk_onec_document_ref'))
    )
    op.create_index('ix_onec_document_ref_kind_object', 'onec_document_ref', ['kind', 'object_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_onec_document_ref_kind_object', table_name='onec_document_ref')
    op.drop_table('onec_document_ref')
