"""ukrainian sort keys and sku keys

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-06

Names get a stored sort key (Ukrainian alphabetical order on both databases) and
products a SKU key (no case, spaces or hyphens) that quick order and search use;
existing rows are filled here.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.catalog.search import product_search_text
from core.textkeys import sku_key, sort_key_column, uk_sort_key

revision = '0011'
down_revision = '0013'
branch_labels = None
depends_on = None

BATCH = 1000


def _fill(table: str, columns: tuple[str, ...], compute) -> None:
    """Write computed values row by row in batches (the keys are computed in Python, as on every write)."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT id, {', '.join(columns)} FROM {table}")).all()
    if not rows:
        return
    updates = [{"row_id": row[0], **compute(*row[1:])} for row in rows]
    assignments = ", ".join(f"{name} = :{name}" for name in updates[0] if name != "row_id")
    statement = sa.text(f"UPDATE {table} SET {assignments} WHERE id = :row_id")
    for start in range(0, len(updates), BATCH):
        bind.execute(statement, updates[start:start + BATCH])


def upgrade() -> None:
    # Plain ADD COLUMN / CREATE INDEX: on SQLite a batch rebuild of these tables would
    # drop tables other rows point at, which foreign keys refuse once there is data.
    op.add_column('product', sa.Column('sku_key', sa.String(length=40), server_default='', nullable=False))
    op.add_column('product', sa.Column('name_sort', sort_key_column(300), server_default='', nullable=False))
    op.add_column('category', sa.Column('name_sort', sort_key_column(200), server_default='', nullable=False))
    op.add_column('company', sa.Column('name_sort', sort_key_column(300), server_default='', nullable=False))

    _fill('product', ('name', 'sku', 'barcode'), lambda name, sku, barcode: {
        'sku_key': sku_key(sku),
        'name_sort': uk_sort_key(name),
        'search_text': product_search_text(name, sku, barcode),
    })
    _fill('category', ('name',), lambda name: {'name_sort': uk_sort_key(name)})
    _fill('company', ('name',), lambda name: {'name_sort': uk_sort_key(name)})

    op.drop_index('ix_product_name_id', table_name='product')
    op.create_index('ix_product_name_sort_id', 'product', ['name_sort', 'id'], unique=False)
    op.create_index('ix_product_sku_key', 'product', ['sku_key'], unique=False)
    op.create_index('ix_company_name_sort_id', 'company', ['name_sort', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_company_name_sort_id', table_name='company')
    op.drop_index('ix_product_sku_key', table_name='product')
    op.drop_index('ix_product_name_sort_id', table_name='product')
    op.create_index('ix_product_name_id', 'product', ['name', 'id'], unique=False)
    for table in ('company', 'category', 'product'):
        op.drop_column(table, 'name_sort')
    op.drop_column('product', 'sku_key')
