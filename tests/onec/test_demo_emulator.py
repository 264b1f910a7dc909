"""The demo runs the 1C emulator: serve-demo points the app's web-service client at it,
so the first pull brings 1C's books and an order reaches the emulator's page."""
from __future__ import annotations

from typing import Any

import httpx
from flask import Flask
from sqlalchemy import func, select

from core.catalog.models import Product
from demo import serve
from onec.models import ExchangeRun

SERVICE_SETTINGS = ("ONEC_SERVICE_URL", "ONEC_SERVICE_USER", "ONEC_SERVICE_PASSWORD")


def test_the_demo_pulls_from_its_1c_emulator(onec_app: Flask, db: Any) -> None:
    saved = {name: onec_app.config[name] for name in SERVICE_SETTINGS}
    url, stop = serve.start_onec_emulator(onec_app)
    try:
        assert onec_app.config["ONEC_SERVICE_URL"] == f"{url}/ws/portal_exchange"
        assert httpx.get(f"{url}/", timeout=10).status_code == 200  # the page acting as 1C
        result = onec_app.test_cli_runner().invoke(args=["onec-pull", "catalog"])
        assert result.exit_code == 0, result.output
        with onec_app.app_context():
            assert db.scalar(select(func.count()).select_from(Product).where(Product.onec_guid.is_not(None))) > 0
            run = db.scalars(select(ExchangeRun).order_by(ExchangeRun.id.desc())).first()
            assert (run.entity, run.source, run.status) == ("catalog", "soap", "success")
    finally:
        stop()
        onec_app.config.update(saved)
        onec_app.extensions.pop("onec_service", None)
