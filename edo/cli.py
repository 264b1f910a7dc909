"""`flask edo-install-template [PATH]`: a contract template version from a .docx file, or
the built-in supply contract without one, so a fresh install can generate contracts at once.
`flask edo-poll`: the contracts with the customer asked about in Vchasno now (what the
periodic job does every EDO_POLL_SECONDS)."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from core import relay
from core.db import db_session
from core.errors import DomainError
from edo.polling import poll_job
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


@click.command("edo-poll")
@with_appcontext
def edo_poll_command() -> None:
    """Ask Vchasno for the status of every contract sent for signature, and act on it."""
    result = poll_job(db_session())
    relay.dispatch_committed(current_app._get_current_object())
    changed = ", ".join(f"{outcome} {count}" for outcome, count in sorted(result.changed.items())) or "no change"
    click.echo(f"asked about {result.asked} contracts, Vchasno answered {result.answered}: {changed}")
    if result.failed:
        click.echo(f"could not take Vchasno's answer for contracts {', '.join(map(str, result.failed))} (see the log)")
