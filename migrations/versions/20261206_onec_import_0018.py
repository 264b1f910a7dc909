"""onec import: exchange runs, 1C's units and properties, product properties, barcodes and
images; 1C's Ид on categories, price types and warehouses

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

GUIDED = ("category", "price_type", "warehouse")


def upgrade() -> None:
    # Plain ADD COLUMN and a unique index: on SQLite a batch rebuild of these tables would
    # drop tables that stock, prices and products point at.
    for table in GUIDED:
        op.add_column(table, sa.Column('onec_guid', sa.String(length=36), nullable=True))
        op.create_index(op.f(f'ix_{table}_onec_guid'), table, ['onec_guid'], unique=True)
    op.create_table('exchange_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('entity', sa.String(length=30), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('started_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('skipped_items', sa.JSON(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('file_sha256', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_run'))
    )
    op.create_index(op.f('ix_exchange_run_entity'), 'exchange_run', ['entity'], unique=False)
    op.create_table('onec_unit',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('full_name', sa.String(length=100), nullable=True),
    sa.Column('international', sa.String(length=10), nullable=True),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_onec_unit'))
    )
    op.create_table('onec_property',
    sa.Column('guid', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('guid', name=op.f('pk_onec_property'))
    )
    op.create_table('product_property',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('value', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_product_property_product_id_product')),
    sa.PrimaryKeyConstraint('product_id', 'name', name=op.f('pk_product_property'))
    )
    op.create_table('product_barcode',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('barcode', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_product_barcode_product_id_product')),
    sa.PrimaryKeyConstraint('product_id', 'barcode', name=op.f('pk_product_barcode'))
    )
    op.create_index(op.f('ix_product_barcode_barcode'), 'product_barcode', ['barcode'], unique=False)
    op.create_table('product_image',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_product_image_file_id_stored_file')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_product_image_product_id_product')),
    sa.PrimaryKeyConstraint('product_id', 'path', name=op.f('pk_product_image'))
    )


def downgrade() -> None:
    op.drop_table('product_image')
    op.drop_index(op.f('ix_product_barcode_barcode'), table_name='product_barcode')
    op.drop_table('product_barcode')
    op.drop_table('product_property')
    op.drop_table('onec_property')
    op.drop_table('onec_unit')
    op.drop_index(op.f('ix_exchange_run_entity'), table_name='exchange_run')
    op.drop_table('exchange_run')
    for table in reversed(GUIDED):
        op.drop_index(op.f(f'ix_{table}_onec_guid'), table_name=table)
        op.drop_column(table, 'onec_guid')
