"""catalog full text search: product.search_words, a GIN index on PostgreSQL, FTS5 on SQLite

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

Products get `search_words` (their words, letter and digit runs and Ukrainian/Russian
stems, computed in Python: core/catalog/search.py), filled here for existing rows.
PostgreSQL keeps `search_vector`, a stored generated `to_tsvector('simple', search_words)`
(ranking reads it rather than parsing each match again), with a GIN index; pg_trgm (typos,
partial codes) is made sure of. SQLite gets the FTS5 table `product_fts`
over the column (external content) and triggers that keep it in step with every write,
bulk inserts included.

A later migration that rebuilds `product` in SQLite's batch mode drops these triggers
with the old table: it must create them again (`_create_sqlite_triggers`).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.catalog.search import search_words

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

BATCH = 1000

SQLITE_TRIGGERS = {
    "product_fts_insert": "AFTER INSERT ON product BEGIN"
    " INSERT INTO product_fts (rowid, search_words) VALUES (new.id, new.search_words); END",
    "product_fts_delete": "AFTER DELETE ON product BEGIN"
    " INSERT INTO product_fts (product_fts, rowid, search_words) VALUES ('delete', old.id, old.search_words); END",
    "product_fts_update": "AFTER UPDATE OF search_words ON product BEGIN"
    " INSERT INTO product_fts (product_fts, rowid, search_words) VALUES ('delete', old.id, old.search_words);"
    " INSERT INTO product_fts (rowid, search_words) VALUES (new.id, new.search_words); END",
}


def _fill_search_words() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, name, sku, barcode FROM product")).all()
    statement = sa.text("UPDATE product SET search_words = :words WHERE id = :row_id")
    updates = [{"row_id": row.id, "words": search_words(row.name, row.sku, row.barcode)} for row in rows]
    for start in range(0, len(updates), BATCH):
        bind.execute(statement, updates[start:start + BATCH])


def _ensure_pg_trgm() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first():
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as error:
        raise RuntimeError(
            "Catalog search needs the PostgreSQL extension pg_trgm, and this role may not create it. "
            "Ask the database administrator to run CREATE EXTENSION pg_trgm in this database "
            "(it ships in postgresql-contrib), then run the upgrade again."
        ) from error


def _create_sqlite_triggers() -> None:
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def upgrade() -> None:
    # Plain ADD COLUMN: a batch rebuild of product would drop tables other rows point at.
    op.add_column('product', sa.Column('search_words', sa.String(length=1000), server_default='', nullable=False))
    _fill_search_words()
    if op.get_bind().dialect.name == "postgresql":
        _ensure_pg_trgm()
        op.execute("ALTER TABLE product ADD COLUMN search_vector tsvector"
                   " GENERATED ALWAYS AS (to_tsvector('simple', search_words)) STORED")
        op.execute("CREATE INDEX ix_product_search_vector ON product USING gin (search_vector)")
    else:
        # Diacritics kept: й is not и, ї is not і.
        op.execute(
            "CREATE VIRTUAL TABLE product_fts USING fts5(search_words, content='product', content_rowid='id',"
            " tokenize='unicode61 remove_diacritics 0')"
        )
        op.execute("INSERT INTO product_fts (product_fts) VALUES ('rebuild')")
        _create_sqlite_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_product_search_vector")
        op.execute("ALTER TABLE product DROP COLUMN search_vector")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE product_fts")
    op.drop_column('product', 'search_words')
