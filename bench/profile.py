"""Where one page's time goes, in-process against the bench database (no server, no load).

    .venv/bin/python -m bench.profile / "/?q=кава" [-n 50] [--login buyer@cafe.demo] [--pyinstrument]
    .venv/bin/python -m bench.profile --checkout [-n 20] [--pyinstrument]   # 20-line order submit

Needs a seeded `portal_bench` (`python -m bench.run --keep-db` leaves one). Prints,
per path: wall time per request, the part spent waiting for PostgreSQL (cursor
execute, timed on the engine) and the statements; with --pyinstrument (an
investigation tool, `pip install pyinstrument` into the venv, not a requirement)
also the call tree of the whole batch.
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from sqlalchemy import event

from bench import pg
from bench.client import Client
from bench.queries import _app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--checkout", action="store_true", help="profile POST /checkout of a 20-line cart")
    parser.add_argument("-n", type=int, default=50, help="requests per path")
    parser.add_argument("--login", default="buyer@cafe.demo")
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--statements", action="store_true", help="print the statements of the last request")
    args = parser.parse_args(argv)

    app = _app(pg.bench_url())
    engine = app.extensions["db_engine"]
    sql: dict[str, Any] = {"n": 0, "s": 0.0, "started": [], "last": []}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(_conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
        sql["started"].append(time.perf_counter())
        sql["last"].append(" ".join(statement.split())[:150])

    @event.listens_for(engine, "after_cursor_execute")
    def _after(*_a: Any) -> None:
        sql["s"] += time.perf_counter() - sql["started"].pop()
        sql["n"] += 1

    @app.before_request
    def _new_request() -> None:
        sql["last"] = []

    client = app.test_client()
    headers = {"User-Agent": "portal-bench/1"}
    token = Client.find_csrf(client.get("/login", headers=headers).get_data(as_text=True))
    client.post("/login", data={"csrf_token": token, "login": args.login, "password": "demo12345"}, headers=headers)

    if args.checkout:
        _checkout(app, client, headers, sql, args)
    for path in args.paths:
        for _ in range(3):
            assert client.get(path, headers=headers).status_code == 200, path
        profiler = None
        if args.pyinstrument:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
        sql.update(n=0, s=0.0)
        times = []
        for _ in range(args.n):
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200
        if profiler is not None:
            profiler.stop()
        wall = sum(times)
        print(f"{path}: median {statistics.median(times) * 1000:.1f} ms per request over {args.n};"
              f" SQL {sql['s'] / args.n * 1000:.1f} ms in {sql['n'] / args.n:.0f} statements"
              f" ({sql['s'] / wall:.0%} of the time); {len(response.data)} bytes")
        if args.statements:
            print("\n".join(f"  {line}" for line in sql["last"]))
        if profiler is not None:
            print(profiler.output_text(unicode=True, color=False, show_all=False))


def _checkout(app: Any, client: Any, headers: dict[str, str], sql: dict[str, Any], args: Any) -> None:
    import random
    import uuid

    customer = next(c for c in pg.ordering_customers(8) if c.login == args.login)
    pg.clear_carts([customer.user_id])
    products = pg.orderable_product_ids(customer.price_type_id)
    token = Client.find_csrf(client.get("/", headers=headers).get_data(as_text=True))
    json_headers = {**headers, "Accept": "application/json", "X-CSRFToken": token}
    rng = random.Random(1)
    profiler = None
    checkout_times, add_times, add_sql, checkout_sql = [], [], [0, 0.0], [0, 0.0]
    for number in range(args.n + 2):
        measured = number >= 2  # two warm-up submits
        for product_id in rng.sample(products, 20):
            sql.update(n=0, s=0.0)
            started = time.perf_counter()
            answer = client.post("/cart/add", data={"product_id": product_id, "quantity": "1"}, headers=json_headers)
            if measured:
                add_times.append(time.perf_counter() - started)
                add_sql[0] += sql["n"]
                add_sql[1] += sql["s"]
            assert answer.status_code == 200, answer.get_data(as_text=True)
        if measured and args.pyinstrument and profiler is None:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
        if profiler is not None:
            profiler.start()
        sql.update(n=0, s=0.0)
        started = time.perf_counter()
        answer = client.post("/checkout", headers=headers, data={
            "csrf_token": token, "idempotency_key": uuid.uuid4().hex,
            "delivery_point": customer.delivery_point_id, "desired_date": "", "comment": "profile"})
        elapsed = time.perf_counter() - started
        statements = list(sql["last"])
        if profiler is not None:
            profiler.stop()
        assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
        if measured:
            checkout_times.append(elapsed)
            checkout_sql[0] += sql["n"]
            checkout_sql[1] += sql["s"]
        client.get(answer.headers["Location"], headers=headers)
    n_add = len(add_times)
    print(f"POST /cart/add: median {statistics.median(add_times) * 1000:.1f} ms; SQL {add_sql[1] / n_add * 1000:.1f} ms"
          f" in {add_sql[0] / n_add:.0f} statements")
    print(f"POST /checkout (20 lines): median {statistics.median(checkout_times) * 1000:.1f} ms over {args.n};"
          f" SQL {checkout_sql[1] / args.n * 1000:.1f} ms in {checkout_sql[0] / args.n:.0f} statements")
    if args.statements:
        print("\n".join(f"  {line}" for line in statements))
    if profiler is not None:
        print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
