"""Where one LiqPay callback's time goes, in-process (no server, no load, no concurrency).

    .venv/bin/python -m bench.profile_callbacks [-n 200] [--pyinstrument] [--statements] [--keep-db]

Builds `portal_bench_pay` as bench.callbacks does (seed-demo, invoices, checkouts),
then POSTs n first deliveries and n/2 duplicates through the app's test client one
after another, and prints per kind: wall time per request, the part spent waiting
for PostgreSQL (cursor execute, timed on the engine), the statement count, and the
statements of one request; with --pyinstrument (an investigation tool, installed
into the venv by hand, not a requirement) also the call tree of the first deliveries.
Drops the database at the end unless --keep-db. Takes bench/results/.run.lock.tmp
like the other benchmarks.
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import time
from collections import Counter
from typing import Any

from bench import callbacks as cb
from bench import pg


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_callbacks")
    parser.add_argument("-n", type=int, default=200, help="first deliveries (and n/2 duplicates)")
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--cprofile", action="store_true", help="the functions with the most own time (cProfile)")
    parser.add_argument("--statements", action="store_true", help="print the statements of one request of each kind")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--wait-lock", type=int, default=1800)
    args = parser.parse_args(argv)

    _lock = cb.run_lock(args.wait_lock)
    url = pg.bench_url(cb.BENCH_DB)
    env = cb.server_env(url)
    os.environ.update({k: v for k, v in env.items() if k.startswith("LIQPAY_")})  # before core.config is imported
    log = cb.report.RESULTS / "profile-callbacks-seed.log.tmp"
    try:
        pg.create_database(cb.BENCH_DB)
        pg.flask(["db-upgrade"], env, log)
        pg.flask(["seed-demo", "--products=300", "--companies=100", "--orders=0"], env, log)
        checkouts, dataset = cb.create_invoices(url, args.n + 20, seed=3)
        pg.analyze(cb.BENCH_DB)
        print(f"data: {dataset}")
        run(url, checkouts, args)
    finally:
        if not args.keep_db:
            pg.drop_database(cb.BENCH_DB)


def run(url: str, checkouts: list[cb.Checkout], args: argparse.Namespace) -> None:
    from sqlalchemy import event

    from bench.queries import _app

    app = _app(url)
    assert not app.config["LIQPAY_PUBLIC_KEY"].startswith("sandbox_"), "the LiqPay keys were not taken from the env"
    engine = app.extensions["db_engine"]
    sql: dict[str, Any] = {"n": 0, "s": 0.0, "started": [], "last": [], "by_statement": {}, "cache": Counter(),
                           "uncached": {}}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(_conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
        sql["started"].append(time.perf_counter())
        sql["last"].append(" ".join(statement.split())[:170])

    @event.listens_for(engine, "after_cursor_execute")
    def _after(_conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, *_a: Any) -> None:
        took = time.perf_counter() - sql["started"].pop()
        # SQLAlchemy's compiled cache: "cached since ...", "generated in ..." (a compile), "caching disabled" ...
        stats = context._get_cache_stats() if context is not None and context.compiled is not None else "text"
        kind = stats.split(" in ")[0].split(" since ")[0].split(" 0.")[0]
        sql["cache"][kind] += 1
        if kind != "cached":  # compiled for this request: which statement, and how long the compile took
            n, total = sql["uncached"].get(" ".join(statement.split())[:110], (0, 0.0))
            sql["uncached"][" ".join(statement.split())[:110]] = (n + 1, total + float(stats.split()[-1].rstrip("s")))
        sql["s"] += took
        sql["n"] += 1
        key = " ".join(statement.split())[:110]
        n, total, worst = sql["by_statement"].get(key, (0, 0.0, 0.0))
        sql["by_statement"][key] = (n + 1, total + took, max(worst, took))

    @app.before_request
    def _new_request() -> None:
        sql["last"] = []

    gc_time: dict[str, Any] = {"started": 0.0, "by_generation": Counter(), "count": Counter()}

    def _gc(phase: str, info: dict) -> None:  # how long the cyclic garbage collector stops the request
        if phase == "start":
            gc_time["started"] = time.perf_counter()
        else:
            gc_time["by_generation"][info["generation"]] += time.perf_counter() - gc_time["started"]
            gc_time["count"][info["generation"]] += 1

    gc.callbacks.append(_gc)
    print(f"objects tracked by the garbage collector after the app was built: {len(gc.get_objects()):,};"
          f" thresholds {gc.get_threshold()}")
    now_ms = int(time.time() * 1000)
    calls = [cb.callback_for(i, c, now_ms) for i, c in enumerate(checkouts)]
    random.Random(3).shuffle(calls)
    client = app.test_client()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    def post(call: cb.Callback) -> float:
        started = time.perf_counter()
        answer = client.post(cb.CALLBACK_PATH, data=call.body, headers=headers)
        seconds = time.perf_counter() - started
        assert answer.status_code == 200 and answer.get_json() == {"ok": True}, answer.get_data(as_text=True)
        return seconds

    for call in calls[:20]:  # warm-up: imports, pool, caches
        post(call)
    measured = calls[20:20 + args.n]

    def batch(name: str, items: list[cb.Callback], profile: bool) -> None:
        profiler = cprofiler = None
        if profile and args.pyinstrument:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002)
            profiler.start()
        if profile and args.cprofile:
            import cProfile

            cprofiler = cProfile.Profile(time.process_time)  # CPU time: waiting for PostgreSQL does not count
            cprofiler.enable()
        sql.update(n=0, s=0.0, by_statement={}, cache=Counter(), uncached={})
        gc_time["by_generation"].clear()
        gc_time["count"].clear()
        cpu0 = time.process_time()
        times, statements_of = [], None
        kinds: Counter[str] = Counter()
        for call in items:
            times.append(post(call))
            kinds[call.checkout.kind + ("/release" if call.checkout.waits_for_money else "")] += 1
            statements_of = list(sql["last"])
        if profiler is not None:
            profiler.stop()
        if cprofiler is not None:
            cprofiler.disable()
        wall = sum(times)
        cpu = time.process_time() - cpu0
        print(f"\n{name}: {len(items)} requests ({dict(kinds)}), median {statistics.median(times) * 1000:.2f} ms,"
              f" mean {wall / len(items) * 1000:.2f} ms, p95 {sorted(times)[int(len(times) * 0.95)] * 1000:.2f} ms;"
              f" PostgreSQL {sql['s'] / len(items) * 1000:.2f} ms and {sql['n'] / len(items):.1f} statements per"
              f" request; the rest {(wall - sql['s']) / len(items) * 1000:.2f} ms per request; CPU of this process"
              f" {cpu / len(items) * 1000:.2f} ms per request")
        print(f"SQLAlchemy compiled cache: {dict(sql['cache'])}")
        for statement, (n, total) in sorted(sql["uncached"].items(), key=lambda kv: -kv[1][1])[:10]:
            print(f"  compiled every time: {n} x, {total * 1000:.1f} ms in all ({total / len(items) * 1000:.2f} ms per"
                  f" request): {statement}")
        print("garbage collector: " + ", ".join(
            f"generation {g}: {gc_time['count'][g]} runs, {gc_time['by_generation'][g] * 1000:.1f} ms in all"
            f" ({gc_time['by_generation'][g] / len(items) * 1000:.2f} ms per request)" for g in sorted(gc_time["count"])))
        if args.statements:
            print("the statements by their total time (count, total ms, mean ms, max ms):")
            ranked = sorted(sql["by_statement"].items(), key=lambda kv: -kv[1][1])
            for statement, (n, total, worst) in ranked[:15]:
                print(f"  {n:5d} {total * 1000:9.1f} {total / n * 1000:7.2f} {worst * 1000:7.2f}  {statement}")
        if args.statements and statements_of:
            print(f"the statements of the last one ({len(statements_of)}):")
            for statement in statements_of:
                print(f"  {statement}")
        if profiler is not None:
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        if cprofiler is not None:
            import pstats

            stats = pstats.Stats(cprofiler)
            stats.sort_stats("tottime").print_stats(25)
            stats.sort_stats("cumulative").print_stats(60)

    batch("first deliveries", measured, args.pyinstrument or args.cprofile)
    dups = measured[::2]
    batch("duplicates (after the original was answered)", dups, args.cprofile)


if __name__ == "__main__":
    main()
