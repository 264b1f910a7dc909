"""Every error page is ours, in the visitor's language, with no stack trace; a database
that is away answers "try again in a minute" (503)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, abort

from tests.apps import separate_app
from tests.config import TestConfig
from tests.conftest import login

SECRET_DETAIL = "secret-detail-of-the-crash"


def _ours(response: Any, code: int, *words: str) -> str:
    body = response.get_data(as_text=True)
    assert response.status_code == code
    assert response.mimetype == "text/html"
    assert 'class="topbar"' in body  # our layout, not Werkzeug's bare page
    for word in words:
        assert word in body, word
    assert "Traceback" not in body and "Werkzeug" not in body and "werkzeug" not in body
    return body


def _in_english(client: Any) -> None:
    assert client.get("/lang/en").status_code == 302


@pytest.fixture
def crashing_app(app: Flask, db: Any) -> Iterator[Flask]:
    """The suite's configuration with exceptions turned into pages (as in production),
    and two routes that fail the way a bug or a rate limit would."""

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        REDIS_URL = None
        RATELIMIT_STORAGE_URI = "memory://"
        PROPAGATE_EXCEPTIONS = False

    with separate_app(app, Config, own_sessions=False) as crashing:
        def crash() -> Any:
            raise RuntimeError(SECRET_DETAIL)

        crashing.add_url_rule("/_test/crash", "crash", crash)
        crashing.add_url_rule("/_test/throttled", "throttled", lambda: abort(429))
        yield crashing


def test_404_in_ukrainian_then_english(client: Any) -> None:
    _ours(client.get("/no-such-page"), 404, "Сторінку не знайдено", 'lang="uk"')
    _in_english(client)
    _ours(client.get("/no-such-page"), 404, "Page not found", 'lang="en"')


def test_403_for_a_role_without_the_right(client: Any, make_staff: Any) -> None:
    lawyer = make_staff("lawyer")
    assert login(client, lawyer.email, staff=True).status_code == 302
    _ours(client.get("/staff/companies/new"), 403, "Немає доступу")
    _in_english(client)
    _ours(client.get("/staff/companies/new"), 403, "Access denied")


def test_405_keeps_the_allowed_methods(client: Any) -> None:
    response = client.get("/cart/add")
    _ours(response, 405, "Дія недоступна")
    assert "POST" in response.headers["Allow"]
    _in_english(client)
    _ours(client.get("/cart/add"), 405, "Action not available")


def test_413_states_the_limit_the_server_enforces(app: Flask, client: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2 * 1024 * 1024)
    too_big = {"login": "x", "password": "y" * (2 * 1024 * 1024)}
    body = _ours(client.post("/login", data=too_big), 413, "Файл завеликий", "2 МБ")
    assert "5 МБ" not in body and "16 МБ" not in body
    _in_english(client)
    _ours(client.post("/login", data=too_big), 413, "File too large", "2 MB")


def test_429_and_500_are_ours_without_the_exception(crashing_app: Flask) -> None:
    client = crashing_app.test_client()
    _ours(client.get("/_test/throttled"), 429, "Забагато спроб")
    body = _ours(client.get("/_test/crash"), 500, "Щось пішло не так")
    assert SECRET_DETAIL not in body and "RuntimeError" not in body
    _in_english(client)
    _ours(client.get("/_test/throttled"), 429, "Too many attempts")
    body = _ours(client.get("/_test/crash"), 500, "Something went wrong")
    assert SECRET_DETAIL not in body


def test_an_in_page_script_gets_the_error_as_json(client: Any) -> None:
    response = client.post("/no-such-action", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json() == {"ok": False, "message": "Сторінку не знайдено. Такої сторінки немає або вона вам недоступна."}


class WithoutDatabase(TestConfig):
    # Nothing listens on the discard port: every connection is refused at once.
    SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://portal@127.0.0.1:9/portal?connect_timeout=2"
    REDIS_URL = None
    RATELIMIT_STORAGE_URI = "memory://"


@pytest.fixture
def app_without_database(app: Flask) -> Iterator[Flask]:
    with separate_app(app, WithoutDatabase) as dead:
        yield dead


def test_a_database_outage_shows_try_again_in_a_minute(app_without_database: Flask, caplog: Any) -> None:
    client = app_without_database.test_client()
    body = _ours(client.post("/login", data={"login": "buyer@cafe.ua", "password": "whatever-42"}), 503,
                 "Сервіс тимчасово недоступний", "Спробуйте ще раз за хвилину.")
    assert "OperationalError" not in body and "127.0.0.1" not in body
    assert "database unavailable" in caplog.text
    _in_english(client)
    _ours(client.post("/staff/login", data={"login": "admin@distributor.ua", "password": "whatever-42"}), 503,
          "Service temporarily unavailable", "Please try again in a minute.")


def test_a_logged_in_visitor_also_gets_the_page_when_the_database_is_away(
    app: Flask, logged_in: Any, make_staff: Any
) -> None:
    staff = app.test_client()
    assert login(staff, make_staff("manager").email, staff=True).status_code == 302
    # The same session cookies (both apps share the test SECRET_KEY), now with the database away.
    with separate_app(app, WithoutDatabase) as dead:
        for suite_client, page in ((logged_in, "/cart"), (staff, "/staff/")):
            client = dead.test_client()
            client.set_cookie("session", suite_client.get_cookie("session").value)
            # Finding the user (and their language) needs the database: the page must not.
            _ours(client.get(page), 503, "Сервіс тимчасово недоступний")
