"""The bench database: create it fresh, migrate and seed it, read test data from it, drop it."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "portal_bench"
# The app refuses to start without real signing keys (core/signing_keys.py); these sign
# nothing that leaves this machine. bench.callbacks puts LiqPay keys of its own on top.
SIGNING_KEYS = {
    "SECRET_KEY": "bench-fixed-secret-not-for-production-0123456789",
    "LIQPAY_PUBLIC_KEY": "sandbox_bench",
    "LIQPAY_PRIVATE_KEY": "sandbox_bench-private-key-not-for-production",
    "ONEC_EXCHANGE_PASSWORD": "bench-1c-exchange-password-not-for-production",
}


def admin_url() -> str:
    """The server's maintenance database: BENCH_DATABASE_URL, else the server DATABASE_URL
    names (the benches create and drop databases of their own beside it), else the local one."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith("postgresql"):
        return urlunsplit(urlsplit(database_url)._replace(path="/postgres", query=""))
    return DEFAULT_ADMIN_URL


def bench_url(name: str = BENCH_DB) -> str:
    parts = urlsplit(admin_url())
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin() -> psycopg.Connection:
    return psycopg.connect(admin_url(), autocommit=True)


def drop_database(name: str = BENCH_DB) -> None:
    with _admin() as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def create_database(name: str = BENCH_DB, template: str | None = None) -> None:
    """A new empty database, or a copy of `template` (which nobody may be connected to)."""
    drop_database(name)
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def server_info() -> dict[str, str]:
    with _admin() as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        full = conn.execute("SELECT version()").fetchone()[0]
        settings = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]
            for name in ("shared_buffers", "work_mem", "max_connections", "synchronous_commit")
        }
    return {"version": version, "full": full, **settings}


def flask(args: list[str], env: dict[str, str], log: Path) -> float:
    """Run `flask --app wsgi ...` in the project, output appended to `log`; returns seconds."""
    started = time.perf_counter()
    with log.open("ab") as out:
        out.write(f"\n$ flask --app wsgi {' '.join(args)}\n".encode())
        out.flush()
        result = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", *args],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=3600,
        )
    if result.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        sys.stderr.write(tail)
        raise RuntimeError(f"flask {' '.join(args)} failed with exit code {result.returncode} (log: {log})")
    return time.perf_counter() - started


def seed_command_exists(env: dict[str, str]) -> bool:
    out = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "--help"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    return "seed-demo" in out.stdout


def analyze(name: str = BENCH_DB) -> None:
    """Fresh statistics, as autovacuum would have them on a database that has been running a while."""
    with psycopg.connect(bench_url(name), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def counts(name: str = BENCH_DB) -> dict[str, int]:
    tables = ("product", "price", "stock", "category", "company", "customer_user", "delivery_point",
              "customer_order", "order_line")
    with psycopg.connect(bench_url(name)) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


@dataclass(frozen=True)
class Customer:
    user_id: int
    login: str
    company_id: int
    price_type_id: int
    delivery_point_id: int


def ordering_customers(how_many: int, name: str = BENCH_DB) -> list[Customer]:
    """One ordering user (owner/buyer, active) per company with an active delivery point.

    The well-known demo login comes first when it qualifies; the rest are spread
    over the companies by id so the pick is the same on every run.
    """
    sql = """
        SELECT DISTINCT ON (c.id) u.id, u.email, c.id, c.price_type_id,
               (SELECT min(d.id) FROM delivery_point d WHERE d.company_id = c.id AND d.is_active)
        FROM customer_user u JOIN company c ON c.id = u.company_id
        WHERE u.is_active AND u.role IN ('owner', 'buyer') AND u.email IS NOT NULL AND u.password_hash IS NOT NULL
          AND c.is_active
          AND EXISTS (SELECT 1 FROM delivery_point d WHERE d.company_id = c.id AND d.is_active)
        ORDER BY c.id, (u.email = 'buyer@cafe.demo') DESC, (u.role = 'buyer') DESC, u.id
    """
    with psycopg.connect(bench_url(name)) as conn:
        rows = [Customer(*row) for row in conn.execute(sql)]
    if len(rows) < how_many:
        raise RuntimeError(f"only {len(rows)} companies have an ordering user and an active delivery point")
    first = [r for r in rows if r.login == "buyer@cafe.demo"]
    rest = [r for r in rows if r.login != "buyer@cafe.demo"]
    step = max(len(rest) // how_many, 1)
    picked = first + rest[::step]
    return picked[:how_many]


def orderable(price_type_id: int, column: str = "id", name: str = BENCH_DB) -> list:
    """The ids (or `column`: "sku") of the active products priced for this price type."""
    sql = f"""
        SELECT p.{column} FROM product p JOIN price pr ON pr.product_id = p.id AND pr.price_type_id = %s
        WHERE p.is_active ORDER BY p.id
    """
    with psycopg.connect(bench_url(name)) as conn:
        return [row[0] for row in conn.execute(sql, (price_type_id,))]


def clear_carts(user_ids: list[int], name: str = BENCH_DB) -> None:
    with psycopg.connect(bench_url(name)) as conn:
        conn.execute("DELETE FROM cart_item WHERE user_id = ANY(%s)", (user_ids,))


def busiest_category(name: str = BENCH_DB) -> tuple[int, str, int]:
    """A top-level category (its products are those of its subcategories) with the most active products."""
    sql = """
        SELECT top.id, top.name, count(p.id) AS n
        FROM category top JOIN category sub ON sub.parent_id = top.id
        JOIN product p ON p.category_id = sub.id AND p.is_active
        WHERE top.parent_id IS NULL
        GROUP BY top.id, top.name ORDER BY n DESC LIMIT 1
    """
    with psycopg.connect(bench_url(name)) as conn:
        row = conn.execute(sql).fetchone()
    if row is None:
        raise RuntimeError("the bench database has no categories with products")
    return row


def search_matches(term: str, name: str = BENCH_DB) -> int:
    with psycopg.connect(bench_url(name)) as conn:
        return conn.execute(
            "SELECT count(*) FROM product WHERE is_active AND search_text LIKE %s", (f"%{term.casefold()}%",)
        ).fetchone()[0]


def a_sku(name: str = BENCH_DB) -> str:
    """An SKU from the middle of the catalog (search by exact SKU)."""
    with psycopg.connect(bench_url(name)) as conn:
        n = conn.execute("SELECT count(*) FROM product WHERE is_active").fetchone()[0]
        return conn.execute(
            "SELECT sku FROM product WHERE is_active ORDER BY id OFFSET %s LIMIT 1", (n // 2,)
        ).fetchone()[0]


def submitted_orders(keys: list[str], name: str = BENCH_DB) -> tuple[int, int, int]:
    """(orders found, fewest lines, most lines) for these idempotency keys."""
    sql = """
        SELECT count(*), coalesce(min(n), 0), coalesce(max(n), 0) FROM (
            SELECT o.id, (SELECT count(*) FROM order_line l WHERE l.order_id = o.id) AS n
            FROM customer_order o WHERE o.idempotency_key = ANY(%s)
        ) t
    """
    with psycopg.connect(bench_url(name)) as conn:
        return conn.execute(sql, (keys,)).fetchone()


class WaitSampler:
    """Every 50 ms: the bench database's active backends by wait event (lock waits show here)."""

    def __init__(self, database_url: str, interval: float = 0.05) -> None:
        self.database_url, self.interval = database_url, interval
        self.samples = 0
        self.counts: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        sql = """SELECT coalesce(wait_event_type || ':' || wait_event, 'on CPU'), count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid() GROUP BY 1"""
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self._stop.wait(self.interval):
                self.samples += 1
                for event, n in conn.execute(sql):
                    self.counts[event] = self.counts.get(event, 0) + n

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join(timeout=10)
        samples = max(self.samples, 1)
        return {
            "samples": self.samples,
            "interval_s": self.interval,
            "active_backends_mean": round(sum(self.counts.values()) / samples, 2),
            "by_event_mean_backends": {k: round(v / samples, 3)
                                       for k, v in sorted(self.counts.items(), key=lambda kv: -kv[1])},
        }
