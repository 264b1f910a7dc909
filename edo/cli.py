"""`flask edo-poll`: the contracts with the customer asked about in Vchasno now (what
the periodic job does every EDO_POLL_SECONDS)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from core import relay
from core.db import db_session
from edo.polling import poll_job


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
