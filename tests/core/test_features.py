"""#11.1: features plug themselves in from `FEATURES`; a feature left out brings nothing."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask

from core.app import create_app
from core.config import ConfigError
from core.features import installed_names, load
from tests.apps import separate_app
from tests.config import TestConfig
from tests.conftest import login


@contextmanager
def app_with(suite_app: Flask, features: str) -> Iterator[Flask]:
    config = type("Enabled", (TestConfig,), {"FEATURES": features})
    with separate_app(suite_app, config, own_sessions=False) as app:
        yield app


def _rules(app: Flask) -> set[str]:
    return {rule.endpoint.split(".")[0] for rule in app.url_map.iter_rules()}


def test_every_feature_package_is_installed_and_enabled_by_default(app: Flask) -> None:
    assert installed_names() == ["backoffice", "demo", "edo", "notify", "onec", "payments", "portal"]
    assert app.extensions["features"].names == ["payments", "notify", "portal", "backoffice", "onec", "edo", "demo"]
    assert {"portal", "backoffice", "payments", "core"} <= _rules(app)


def test_an_unknown_feature_stops_the_start_and_names_it() -> None:
    with pytest.raises(ConfigError, match="FEATURES names paymnets, which is no feature package"):
        create_app(type("Typo", (TestConfig,), {"FEATURES": "paymnets portal"}))


def test_a_feature_whose_requirement_is_left_out_stops_the_start() -> None:
    with pytest.raises(ConfigError, match="'portal' requires 'payments'"):
        load("portal")
    with pytest.raises(ConfigError, match="'notify' requires 'payments'"):
        load("notify backoffice")


def test_without_the_backoffice_its_pages_and_menu_are_gone_and_the_portal_works(
    app: Flask, db: Any, make_company: Any, make_user: Any
) -> None:
    customer = make_user(make_company())
    db.commit()  # the other app's sessions share the test's connection, not its session
    with app_with(app, "payments notify portal") as lean:
        assert "backoffice" not in _rules(lean)
        assert lean.extensions["features"].nav() == []
        client = lean.test_client()
        assert client.get("/staff/").status_code == 404
        assert client.get("/staff/login").status_code == 404
        login(client, customer.email)
        page = client.get("/")
        assert page.status_code == 200 and "Каталог" in page.get_data(as_text=True)


def test_without_the_portal_the_customer_pages_are_gone_and_staff_work(app: Flask, db: Any, make_staff: Any) -> None:
    make_staff("manager", email="boss@example.com")
    db.commit()  # the other app's sessions share the test's connection, not its session
    with app_with(app, "payments notify backoffice") as staff_only:
        assert "portal" not in _rules(staff_only)
        client = staff_only.test_client()
        assert client.get("/login").status_code == 404
        login(client, "boss@example.com", staff=True)
        assert client.get("/staff/").status_code == 200


def test_the_kernel_alone_starts_and_answers_health(app: Flask) -> None:
    with app_with(app, "") as kernel:
        assert _rules(kernel) <= {"core", "static"}
        assert kernel.test_client().get("/healthz").status_code in (200, 503)


def test_the_staff_menu_is_the_enabled_features_entries_in_their_order(app: Flask) -> None:
    entries = app.extensions["features"].nav()
    assert [entry.position for entry in entries] == sorted(entry.position for entry in entries)
    assert entries[0].endpoint == "backoffice.orders"
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {entry.endpoint for entry in entries} <= endpoints  # no entry points nowhere


def test_a_feature_brings_its_settings_and_the_app_config_wins(app: Flask) -> None:
    assert app.config["ATOMPARK_BASE_URL"].startswith("https://")  # notify's default
    assert app.config["SMS_QUIET_HOURS"] == ""  # the suite's own value over notify's default
    with app_with(app, "payments") as lean:
        assert "ATOMPARK_BASE_URL" not in lean.config
        assert "ORDER_FORM_MAX_MB" not in lean.config
        assert lean.config["MAX_CONTENT_LENGTH"] == (lean.config["BANK_STATEMENT_MAX_MB"] + 1) * 1024 * 1024


def test_without_notify_the_backoffice_has_no_message_pages_cards_or_channels(
    app: Flask, db: Any, make_staff: Any, make_company: Any
) -> None:
    make_staff("head_of_sales", email="head@example.com")
    company = make_company()
    db.commit()  # the other app's sessions share the test's connection, not its session
    with app_with(app, "payments portal backoffice") as quiet:
        assert "staff_notify" not in _rules(quiet) and "NOTIFY_BATCH" not in quiet.config
        client = quiet.test_client()
        login(client, "head@example.com", staff=True)
        for url in ("/staff/messages", "/staff/notify/templates", "/staff/invitations"):
            assert client.get(url).status_code == 404, url
        dashboard = client.get("/staff/").get_data(as_text=True)
        assert "/staff/messages" not in dashboard and 'data-test="failed-messages"' not in dashboard
        assert "/staff/orders" in dashboard  # the menu keeps the backoffice's own entries
        card = client.get(f"/staff/companies/{company.id}")
        assert card.status_code == 200 and 'data-test="company-channels"' not in card.get_data(as_text=True)


def test_with_notify_its_pages_carry_the_menu_and_the_card_shows_channels(
    client: Any, db: Any, make_staff: Any, make_company: Any
) -> None:
    make_staff("head_of_sales", email="head@example.com")
    company = make_company()
    login(client, "head@example.com", staff=True)
    messages = client.get("/staff/messages").get_data(as_text=True)
    assert "/staff/notify/templates" in messages and "/staff/orders" in messages  # the backoffice's menu
    assert 'data-test="company-channels"' in client.get(f"/staff/companies/{company.id}").get_data(as_text=True)
