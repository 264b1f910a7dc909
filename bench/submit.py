"""`python -m bench.submit`: order submit with 20 lines, 8 customers of 8 companies at once (issue 2: p95 < 150 ms).

Each customer is one thread with its own keep-alive connection and session:
fill the cart with 20 lines (POST /cart/add, as the catalog page's script does:
JSON answer, X-CSRFToken header), then POST /checkout, then follow the redirect to
the order page as a browser would (that GET also takes the flash message out of the
session cookie). Only the checkout request is the measured latency; the cart adds
are timed separately.
"""
from __future__ import annotations

import random
import re
import sys
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field

from bench.harness import arguments, log, percentile
from bench.harness import pg, portal
from bench.harness.client import BenchError, Client
from bench.harness.server import HOST

_ORDER_URL = re.compile(r"/orders/(\d+)$")


@dataclass
class CustomerRun:
    customer: pg.Customer
    checkout_s: list[float] = field(default_factory=list)
    cart_add_s: list[float] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _one_customer(
    run: CustomerRun, host: str, port: int, products: list[int], submits: int, lines: int,
    deadline: float, start: threading.Barrier, seed: int,
) -> None:
    client = Client(host, port)
    rng = random.Random(seed)
    try:
        client.login(run.customer.login, "demo12345")
        start.wait(timeout=120)
        json_headers = {"Accept": "application/json", "X-CSRFToken": client.csrf_token}
        for _ in range(submits):
            if time.monotonic() > deadline:
                run.errors.append("stopped at the time limit")
                break
            for product_id in rng.sample(products, lines):
                answer = client.post_form("/cart/add", {"product_id": product_id, "quantity": "1"}, **json_headers)
                if answer.status != 200:
                    raise BenchError(f"/cart/add answered {answer.status}: {answer.text[:200]}")
                run.cart_add_s.append(answer.seconds)
            key = uuid.uuid4().hex
            answer = client.post_form(
                "/checkout",
                {
                    "csrf_token": client.csrf_token,
                    "idempotency_key": key,
                    "delivery_point": run.customer.delivery_point_id,
                    "desired_date": "",
                    "comment": "bench",
                },
            )
            if answer.status != 302 or not _ORDER_URL.search(answer.location):
                raise BenchError(f"/checkout answered {answer.status} {answer.location}: {answer.text[:300]}")
            run.checkout_s.append(answer.seconds)
            run.keys.append(key)
            page = client.get(answer.location)
            if page.status != 200:
                raise BenchError(f"GET {answer.location} answered {page.status}")
    except Exception as exc:  # reported, and the scenario fails
        run.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        client.close()


def run_submit(
    host: str, port: int, customers: list[pg.Customer], submits: int = 40, lines: int = 20, time_limit_s: float = 600
) -> dict:
    pg.clear_carts([c.user_id for c in customers])
    products = {c.price_type_id: pg.orderable(c.price_type_id) for c in customers}
    runs = [CustomerRun(c) for c in customers]
    start = threading.Barrier(len(runs))
    deadline = time.monotonic() + time_limit_s
    threads = [
        threading.Thread(
            target=_one_customer,
            args=(run, host, port, products[run.customer.price_type_id], submits, lines, deadline, start, 1000 + i),
            daemon=True,
        )
        for i, run in enumerate(runs)
    ]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=time_limit_s + 180)
    wall = time.perf_counter() - began
    checkout = [s * 1000 for run in runs for s in run.checkout_s]
    adds = [s * 1000 for run in runs for s in run.cart_add_s]
    keys = [k for run in runs for k in run.keys]
    found, min_lines, max_lines = pg.submitted_orders(keys) if keys else (0, 0, 0)
    errors = [f"{run.customer.login}: {e}" for run in runs for e in run.errors]
    if found != len(keys):
        errors.append(f"{len(keys)} submits answered 302 but {found} orders carry their keys")
    if keys and (min_lines != lines or max_lines != lines):
        errors.append(f"orders have {min_lines}..{max_lines} lines, expected {lines}")
    return {
        "customers": [{"login": r.customer.login, "company_id": r.customer.company_id, "submits": len(r.keys)}
                      for r in runs],
        "concurrency": len(runs),
        "lines_per_order": lines,
        "submits": len(checkout),
        "wall_s": round(wall, 2),
        "checkout_rps": round(len(checkout) / wall, 1) if wall else 0.0,
        "p50_ms": round(percentile(checkout, 50), 2),
        "p95_ms": round(percentile(checkout, 95), 2),
        "p99_ms": round(percentile(checkout, 99), 2),
        "max_ms": round(max(checkout), 2) if checkout else None,
        "mean_ms": round(statistics.fmean(checkout), 2) if checkout else None,
        "cart_add": {
            "requests": len(adds),
            "p50_ms": round(percentile(adds, 50), 2),
            "p95_ms": round(percentile(adds, 95), 2),
        },
        "orders_verified": found,
        "errors": errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = portal.arguments(arguments("submit", __doc__))
    parser.add_argument("--customers", type=int, default=8)
    parser.add_argument("--submits", type=int, default=40, help="submits per customer")
    args = parser.parse_args(argv)
    customers_n, submits = (2, 3) if args.quick else (args.customers, args.submits)

    def measure(run: portal.Portal) -> None:
        with run.gunicorn() as server:
            customers = pg.ordering_customers(customers_n)
            log("submit", f"{len(customers)} customers x {submits} submits of 20 lines ...")
            submit = run.watched("submit", server, lambda: run_submit(HOST, server.port, customers, submits=submits))
            run.results["submit"] = submit
            run.problems.extend(f"submit: {e}" for e in submit["errors"])
            log("submit", f"{submit['submits']} orders, p50 {submit['p50_ms']:.1f} ms, p95 {submit['p95_ms']:.1f} ms")

    return portal.run_figure("submit", "issue 2, order submit (20 lines)", args, measure)


if __name__ == "__main__":
    sys.exit(main())
