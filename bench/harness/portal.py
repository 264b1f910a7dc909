"""The portal as the catalog, Excel and submit figures measure it: a database of its own,
migrated and seeded by the product's own commands, served by gunicorn on 127.0.0.1."""
from __future__ import annotations

import argparse
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.harness import (OTHER_CPU_WARN, RESULTS, ROOT, code_state, log, machine, run_lock, wait_for_quiet,
                           write_results)
from bench.harness import pg
from bench.harness import portal_report as report
from bench.harness.cpuwatch import CpuWatch
from bench.harness.server import Gunicorn, WorkerSettings

LOGIN, PASSWORD = "buyer@cafe.demo", "demo12345"
# --quick: a demo small enough to seed in seconds; enough products for a full catalog page.
QUICK_SEED = ["--products=300", "--companies=20", "--orders=50"]
BROKER = ("no broker: REDIS_URL unset, OUTBOX_DISPATCH=inline (outbox events are delivered in the"
          " request that commits them, as in the embedded default); RATELIMIT_ENABLED=0")


def server_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "REDIS_", "CELERY_"))}
    env.update(DATABASE_URL=database_url, OUTBOX_DISPATCH="inline", RATELIMIT_ENABLED="0", **pg.SIGNING_KEYS,
               SQL_ECHO="0", PYTHONUNBUFFERED="1")
    return env


def in_process_app(database_url: str) -> Any:
    """The real app factory, production config (CSRF on), against a bench database: for the
    figures measured in-process (statements per page, the statement import)."""
    from core.app import create_app
    from core.config import Config

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
        REDIS_URL = None
        RATELIMIT_ENABLED = False
        RATELIMIT_STORAGE_URI = "memory://"
        OUTBOX_DISPATCH = "inline"
        SECRET_KEY = pg.SIGNING_KEYS["SECRET_KEY"]
        LIQPAY_PUBLIC_KEY = pg.SIGNING_KEYS["LIQPAY_PUBLIC_KEY"]
        LIQPAY_PRIVATE_KEY = pg.SIGNING_KEYS["LIQPAY_PRIVATE_KEY"]
        ONEC_EXCHANGE_PASSWORD = pg.SIGNING_KEYS["ONEC_EXCHANGE_PASSWORD"]

    return create_app(BenchConfig)


def postgres_info() -> dict:
    try:
        return pg.server_info()
    except Exception as exc:
        raise SystemExit(f"PostgreSQL is not reachable at {pg.admin_url()} ({type(exc).__name__}: {exc});"
                         " set BENCH_DATABASE_URL to the server's maintenance database") from None


def arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--reuse-db", action="store_true", help="use portal_bench as it is (no create, no seed)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--seed-arg", action="append", default=[], help="extra argument for seed-demo (repeatable)")
    return parser


@dataclass
class Portal:
    """One run: where the servers' logs go, their environment, the results so far."""
    env: dict[str, str]
    logs: Path
    settings: WorkerSettings
    results: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def gunicorn(self, app: str = "wsgi:app", log_name: str = "gunicorn-portal.log", health: str = "/healthz",
                 **env: str) -> Gunicorn:
        return Gunicorn(app, self.settings, {**self.env, **env}, self.logs / log_name, health)

    def watched(self, label: str, server: Gunicorn, measure: Callable[[], dict]) -> dict:
        """`measure()`'s result with who else used the CPUs meanwhile; a disturbed run is noted, not failed."""
        watch = CpuWatch(pg.BENCH_DB, {server.process.pid})
        watch.start()
        result = measure()
        result["cpu"] = watch.stop()
        if result["cpu"]["other_cpu_share"] > OTHER_CPU_WARN:
            self.problems.append(f"{label}: other processes took {result['cpu']['other_cpu_share']:.0%}"
                                 " of the CPUs during the run")
        return result


def run_figure(name: str, title: str, args: argparse.Namespace, measure: Callable[[Portal], None]) -> int:
    """Seed a fresh `portal_bench` (unless --reuse-db: the full demo, or QUICK_SEED with
    --quick), VACUUM ANALYZE, `measure`, drop the database (unless --keep-db or
    --reuse-db) also when a step failed, and write the results.
    Exit 0 when every goal passes, 1 when one fails, 2 when the run itself broke."""
    _lock = run_lock(args.wait_lock)
    stamp = datetime.now(timezone.utc).astimezone()
    database_url = pg.bench_url()
    logs = RESULTS / f"{stamp:%Y%m%d-%H%M%S}-{name}-logs.tmp"
    logs.mkdir(parents=True, exist_ok=True)
    portal = Portal(server_env(database_url), logs, WorkerSettings("sync", args.workers))
    results = portal.results
    results.update({
        "title": title,
        "started_at": stamp.isoformat(timespec="seconds"),
        "quick": args.quick,
        "environment": {**machine(), "code": code_state(), "postgres": postgres_info(),
                        "workers": portal.settings.label, "broker": BROKER},
        "timings": {"seed_s": 0.0},
        "dataset": {},
        "problems": portal.problems,
    })
    started = time.perf_counter()
    failed = False
    try:
        if not args.reuse_db:
            log(name, f"creating and seeding {database_url} ...")
            pg.create_database()
            pg.flask(["db-upgrade"], portal.env, logs / "seed.log")
            seed = [*(QUICK_SEED if args.quick else []), *args.seed_arg]
            results["timings"]["seed_s"] = pg.flask(["seed-demo", *seed], portal.env, logs / "seed.log")
            pg.analyze()
        results["dataset"] = pg.counts()
        results["environment"]["cpu_busy_before"] = round(wait_for_quiet(0 if args.quick else args.wait_quiet), 3)
        results["environment"]["loadavg_before"] = os.getloadavg()
        measure(portal)
    except Exception as exc:
        failed = True
        portal.problems.append(f"the run stopped: {type(exc).__name__}: {exc}")
        traceback.print_exc()
    finally:
        if args.keep_db or args.reuse_db:
            log(name, f"kept the bench database: {database_url}")
        else:
            pg.drop_database()
    results["timings"]["total_s"] = round(time.perf_counter() - started, 1)
    results["environment"]["loadavg_after"] = os.getloadavg()
    results["goals"] = report.judge(results)
    md_path, _ = write_results(results, f"{stamp:%Y-%m-%d}-{name}", report.markdown)
    print(md_path.read_text())
    log(name, f"written {md_path.relative_to(ROOT)}; server logs in {logs.relative_to(ROOT)}")
    if failed:
        return 2
    return 0 if all(goal["pass"] for goal in results["goals"] if not goal.get("informative")) else 1
