"""`python -m bench.catalog`: the catalog pages and search under load (issue 2: p95 < 100 ms at
16 connections and at least a fifth of a bare Flask app's req/s), and the SQL statements per
catalog page (the same for 10 and 50 products).

The pages are `/`, the busiest top-level category, a word search and an exact SKU search,
served by gunicorn and measured with wrk, replaying a logged-in customer's session; hello
(bench/harness/hello.py) under the same gunicorn is the floor. The statements are counted
in-process: the real app factory against the bench database and a `before_cursor_execute`
listener; with the listing cache the page is counted as built and as a cache hit.
"""
from __future__ import annotations

import re
import sys
from typing import Any
from urllib.parse import quote

from sqlalchemy import event

from bench.harness import arguments, log
from bench.harness import pg, portal
from bench.harness.client import Client
from bench.harness.portal import LOGIN, PASSWORD, in_process_app
from bench.harness.server import HOST, Gunicorn
from bench.harness.wrk import WrkParams, run as run_wrk, wrk_path
from portal.settings import PortalSettings

SEARCH_TERMS = ("кава", "чай", "сир", "вода")  # the first with enough matches is used

_PRODUCT = re.compile(r'<li class="product"')


def count_queries(database_url: str, login: str, pages: dict[str, str], sizes: tuple[int, ...] = (10, 50)) -> dict:
    app = in_process_app(database_url)
    engine = app.extensions["db_engine"]
    statements: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split())[:160])

    client = app.test_client()
    headers = {"User-Agent": "portal-bench/1"}
    page = client.get("/login", headers=headers)
    token = Client.find_csrf(page.get_data(as_text=True))
    answer = client.post("/login", data={"csrf_token": token, "login": login, "password": PASSWORD}, headers=headers)
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
        app.config["CATALOG_PAGE_SIZE"] = PortalSettings.CATALOG_PAGE_SIZE
        if cache_seconds is not None:
            app.config["CATALOG_CACHE_SECONDS"] = cache_seconds
        engine.dispose()
    return results


def measure_page(run: portal.Portal, name: str, path: str, server: Gunicorn, client: Client | None,
                 params: WrkParams, expect_products: int | None) -> dict:
    """Check the page answers as expected, warm up, then measure with wrk."""
    headers = {"User-Agent": "portal-bench/1"}
    if client is not None:
        headers["Cookie"] = client.cookie_header()
        page = client.get(path)
        if page.status != 200:
            raise RuntimeError(f"{path} answered {page.status} {page.location} before the run")
        shown = page.text.count('<li class="product"')
        if expect_products is not None and shown != expect_products:
            raise RuntimeError(f"{path} shows {shown} products, expected {expect_products}")
        body_bytes = len(page.body)
    else:
        body_bytes = 0
    url = f"{server.base}{path}"
    if params.warmup_s:
        run_wrk(url, params, headers, duration_s=params.warmup_s)
    result = run.watched(name, server, lambda: run_wrk(url, params, headers).as_dict())
    result["path"] = path
    result["body_bytes"] = body_bytes
    result["problems"] = []
    if result["errors"]["status"]:
        result["problems"].append(f"{result['errors']['status']} responses were not 2xx/3xx")
    if result["errors"]["timeout"]:
        result["problems"].append(f"{result['errors']['timeout']} requests timed out")
    # A 302 to /login would count as a success in wrk: the size of the answers gives it away.
    if body_bytes and result["bytes_per_response"] < 0.9 * body_bytes:
        result["problems"].append(
            f"answers averaged {result['bytes_per_response']:.0f} bytes, the page is {body_bytes}: not the page")
    if client is not None:
        after = client.get(path)
        if after.status != 200:
            result["problems"].append(f"{path} answered {after.status} after the run")
    run.problems.extend(f"{name}: {p}" for p in result["problems"])
    socket_errors = sum(v for k, v in result["errors"].items() if k not in ("status", "timeout"))
    log("catalog", f"{name:9s} {path}: {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, "
        f"p95 {result['p95_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms"
        + (f", socket errors {socket_errors}" if socket_errors else ""))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = portal.arguments(arguments("catalog", __doc__))
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--duration", type=int, default=15, help="seconds of each measured wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of the wrk warm-up before each run")
    parser.add_argument("--skip-uncached", action="store_true",
                        help="skip the second pass over the pages with the listing cache off")
    args = parser.parse_args(argv)
    wrk_path()  # a clear message before anything is created
    params = WrkParams(args.connections, args.wrk_threads, 2 if args.quick else args.duration,
                       1 if args.quick else args.warmup)

    def measure(run: portal.Portal) -> None:
        from core.config import Config

        cache_seconds = getattr(Config, "CATALOG_CACHE_SECONDS", None)
        run.results["environment"].update(wrk=params.label, catalog_cache_seconds=cache_seconds)
        category_id, category_name, category_count = pg.busiest_category()
        term = next((t for t in SEARCH_TERMS if pg.search_matches(t) >= 100), SEARCH_TERMS[0])
        sku = pg.a_sku()
        paths = {"catalog": "/", "category": f"/?c={category_id}", "search": f"/?q={quote(term)}",
                 "sku": f"/?q={quote(sku)}"}
        run.results["inputs"] = {
            "category": {"id": category_id, "name": category_name, "active_products": category_count},
            "search_term": term, "search_matches": pg.search_matches(term), "sku": sku,
        }
        page = PortalSettings.CATALOG_PAGE_SIZE
        expected = {"catalog": page, "category": min(page, category_count),
                    "search": min(page, pg.search_matches(term)), "sku": None}
        log("catalog", "counting queries per catalog page in-process ...")
        run.results["queries"] = count_queries(pg.bench_url(), LOGIN, paths)
        pages: dict = {}
        run.results["wrk_results"] = pages
        with run.gunicorn("bench.harness.hello:app", "gunicorn-hello.log", "/hello") as hello:
            pages["hello"] = measure_page(run, "hello", "/hello", hello, None, params, None)
        with run.gunicorn() as server:
            client = Client(HOST, server.port)
            client.login(LOGIN, PASSWORD)
            for name, path in paths.items():
                pages[name] = measure_page(run, name, path, server, client, params, expected[name])
            client.close()
        if cache_seconds and not args.skip_uncached:
            # wrk asks for one URL again and again: with the listing cache on, that is the cache's
            # best case. The same pages once more with the cache off: every request builds its page.
            uncached: dict = {}
            run.results["wrk_uncached"] = uncached
            with run.gunicorn(log_name="gunicorn-portal-nocache.log", CATALOG_CACHE_SECONDS="0") as server:
                client = Client(HOST, server.port)
                client.login(LOGIN, PASSWORD)
                for name, path in paths.items():
                    uncached[name] = measure_page(run, f"{name}/off", path, server, client, params, expected[name])
                client.close()

    return portal.run_figure("catalog", "issue 2, catalog pages and search; queries per page", args, measure)


if __name__ == "__main__":
    sys.exit(main())
