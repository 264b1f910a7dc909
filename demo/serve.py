"""`flask serve-demo`: the embedded default in one process.

Werkzeug's threaded server for the portal and the backoffice, the LiqPay emulator on
loopback (so a pay link can be paid end to end with a test card), the 1C emulator (the
portal pushes orders and payments to it and pulls its changes every minute), what the
features start for the demo (`Feature.demo_services`: the contracts' Vchasno emulator), the outbox relay
thread (OUTBOX_RELAY_THREAD: what a request may not deliver, such as a refund through
LiqPay, and retries with backoff) and a thread running the periodic jobs
(core/jobs.py) that Celery beat runs in production.
Production runs gunicorn, a Celery worker and beat instead, LIQPAY_BASE_URL stays
LiqPay's own and ONEC_SERVICE_URL names the real 1C (see README).
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import click
import httpx
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import WSGIRequestHandler, run_simple

from core import jobs
from core.features import resolve
from core.catalog.models import Category, Price, PriceType, Product, Stock, Warehouse
from core.customers.models import Company
from core.db import db_session

log = logging.getLogger(__name__)

# What the emulator's checkout page accepts (emulators/liqpay/ledger.py); the README lists the same.
TEST_CARDS = (
    ("4242424242424242", "success"),
    ("4000000000000002", "declined"),
    ("4000000000000077", "waits a few seconds, then succeeds"),
)
# How long the delayed card stays in wait_accept: long enough to see the pending state.
LIQPAY_DELAY_SECONDS = 3.0
WILDCARD_HOSTS = {"0.0.0.0", "::", ""}
# The namespace of the Ид the demo's own rows get as 1C's books (demo_books).
DEMO_GUIDS = uuid.UUID("5f0c1d7e-0b4e-4c39-9a55-2d6c1c0f3a10")


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without its `Server: Werkzeug/x Python/y` header: the versions
    of what we run are nobody's business."""

    def send_response(self, code: int, message: str | None = None) -> None:
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())


def _run_jobs_forever(app: Any, interval: float) -> None:
    last_run: dict[str, float] = {}
    while True:
        time.sleep(interval)
        jobs.run_due(app, last_run)


def start_liqpay_emulator(app: Any, port: int, *, fixed: bool) -> tuple[str, Callable[[], None]]:
    """The LiqPay emulator on loopback with the app's own keys. `fixed`: the port was asked
    for explicitly, so a busy one is an error; otherwise another free port is taken."""
    from emulators.http import serve_in_thread
    from emulators.liqpay import create_app as create_liqpay

    emulator = create_liqpay(
        app.config["LIQPAY_PUBLIC_KEY"], app.config["LIQPAY_PRIVATE_KEY"], delay=LIQPAY_DELAY_SECONDS
    )
    problem = _cannot_listen(port)
    if problem:
        if fixed:
            raise click.ClickException(f"the LiqPay emulator cannot listen on 127.0.0.1:{port}: {problem}")
        click.echo(f"127.0.0.1:{port} is taken ({problem}); the LiqPay emulator takes a free port")
        port = 0
    try:
        return serve_in_thread(emulator, "127.0.0.1", port)
    except (OSError, SystemExit):  # werkzeug exits when the port went in the meantime
        raise click.ClickException(f"the LiqPay emulator cannot listen on 127.0.0.1:{port}") from None


def _cannot_listen(port: int) -> str:
    """Why a server could not listen on this loopback port ('' if it could); werkzeug
    itself would print and exit instead of raising."""
    if port == 0:
        return ""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug's server does
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return ""


def start_notify_emulators(app: Any) -> dict[str, str]:
    """The Atompark emulator and a local SMTP mailbox on free loopback ports, the app's
    SMS and e-mail pointed at them; returns the pages that show every SMS and e-mail sent."""
    from emulators.atompark import create_app as create_atompark
    from emulators.http import serve_in_thread
    from emulators.mailbox import create_web_app, start_mailbox

    sms_url, _stop_sms = serve_in_thread(
        create_atompark(app.config["ATOMPARK_PUBLIC_KEY"], app.config["ATOMPARK_PRIVATE_KEY"], delivery_delay=5.0)
    )
    mailbox = start_mailbox()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd narrates every connection
    mail_url, _stop_mail_web = serve_in_thread(create_web_app(mailbox))
    app.config.update(
        ATOMPARK_BASE_URL=f"{sms_url}/sms/3.0", SMTP_HOST=mailbox.host, SMTP_PORT=mailbox.port,
        SMTP_SECURITY="none", SMTP_USERNAME="", SMTP_PASSWORD="",
        DEMO_INBOXES={"sms": f"{sms_url}/_emulator/messages?format=html", "email": f"{mail_url}/"},
    )
    app.extensions.pop("notify_sms", None)  # a client built before would still talk to Atompark itself
    return app.config["DEMO_INBOXES"]


def configure_demo_payments(app: Any, host: str, port: int, liqpay_url: str) -> None:
    """Point the app at the emulator, and LiqPay's callbacks and the pay links at this server."""
    app.config["LIQPAY_BASE_URL"] = liqpay_url
    if not os.environ.get("PUBLIC_BASE_URL"):
        # A server listening on every interface is still reached on loopback from here.
        reachable = "127.0.0.1" if host in WILDCARD_HOSTS else host
        app.config["PUBLIC_BASE_URL"] = f"http://{reachable}:{port}"
    app.extensions.pop("card_acquirer", None)  # a client built before would still talk to the old URL


def start_onec_emulator(app: Any) -> tuple[str, Callable[[], None]]:
    """The 1C emulator on a free loopback port, holding the demo's catalog and customers as
    its own books, the app's web-service client pointed at it with a password made for this
    run; returns the emulator's page and how to stop it."""
    from emulators.http import serve_in_thread
    from emulators.onec import create_app as create_onec

    user, password = "portal", secrets.token_urlsafe(18)
    url, stop = serve_in_thread(create_onec(user, password))
    answer = httpx.post(f"{url}/_emulator/books", json=demo_books(db_session), timeout=60)
    answer.raise_for_status()
    app.config.update(ONEC_SERVICE_URL=f"{url}/ws/portal_exchange", ONEC_SERVICE_USER=user,
                      ONEC_SERVICE_PASSWORD=password)
    app.extensions.pop("onec_service", None)  # a client built before would still call the old address
    return url, stop


def demo_books(session: Session) -> dict[str, list[dict[str, Any]]]:
    """The demo's catalog, prices, stock and customers as 1C's books. In a real installation
    they come from 1C with their Ид; the demo made them in the portal, so each gets an Ид
    now (the same one on every start) and 1C is told it has them: orders of the demo's
    products reach 1C, and the first pull finds the portal already as 1C has it."""
    categories = _with_guids(session, Category, lambda c: f"category:{c.id}")
    price_types = _with_guids(session, PriceType, lambda t: f"price-type:{t.code}")
    warehouses = _with_guids(session, Warehouse, lambda w: f"warehouse:{w.id}")
    products = _with_guids(session, Product, lambda p: f"product:{p.sku}", Product.is_active)
    companies = _with_guids(session, Company, lambda c: f"company:{c.tax_id}", Company.is_active)
    guid_of = {kind: {row.id: row.onec_guid for row in rows} for kind, rows in
               (("category", categories), ("price_type", price_types), ("warehouse", warehouses),
                ("product", products))}
    books = {
        "groups": [{"id": c.onec_guid, "name": c.name, "parent_id": guid_of["category"].get(c.parent_id)}
                   for c in categories],
        "price_types": [{"id": t.onec_guid, "name": t.name} for t in price_types],
        "warehouses": [{"id": w.onec_guid, "name": w.name} for w in warehouses],
        "products": [{"id": p.onec_guid, "sku": p.sku, "name": p.name, "group_id": guid_of["category"].get(p.category_id),
                      "unit_name": p.unit, "pack_quantity": str(p.pack_multiple), "vat_rate": _vat(p.vat_rate),
                      "barcode": p.barcode} for p in products],
        "prices": [{"price_type_id": guid_of["price_type"][price.price_type_id],
                    "product_id": guid_of["product"][price.product_id], "price": str(price.amount)}
                   for price in session.scalars(select(Price)) if price.product_id in guid_of["product"]],
        "stock": [{"warehouse_id": guid_of["warehouse"][stock.warehouse_id],
                   "product_id": guid_of["product"][stock.product_id], "quantity": str(stock.quantity)}
                  for stock in session.scalars(select(Stock)) if stock.product_id in guid_of["product"]],
        "companies": [{"id": c.onec_guid, "name": c.name, "kind": c.kind, "tax_id": c.tax_id, "phone": c.phone,
                       "email": c.email, "payment_terms": c.payment_terms, "deferral_days": c.deferral_days,
                       "advance_percent": c.advance_percent, "credit_limit": str(c.credit_limit),
                       "price_type_id": guid_of["price_type"].get(c.price_type_id)} for c in companies],
    }
    # Ends the transaction too: the server's threads write to the same (SQLite) database.
    session.commit()
    return books


def _with_guids(session: Session, model: Any, name_of: Callable[[Any], str], *where: Any) -> list[Any]:
    rows = list(session.scalars(select(model).where(*where).order_by(model.id)))
    for row in rows:
        if row.onec_guid is None:
            row.onec_guid = str(uuid.uuid5(DEMO_GUIDS, name_of(row)))
    return rows


def _vat(rate: Decimal | None) -> str:
    return "none" if rate is None else format(rate.normalize(), "f")


@click.command("serve-demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--liqpay-port", type=int, default=None,
    help="Port of the LiqPay emulator on 127.0.0.1  [default: the portal's port + 1]",
)
@click.option("--sweep-interval", default=5.0, show_default=True, type=float)
@with_appcontext
def serve_demo(host: str, port: int, liqpay_port: int | None, sweep_interval: float) -> None:
    """Serve the portal (/), the backoffice (/staff), the LiqPay and Atompark emulators and a
    local mailbox, with the outbox relay and the periodic jobs (the SMS/e-mail sender among them)."""
    app = current_app._get_current_object()
    features = app.extensions["features"]
    liqpay_url = None
    if features.enabled("payments"):
        liqpay_url, _stop = start_liqpay_emulator(
            app, port + 1 if liqpay_port is None else liqpay_port, fixed=liqpay_port is not None
        )
        configure_demo_payments(app, host, port, liqpay_url)
    inboxes = start_notify_emulators(app) if features.enabled("notify") else {}
    onec_url = start_onec_emulator(app)[0] if features.enabled("onec") else None
    services = []
    for feature in features.features:
        for service in feature.demo_services:
            services.append(resolve(service)(app, db_session()))
            db_session.remove()
    # The relay thread starts with the first request (core/relay.py); refunds reach the emulator through it.
    app.config.update(OUTBOX_RELAY_THREAD=True, OUTBOX_RELAY_SECONDS=sweep_interval)
    threading.Thread(target=_run_jobs_forever, args=(app, sweep_interval), daemon=True, name="jobs").start()
    click.echo(f"portal:     http://{host}:{port}/")
    if features.enabled("backoffice"):
        click.echo(f"backoffice: http://{host}:{port}/staff/")
    if liqpay_url:
        click.echo(f"LiqPay:     {liqpay_url}/  (emulator; callbacks go to {app.config['PUBLIC_BASE_URL']})")
        click.echo("test cards: " + ", ".join(f"{card} {outcome}" for card, outcome in TEST_CARDS))
    if inboxes:
        click.echo(f"every SMS:  {inboxes['sms']}  (Atompark emulator)")
        click.echo(f"every mail: {inboxes['email']}  (local SMTP mailbox)")
    if onec_url:
        click.echo(f"1C:         {onec_url}/  (emulator: what the portal sent; change prices, stock, companies, payments)")
        click.echo(f"1C exchange: http://{host}:{port}/1c/exchange  (CommerceML; user {app.config['ONEC_EXCHANGE_USER']},"
                   " password ONEC_EXCHANGE_PASSWORD in instance/signing-keys.json)")
    for name, url, _stop in services:
        click.echo(f"{name}: {url}/")
    run_simple(
        host, port, app, threaded=True, use_reloader=False, use_debugger=False, request_handler=QuietRequestHandler
    )
