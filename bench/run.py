"""`make bench`: the issue-2 benchmarks on PostgreSQL behind gunicorn, from one run.

1. a fresh database `portal_bench` (dropped first if it exists), migrated and filled
   by `flask --app wsgi seed-demo` (the full demo size), then VACUUM ANALYZE;
2. queries per catalog page, counted in-process (page size 10 vs 50);
3. bench/hello.py under gunicorn: the floor of this machine;
4. the portal (wsgi:app) under the same gunicorn settings: catalog, category,
   search and SKU search with wrk; the Excel upload; order submit with 8 customers;
5. the table: printed, and written to bench/results/<date>-issue2.md and .json.

gunicorn processes are always stopped, and the database is dropped unless
--keep-db, also when a step fails. Everything listens on 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from bench import pg, report
from bench.client import Client
from bench.cpuwatch import CpuWatch
from bench.server import HOST, Gunicorn, WorkerSettings
from bench.wrk import WrkParams, run as run_wrk, wrk_path, wrk_version

ROOT = Path(__file__).resolve().parent.parent
SEARCH_TERMS = ("кава", "чай", "сир", "вода")  # the first with enough matches is used
LOGIN = "buyer@cafe.demo"
OTHER_CPU_WARN = 0.10  # more than this taken by other work marks the scenario as disturbed
PASSWORD = "demo12345"


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or str(os.cpu_count())
    gunicorn = subprocess.run([str(ROOT / ".venv/bin/gunicorn"), "--version"], capture_output=True, text=True)
    return {
        "nproc": int(nproc),
        "cpu_model": cpu,
        "mem_total": mem,
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "gunicorn_version": (gunicorn.stdout or gunicorn.stderr).strip().split()[-1].strip(")"),
        "wrk_version": wrk_version(),
    }


def single_run_lock():  # noqa: ANN201 (an open file whose lock lasts as long as the process)
    """Two runs at once would drop each other's database and share the CPUs: refuse the second."""
    import fcntl

    report.RESULTS.mkdir(parents=True, exist_ok=True)
    handle = (report.RESULTS / ".run.lock.tmp").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit("another benchmark run is in progress (bench/results/.run.lock.tmp is locked)") from None
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def postgres_info() -> dict:
    try:
        return pg.server_info()
    except Exception as exc:
        raise SystemExit(f"PostgreSQL is not reachable at {pg.admin_url()} ({type(exc).__name__}: {exc});"
                         " set BENCH_DATABASE_URL to the server's maintenance database") from None


def listing_cache_seconds() -> float | None:
    """The catalog listing cache's lifetime as the servers will see it (None: the code has no such cache)."""
    from core.config import Config

    value = getattr(Config, "CATALOG_CACHE_SECONDS", None)
    return float(value) if value is not None else None


def code_state() -> dict:
    """Which code was measured: the commit, and a fingerprint of uncommitted changes outside bench/."""
    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip() if out.returncode == 0 else ""

    import hashlib

    diff = git("diff", "HEAD", "--", ".", ":(exclude)bench")
    changed = [line[3:] for line in git("status", "--porcelain").splitlines()
               if not line[3:].startswith("bench/")]
    return {
        "commit": git("rev-parse", "--short", "HEAD") or "unknown",
        "uncommitted_files": len(changed),
        "uncommitted_diff_sha1": hashlib.sha1(diff.encode()).hexdigest()[:12] if diff else None,
    }


def cpu_busy(seconds: float = 3.0) -> float:
    """Share of all CPUs busy over a few seconds (this process is asleep meanwhile)."""
    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields[:8]), idle

    total1, idle1 = sample()
    time.sleep(seconds)
    total2, idle2 = sample()
    return 1 - (idle2 - idle1) / max(total2 - total1, 1)


def wait_for_quiet(limit_s: int, threshold: float = 0.15) -> float:
    """Other work on this machine skews every number: wait (bounded) until it is idle."""
    deadline = time.monotonic() + limit_s
    busy = cpu_busy()
    while busy > threshold and time.monotonic() < deadline:
        log(f"the machine is {busy:.0%} busy with other work; waiting for it to settle ...")
        time.sleep(10)
        busy = cpu_busy()
    return busy


def server_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "REDIS_", "CELERY_"))}
    env.update(
        DATABASE_URL=database_url,
        OUTBOX_DISPATCH="inline",
        RATELIMIT_ENABLED="0",
        **pg.SIGNING_KEYS,
        SQL_ECHO="0",
        PYTHONUNBUFFERED="1",
    )
    return env


def wait_for_seed_command(env: dict[str, str], wait_s: int) -> None:
    deadline = time.monotonic() + wait_s
    while not pg.seed_command_exists(env):
        if time.monotonic() > deadline:
            raise SystemExit("`flask --app wsgi seed-demo` does not exist (yet): the benchmark needs the demo data.")
        log("waiting for the seed-demo command to appear ...")
        time.sleep(30)


def measure_page(name: str, path: str, server: Gunicorn, client: Client | None, params: WrkParams,
                 expect_products: int | None, problems: list[str]) -> dict:
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
    watch = CpuWatch(pg.BENCH_DB, {server.process.pid})
    watch.start()
    result = run_wrk(url, params, headers).as_dict()
    result["cpu"] = watch.stop()
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
    problems.extend(f"{name}: {p}" for p in result["problems"])
    if result["cpu"]["other_cpu_share"] > OTHER_CPU_WARN:  # disturbed, not wrong: noted, not failed
        problems.append(f"{name}: other processes took {result['cpu']['other_cpu_share']:.0%} of the CPUs during the run")
    socket_errors = sum(v for k, v in result["errors"].items() if k not in ("status", "timeout"))
    log(f"{name:9s} {path}: {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, "
        f"p95 {result['p95_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms"
        + (f", socket errors {socket_errors}" if socket_errors else ""))
    return result


def explore_workers(env: dict[str, str], params: WrkParams, logs: Path, paths: dict[str, str],
                    base_settings: WorkerSettings) -> list[dict]:
    """hello and the catalog under both worker classes (shorter runs), to choose one."""
    rows = []
    short = WrkParams(params.connections, params.threads, min(params.duration_s, 10), 2, params.timeout_s)
    for settings in (WorkerSettings("sync", base_settings.workers),
                     WorkerSettings("gthread", base_settings.workers, base_settings.threads)):
        with Gunicorn("bench.hello:app", settings, env, logs / "gunicorn-hello.log", "/hello") as hello:
            result = measure_page("hello", "/hello", hello, None, short, None, [])
            rows.append({"workers": settings.label, "path": "/hello", **_short(result)})
        with Gunicorn("wsgi:app", settings, env, logs / "gunicorn-portal.log", "/healthz") as portal:
            client = Client(HOST, portal.port)
            client.login(LOGIN, PASSWORD)
            for path in paths.values():
                result = measure_page("explore", path, portal, client, short, None, [])
                rows.append({"workers": settings.label, "path": path, **_short(result)})
            client.close()
    return rows


def _short(result: dict) -> dict:
    return {"rps": result["rps"], "p50_ms": result["p50_ms"], "p95_ms": result["p95_ms"],
            "errors": sum(result["errors"].values()), "cpu": result["cpu"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--keep-db", action="store_true", help="do not drop portal_bench at the end")
    parser.add_argument("--reuse-db", action="store_true",
                        help="use portal_bench as it is (no create/seed); implies --keep-db")
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="sync")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--duration", type=int, default=15, help="seconds of each measured wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of the wrk warm-up before each run")
    parser.add_argument("--submit-customers", type=int, default=8)
    parser.add_argument("--submits", type=int, default=40, help="submits per customer")
    parser.add_argument("--excel-uploads", type=int, default=20)
    parser.add_argument("--explore-workers", action="store_true",
                        help="also run hello and the catalog under sync and gthread workers")
    parser.add_argument("--wait-seed", type=int, default=0,
                        help="seconds to wait for the seed-demo command to exist (it is polled every 30 s)")
    parser.add_argument("--wait-quiet", type=int, default=600,
                        help="seconds to wait at most for the machine to be idle before measuring")
    parser.add_argument("--skip-uncached", action="store_true",
                        help="skip the second pass over the pages with the listing cache off")
    parser.add_argument("--seed-arg", action="append", default=[], help="extra argument for seed-demo (repeatable)")
    args = parser.parse_args(argv)

    wrk_path()  # a clear message before anything is created
    _lock = single_run_lock()
    postgres = postgres_info()
    started = time.perf_counter()
    stamp = datetime.now(timezone.utc).astimezone()
    database_url = pg.bench_url()
    env = server_env(database_url)
    logs = report.RESULTS / f"{stamp:%Y%m%d-%H%M%S}-logs.tmp"
    logs.mkdir(parents=True, exist_ok=True)
    settings = WorkerSettings(args.worker_class, args.workers, args.threads)
    params = WrkParams(args.connections, args.wrk_threads, args.duration, args.warmup)
    keep_db = args.keep_db or args.reuse_db
    cache_seconds = listing_cache_seconds()
    problems: list[str] = []
    results: dict = {
        "started_at": stamp.isoformat(timespec="seconds"),
        "environment": {
            **machine(),
            "code": code_state(),
            "postgres": postgres,
            "workers": settings.label,
            "catalog_cache_seconds": cache_seconds,
            "wrk": params.label,
            "broker": "no broker: REDIS_URL unset, OUTBOX_DISPATCH=inline (outbox events are delivered in the"
                      " request that commits them, as in the embedded default); RATELIMIT_ENABLED=0",
        },
        "timings": {},
        "problems": problems,
    }
    failed = False
    try:
        if not args.reuse_db:
            wait_for_seed_command(env, args.wait_seed)
            log(f"creating the database {database_url}")
            pg.create_database()
            pg.flask(["db-upgrade"], env, logs / "seed.log")
            log("seeding the demo data (full default size) ...")
            results["timings"]["seed_s"] = pg.flask(["seed-demo", *args.seed_arg], env, logs / "seed.log")
            pg.analyze()
        else:
            results["timings"]["seed_s"] = 0.0
        results["dataset"] = pg.counts()
        log(f"data: {results['dataset']}")

        category_id, category_name, category_count = pg.busiest_category()
        term = next((t for t in SEARCH_TERMS if pg.search_matches(t) >= 100), SEARCH_TERMS[0])
        sku = pg.a_sku()
        paths = {
            "catalog": "/",
            "category": f"/?c={category_id}",
            "search": f"/?q={quote(term)}",
            "sku": f"/?q={quote(sku)}",
        }
        results["inputs"] = {
            "category": {"id": category_id, "name": category_name, "active_products": category_count},
            "search_term": term, "search_matches": pg.search_matches(term), "sku": sku,
        }
        expected = {"catalog": 50, "category": min(50, category_count),
                    "search": min(50, pg.search_matches(term)), "sku": None}

        log("counting queries per catalog page in-process ...")
        from bench.queries import count_queries, pages_for

        results["queries"] = count_queries(database_url, LOGIN, pages_for(category_id, term, sku))
        for name, page in results["queries"].items():
            log(f"queries {name}: " + ", ".join(
                f"size {s}: {v['queries']}" for s, v in page["by_page_size"].items()))

        results["environment"]["cpu_busy_before"] = round(wait_for_quiet(args.wait_quiet), 3)
        results["environment"]["loadavg_before"] = os.getloadavg()
        log(f"background CPU use before measuring: {results['environment']['cpu_busy_before']:.0%}")

        if args.explore_workers:
            log("exploring worker classes (sync vs gthread) ...")
            results["exploration"] = explore_workers(env, params, logs, paths, settings)

        wrk_results: dict = {}
        results["wrk_results"] = wrk_results
        log(f"hello under gunicorn ({settings.label}) ...")
        with Gunicorn("bench.hello:app", settings, env, logs / "gunicorn-hello.log", "/hello") as hello:
            wrk_results["hello"] = measure_page("hello", "/hello", hello, None, params, None, problems)

        log(f"portal under gunicorn ({settings.label}) ...")
        with Gunicorn("wsgi:app", settings, env, logs / "gunicorn-portal.log", "/healthz") as portal:
            client = Client(HOST, portal.port)
            client.login(LOGIN, PASSWORD)
            for name, path in paths.items():
                wrk_results[name] = measure_page(name, path, portal, client, params, expected[name], problems)
            client.close()

            customers = pg.ordering_customers(args.submit_customers)
            from bench.excel import run_excel

            log(f"Excel upload, 500 lines x {args.excel_uploads} ...")
            watch = CpuWatch(pg.BENCH_DB, {portal.process.pid})
            watch.start()
            results["excel"] = run_excel(HOST, portal.port, customers[0], repeats=args.excel_uploads)
            results["excel"]["cpu"] = watch.stop()
            log(f"excel: median {results['excel']['median_ms']:.0f} ms, max {results['excel']['max_ms']:.0f} ms")
            problems.extend(f"excel: {e}" for e in results["excel"]["errors"])
            if results["excel"]["cpu"]["other_cpu_share"] > OTHER_CPU_WARN:
                problems.append(f"excel: other processes took {results['excel']['cpu']['other_cpu_share']:.0%}"
                                " of the CPUs during the run")

            from bench.submit import run_submit

            log(f"order submit: {len(customers)} customers x {args.submits} submits of 20 lines ...")
            watch = CpuWatch(pg.BENCH_DB, {portal.process.pid})
            watch.start()
            results["submit"] = run_submit(HOST, portal.port, customers, submits=args.submits)
            results["submit"]["cpu"] = watch.stop()
            log(f"submit: {results['submit']['submits']} orders, p50 {results['submit']['p50_ms']:.1f} ms,"
                f" p95 {results['submit']['p95_ms']:.1f} ms")
            problems.extend(f"submit: {e}" for e in results["submit"]["errors"])
            if results["submit"]["cpu"]["other_cpu_share"] > OTHER_CPU_WARN:
                problems.append(f"submit: other processes took {results['submit']['cpu']['other_cpu_share']:.0%}"
                                " of the CPUs during the run")

        if cache_seconds and not args.skip_uncached:
            # wrk asks for one URL again and again: with the listing cache on, that is the cache's
            # best case. The same pages once more with the cache off: every request builds its page.
            uncached: dict = {}
            results["wrk_uncached"] = uncached
            log("portal with CATALOG_CACHE_SECONDS=0 (every page built) ...")
            off_env = {**env, "CATALOG_CACHE_SECONDS": "0"}
            with Gunicorn("wsgi:app", settings, off_env, logs / "gunicorn-portal-nocache.log", "/healthz") as portal:
                client = Client(HOST, portal.port)
                client.login(LOGIN, PASSWORD)
                for name, path in paths.items():
                    uncached[name] = measure_page(f"{name}/off", path, portal, client, params, expected[name], problems)
                client.close()
    except Exception as exc:
        failed = True
        problems.append(f"the run stopped: {type(exc).__name__}: {exc}")
        traceback.print_exc()
    finally:
        if not keep_db:
            try:
                pg.drop_database()
                log("dropped the bench database")
            except Exception as exc:  # still write what was measured
                problems.append(f"could not drop the bench database: {exc}")
        else:
            log(f"kept the bench database: {database_url}")

    results["timings"]["total_s"] = round(time.perf_counter() - started, 1)
    results["environment"]["loadavg_after"] = os.getloadavg()
    results.setdefault("dataset", {})
    results["goals"] = report.judge(results)
    md_path, json_path = report.write(results, f"{stamp:%Y-%m-%d}-issue2")
    print()
    print(md_path.read_text())
    log(f"written {md_path.relative_to(ROOT)} and {json_path.relative_to(ROOT)}; logs in {logs.relative_to(ROOT)}")
    if failed:
        return 2
    return 0 if all(goal["pass"] for goal in results["goals"] if not goal.get("informative")) else 1


if __name__ == "__main__":
    sys.exit(main())
