"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.catalog.search import in_models
from core.db import Base


def test_migrations_match_the_models(app):
    engine = app.extensions["db_engine"]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": in_models})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
