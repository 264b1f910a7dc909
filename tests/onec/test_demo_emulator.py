"""The demo runs the 1C emulator: serve-demo gives it the demo's catalog and customers as
1C's own books and points the app's web-service client at it, so an order of the demo's
products reaches 1C and the first pull finds the portal as 1C has it."""
from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import httpx
from flask import Flask
from sqlalchemy import select

from core.catalog.models import Price, PriceChange, Product
from core.orders.services import Actor, submit_order
from core.outbox import sweep
from demo import serve
from onec.models import ExchangeRun

SERVICE_SETTINGS = ("ONEC_SERVICE_URL", "ONEC_SERVICE_USER", "ONEC_SERVICE_PASSWORD")


def test_the_demos_books_become_1cs_and_a_pull_changes_nothing(
        onec_app: Flask, db: Any, make_product: Any, make_user: Any, make_company: Any) -> None:
    product = make_product(prices={"wholesale": "58.40"})
    buyer = make_user(make_company())
    db.commit()
    company = buyer.company
    as_made = (company.name, company.payment_terms, company.price_type_id, company.phone, company.email,
               company.manager_id, company.credit_limit)
    with onec_app.test_request_context():
        url, stop = serve.start_onec_emulator(onec_app)
    try:
        assert onec_app.config["ONEC_SERVICE_URL"] == f"{url}/ws/portal_exchange"
        assert httpx.get(f"{url}/", timeout=10).status_code == 200  # the page acting as 1C
        db.expire_all()
        assert product.onec_guid and buyer.company.onec_guid
        result = onec_app.test_cli_runner().invoke(args=["onec-pull", "catalog", "prices", "companies"])
        assert result.exit_code == 0, result.output
        db.expire_all()
        runs = {run.entity: run for run in db.scalars(select(ExchangeRun).where(ExchangeRun.source == "soap"))}
        # 1C's own seeded books are new to the portal; the demo's came back as they were.
        assert runs["catalog"].status == "success" and runs["catalog"].updated == 0
        assert runs["prices"].updated == 0 and not db.scalars(select(PriceChange)).all()
        assert runs["companies"].status == "success"
        assert (company.name, company.payment_terms, company.price_type_id, company.phone, company.email,
                company.manager_id, company.credit_limit) == as_made
        assert db.get(Price, (buyer.company.price_type_id, product.id)).amount == Decimal("58.40")

        with onec_app.test_request_context():
            order = submit_order(db, buyer.company, [(product.id, Decimal("3"))], actor=Actor.of(buyer),
                                 idempotency_key=f"demo-{time.monotonic_ns()}",
                                 delivery_point_id=buyer.company.delivery_points[0].id).order
            db.commit()
            sweep(db)
        [taken] = httpx.get(f"{url}/_emulator/received", timeout=10).json()["orders"]
        assert taken["portal_id"] == f"order-{order.id}"
    finally:
        stop()
        for name in SERVICE_SETTINGS:
            onec_app.config[name] = ""
        onec_app.extensions.pop("onec_service", None)
