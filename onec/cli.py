"""`flask onec-import FILE...`: a CommerceML package from disk into the catalog;
`flask onec-push`: what waits to go to 1C's web service, pushed now; `flask onec-pull
[ENTITY...]`: a pull from 1C's web service now."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from core.db import db_session
from core.outbox import DONE, FAILED, PENDING, OutboxEvent
from onec.backlog import push_now, waiting
from onec.importer import Options, import_files
from onec.models import ExchangeRun
from onec.pull.run import PULLS, pull
from onec.settings import accepted_currencies
from onec.soap.client import service_client

SKIPPED_SHOWN = 20


def options_from_config(files_dir: Path | None) -> Options:
    config = current_app.config
    return Options(chunk=config["ONEC_IMPORT_CHUNK"], currencies=accepted_currencies(config), files_dir=files_dir)


@click.command("onec-import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def onec_import_command(files: tuple[Path, ...]) -> None:
    """Import CommerceML files (import.xml, offers.xml and their split parts) as 1C sends them.

    Each file is one run: all of it is imported, or (a file that cannot be read) none of it.
    Images are taken from beside the first file, where 1C puts its import_files folder."""
    runs = import_files(db_session(), files, source="cli", options=options_from_config(files[0].parent))
    for run in runs:
        click.echo(describe(run))
    if any(run.status == "failed" for run in runs):
        raise SystemExit(1)


def describe(run: ExchangeRun) -> str:
    lines = [f"{run.file_name or 'SOAP'} ({run.entity}): {run.status} in {run.duration_seconds:.1f} s"]
    if run.error:
        # A file is all or nothing; a pull keeps the pages it wrote before the failure.
        lines.append(f"  {'nothing imported' if run.file_name else 'stopped'}: {run.error}")
        if not run.file_name:
            lines.append(f"  created {run.created}, updated {run.updated}, unchanged {run.unchanged}, skipped {run.skipped}")
    else:
        lines.append(f"  created {run.created}, updated {run.updated}, unchanged {run.unchanged}, skipped {run.skipped}")
    shown = run.skipped_items[:SKIPPED_SHOWN]
    lines += [f"  skipped {item['ref'] or '-'}: {item['reason']} ({item['detail']})" for item in shown]
    if run.skipped > len(shown):
        lines.append(f"  … and {run.skipped - len(shown)} more skipped (the run keeps the first {len(run.skipped_items)})")
    return "\n".join(lines)


@click.command("onec-push")
@with_appcontext
def onec_push_command() -> None:
    """Push to 1C's web service now what waits: orders, payments and cancellations whose
    push is pending (also those waiting out a retry) or failed."""
    if not current_app.config["ONEC_SERVICE_URL"]:
        raise click.ClickException("ONEC_SERVICE_URL is empty: the portal does not use 1C's web service")
    session = db_session()
    counts = push_now(session, current_app.config["OUTBOX_MAX_ATTEMPTS"])
    click.echo(f"pushed {counts[DONE]}, still waiting {counts[PENDING] + counts['busy']}, failed {counts[FAILED]}")
    errors = session.execute(
        select(OutboxEvent.id, OutboxEvent.topic, OutboxEvent.last_error)
        .where(OutboxEvent.id.in_(waiting(session)), OutboxEvent.last_error != "").order_by(OutboxEvent.id).limit(SKIPPED_SHOWN)
    ).all()
    session.rollback()  # only read
    for event_id, topic, error in errors:
        click.echo(f"  event {event_id} ({topic}): {error}")
    if counts[FAILED]:
        raise SystemExit(1)


@click.command("onec-pull")
@click.argument("entities", nargs=-1, type=click.Choice(PULLS))
@with_appcontext
def onec_pull_command(entities: tuple[str, ...]) -> None:
    """Pull from 1C's web service now: the ENTITIES named, else all of them, each from its cursor."""
    client = service_client(current_app)
    if client is None:
        raise click.ClickException("ONEC_SERVICE_URL is empty: the portal does not use 1C's web service")
    runs = pull(db_session(), client, entities or PULLS, limit=current_app.config["ONEC_PULL_LIMIT"],
                options=options_from_config(None))
    if runs is None:
        raise click.ClickException("another pull is running; try again when it ends")
    for run in runs:
        click.echo(describe(run))
    if any(run.status == "failed" for run in runs):
        raise SystemExit(1)
