"""`flask seed-demo`: a migrated, empty database filled with a wholesaler's demo data."""
from __future__ import annotations

import time

import click
from flask.cli import with_appcontext
from sqlalchemy import text

from core.db import db_session
from demo.catalog import catalog_capacity
from demo.seed import DEMO_PASSWORD, DemoSummary, clear_database, existing_data, seed_demo
from demo.staff import STAFF
from demo.well_known import CAFE_DEMO, FOP_DEMO


@click.command("seed-demo")
@click.option("--products", default=3000, show_default=True, type=click.IntRange(1, catalog_capacity()))
@click.option("--companies", default=300, show_default=True, type=click.IntRange(1, 1000))
@click.option("--orders", default=3000, show_default=True, type=click.IntRange(0, 100_000))
@click.option(
    "--seed", default=42, show_default=True, help="The same seed gives the same data, dated back from today."
)
@click.option("--reset", is_flag=True, help="Empty every table first: all existing data is lost.")
@click.option("--if-empty", is_flag=True, help="Skip quietly (exit 0) when the database has data.")
@with_appcontext
def seed_demo_command(products: int, companies: int, orders: int, seed: int, reset: bool, if_empty: bool) -> None:
    """Fill a migrated database with a HoReCa wholesaler's demo data."""
    session = db_session()
    found = {name: count for name, count in existing_data(session).items() if count}
    if found and not reset:
        listing = ", ".join(f"{count} {name}" for name, count in found.items())
        if if_empty:
            click.echo(f"the database already has data ({listing}); no demo data added")
            return
        raise click.ClickException(
            f"the database already has data ({listing}); run with --reset to replace all of it with demo data"
        )
    started = time.perf_counter()
    if reset:
        clear_database(session)
    summary = seed_demo(session, products=products, companies=companies, orders=orders, seed=seed)
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        # Planner statistics for the freshly loaded tables; autovacuum would take a while.
        session.execute(text("ANALYZE"))
        session.commit()
    _echo_summary(summary, time.perf_counter() - started)


def _echo_summary(summary: DemoSummary, seconds: float) -> None:
    click.echo(f"demo data created in {seconds:.1f} s")
    for name, count in summary.counts.items():
        click.echo(f"  {name:<18} {count:>7}")
    click.echo("  orders by status:  " + ", ".join(f"{s} {n}" for s, n in sorted(summary.orders_by_status.items())))
    click.echo(f"logins, all with the password {DEMO_PASSWORD}:")
    for login in (CAFE_DEMO, FOP_DEMO):
        click.echo(f"  portal      {login.email} or {login.phone}  ({login.company})")
    for email, full_name, role in STAFF:
        click.echo(f"  backoffice  {email}  ({role}, {full_name})")
