"""Command line: `flask --app wsgi <command>`."""
from __future__ import annotations

from typing import Any

import click
from alembic import command
from alembic.config import Config as AlembicConfig

from core.config import ROOT


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def init_cli(app: Any) -> None:
    @app.cli.command("db-upgrade")
    def db_upgrade() -> None:
        """Create or upgrade the schema to the newest migration."""
        (ROOT / "instance").mkdir(exist_ok=True)
        command.upgrade(alembic_config(app.config["SQLALCHEMY_DATABASE_URI"]), "head")
        click.echo("schema is at head")
