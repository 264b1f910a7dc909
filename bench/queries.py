"""SQL statements per catalog page, counted in-process (no server) against the bench database.

The app is built by the real factory with the production config (CSRF on) pointed
at the bench database; a `before_cursor_execute` listener on the app's engine
counts what one request sends. The same page is asked for with 10 and with 50
products per page: the count must not change. With the catalog listing cache
(CATALOG_CACHE_SECONDS) the page is counted as built (cache off) and as a cache hit.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from sqlalchemy import event

from bench.client import Client

_PRODUCT = re.compile(r'<li class="product"')


def _app(database_url: str) -> Any:
    from bench.pg import SIGNING_KEYS
    from core.app import create_app
    from core.config import Config

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
        REDIS_URL = None
        RATELIMIT_ENABLED = False
        RATELIMIT_STORAGE_URI = "memory://"
        OUTBOX_DISPATCH = "inline"
        SECRET_KEY = SIGNING_KEYS["SECRET_KEY"]
        # bench.profile_callbacks puts its LiqPay keys in the environment first.
        LIQPAY_PUBLIC_KEY = Config.LIQPAY_PUBLIC_KEY or SIGNING_KEYS["LIQPAY_PUBLIC_KEY"]
        LIQPAY_PRIVATE_KEY = Config.LIQPAY_PRIVATE_KEY or SIGNING_KEYS["LIQPAY_PRIVATE_KEY"]

    return create_app(BenchConfig)


def count_queries(database_url: str, login: str, pages: dict[str, str], sizes: tuple[int, ...] = (10, 50)) -> dict:
    app = _app(database_url)
    engine = app.extensions["db_engine"]
    statements: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split())[:160])

    client = app.test_client()
    headers = {"User-Agent": "portal-bench/1"}
    page = client.get("/login", headers=headers)
    token = Client.find_csrf(page.get_data(as_text=True))
    answer = client.post("/login", data={"csrf_token": token, "login": login, "password": "demo12345"}, headers=headers)
    if answer.status_code != 302:
        raise RuntimeError(f"in-process login failed: {answer.status_code}")

    def count(path: str) -> tuple[int, list[str], str]:
        statements.clear()
        response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code} in-process")
        return len(statements), list(statements), response.get_data(as_text=True)

    # A listing cache (CATALOG_CACHE_SECONDS) would hide the queries that build a page:
    # count with it off (the page as built), and, when the app has one, also a cache hit.
    cache_seconds = app.config.get("CATALOG_CACHE_SECONDS")
    results: dict[str, Any] = {}
    event.listen(engine, "before_cursor_execute", listener)
    try:
        for name, path in pages.items():
            per_size: dict[str, Any] = {}
            for size in sizes:
                app.config["CATALOG_PAGE_SIZE"] = size
                if cache_seconds is not None:
                    app.config["CATALOG_CACHE_SECONDS"] = 0
                client.get(path, headers=headers)  # warm: first-use work is not the page's cost
                queries, listed, html = count(path)
                entry = {"queries": queries, "products_shown": len(_PRODUCT.findall(html)), "statements": listed}
                if cache_seconds:
                    app.config["CATALOG_CACHE_SECONDS"] = 3600
                    client.get(path, headers=headers)  # fills the cache (or finds it filled)
                    entry["queries_cached"], entry["statements_cached"], _ = count(path)
                per_size[str(size)] = entry
            results[name] = {"path": path, "by_page_size": per_size,
                             "constant": len({v["queries"] for v in per_size.values()}) == 1
                             and len({v.get("queries_cached") for v in per_size.values()}) == 1}
    finally:
        event.remove(engine, "before_cursor_execute", listener)
        app.config["CATALOG_PAGE_SIZE"] = 50
        if cache_seconds is not None:
            app.config["CATALOG_CACHE_SECONDS"] = cache_seconds
        engine.dispose()
    return results


def pages_for(category_id: int, term: str, sku: str) -> dict[str, str]:
    return {
        "catalog": "/",
        "category": f"/?c={category_id}",
        "search": f"/?q={quote(term)}",
        "sku": f"/?q={quote(sku)}",
    }
