"""catalog listing and search indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index("ix_product_name_id", "product", ["name", "id"])
    if postgres:
        op.create_index(
            "ix_product_search_text_trgm",
            "product",
            ["search_text"],
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )
    else:
        op.create_index("ix_product_search_text_trgm", "product", ["search_text"])


def downgrade() -> None:
    op.drop_index("ix_product_search_text_trgm", table_name="product")
    op.drop_index("ix_product_name_id", table_name="product")
