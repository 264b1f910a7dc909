from __future__ import annotations

from logging.config import fileConfig

from alembic import context

import core.models  # noqa: F401  the kernel's tables
from core import features
from core.catalog.search import in_models
from core.config import Config
from core.db import Base, make_engine

# The schema holds every installed feature's tables, enabled or not: enabling one later
# needs no migration, and disabling one loses no data.
features.import_modules(features.load(features.installed_names()), "models")

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or Config.SQLALCHEMY_DATABASE_URI)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=in_models,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_migrations()
