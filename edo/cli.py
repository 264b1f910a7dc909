"""`flask edo-install-template [PATH]`: a contract template version from a .docx file, or
the built-in supply contract without one; a fresh install can generate contracts at once."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from core.db import db_session
from core.errors import DomainError
from edo.template_versions import install_template


@click.command("edo-install-template")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def install_template_command(path: Path | None) -> None:
    """Install PATH (.docx) as the newest contract template version; the built-in one without PATH."""
    session = db_session()
    try:
        template = install_template(session, path.read_bytes(), path.name) if path else install_template(session)
    except DomainError as error:
        session.rollback()
        raise click.ClickException(error.message) from None
    session.commit()
    click.echo(f"contract template version {template.version} installed ({len(template.placeholders)} fields)")
