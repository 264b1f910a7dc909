"""The 1C tests: an app with the onec feature enabled beside the suite's one."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.apps import separate_app
from tests.config import TestConfig

FEATURES = "payments notify portal backoffice demo onec"
EXCHANGE_PASSWORD = "test-only-1c-exchange-password"


@pytest.fixture
def onec_app(app: Flask, db: Any) -> Iterator[Flask]:
    config = type("WithOnec", (TestConfig,), {"FEATURES": FEATURES, "ONEC_EXCHANGE_PASSWORD": EXCHANGE_PASSWORD})
    with separate_app(app, config, own_sessions=False) as onec:
        yield onec


@pytest.fixture
def without_onec(app: Flask, db: Any) -> Iterator[Flask]:
    """The app as a portal without 1C runs it (onec is in the default FEATURES)."""
    config = type("WithoutOnec", (TestConfig,), {"FEATURES": "payments notify portal backoffice demo"})
    with separate_app(app, config, own_sessions=False) as bare:
        yield bare
