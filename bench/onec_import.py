"""`python -m bench.onec_import`: a CommerceML package of 50,000 products and their offers imported into PostgreSQL.

    .venv/bin/python -m bench.onec_import            # 50,000 products, 3 price types, 2 warehouses
    .venv/bin/python -m bench.onec_import --quick    # 2,000 products: checks the script

1. a fresh database `portal_bench_onec` (dropped first if it exists), migrated, empty;
2. import.xml and offers.xml written by the 1C emulator's generator (emulators/onec/commerceml.py)
   into a temporary folder;
3. `onec.importer.import_files` (each file its own transaction), timed, with the process's
   peak resident memory (ru_maxrss) after it;
4. the same package again: every product and offer must come out unchanged, faster;
5. the figures printed and written to bench/results/<date>-issue12-onec-import.md; the
   database dropped (unless --keep-db), also when a step fails.

The goal (issue 12): under 60 s with peak memory under 300 MB, the repeated import faster still.
"""
from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.harness import ROOT, arguments, code_state, log, machine, run_lock, wait_for_quiet, write_results
from bench.harness import pg
from bench.harness.portal import in_process_app, postgres_info
from emulators.onec.commerceml import write_catalog, write_offers

DB_NAME = "portal_bench_onec"
GOAL_S, GOAL_MB = 60.0, 300.0
FULL, QUICK = 50_000, 2_000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def measure(app: Any, files: list[Path]) -> dict[str, Any]:
    from core.db import db_session
    from onec.importer import Options, import_files

    with app.app_context():
        started = time.perf_counter()
        runs = import_files(db_session(), files, source="cli", options=Options())
        total_s = time.perf_counter() - started
        figures = {
            "total_s": total_s, "peak_mb": peak_rss_mb(),
            "runs": [{"file": r.file_name, "status": r.status, "error": r.error, "created": r.created,
                      "updated": r.updated, "unchanged": r.unchanged, "skipped": r.skipped,
                      "seconds": r.duration_seconds} for r in runs],
        }
        db_session.remove()
    return figures


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"# Issue 12: CommerceML import into PostgreSQL — {results['started']:%Y-%m-%d %H:%M}"
        + (" (--quick: a check, not a measurement)" if results["quick"] else ""),
        "",
        f"Command: `.venv/bin/python -m bench.onec_import` · commit {results['code']['commit']}"
        f" ({results['code']['uncommitted_files']} files with uncommitted changes)",
        f"Machine: {results['machine']['nproc']} × {results['machine']['cpu_model']}, {results['machine']['mem_total']},"
        f" PostgreSQL {results['postgres']['version']}, Python {results['machine']['python']}",
        "",
        f"Package: {results['products']:,} products ({results['deleted']:,} of them deleted in 1C), {results['groups']} groups;"
        f" {results['offers']:,} offers with {results['prices']:,} prices (3 price types) and stock in 2 warehouses;"
        f" {results['mb']:.1f} MB written in {results['written_s']:.1f} s. Peak memory before importing:"
        f" {results['peak_before_mb']:.0f} MB.",
        "",
        "| run | file | status | created | updated | unchanged | skipped | seconds |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for name in ("first", "again"):
        for run in results.get(name, {}).get("runs", []):
            lines.append(f"| {name} | {run['file']} | {run['status']} | {run['created']:,} | {run['updated']:,}"
                         f" | {run['unchanged']:,} | {run['skipped']:,} | {run['seconds']:.1f} |")
    lines.append("")
    for name in ("first", "again"):
        if name in results:
            lines.append(f"- {name}: **{results[name]['total_s']:.1f} s**, peak memory {results[name]['peak_mb']:.0f} MB")
    lines += ["", "Skipped offers are the variants (characteristics) the portal's catalog has no place for.", ""]
    verdict = "PASS" if results.get("pass") else "FAIL"
    lines.append(f"**{verdict}** (goal: < {GOAL_S:.0f} s and < {GOAL_MB:.0f} MB, the repeat faster and unchanged)")
    lines += [f"- {problem}" for problem in results["problems"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = arguments("onec_import", __doc__)
    parser.add_argument("--products", type=int, default=None, help=f"default {FULL:,} ({QUICK:,} with --quick)")
    args = parser.parse_args(argv)
    products = args.products or (QUICK if args.quick else FULL)
    results: dict[str, Any] = {"started": datetime.now(), "machine": machine(), "postgres": postgres_info(),
                               "code": code_state(), "problems": [], "quick": args.quick}
    url = pg.bench_url(DB_NAME)
    env = {**os.environ, **pg.SIGNING_KEYS, "DATABASE_URL": url}
    env.pop("REDIS_URL", None)
    with run_lock(args.wait_lock), tempfile.TemporaryDirectory() as folder:
        try:
            log("onec_import", f"creating {DB_NAME}, migrating")
            pg.create_database(DB_NAME)
            pg.flask(["db-upgrade"], env, Path(folder) / "migrate.log")
            started = time.perf_counter()
            catalog = write_catalog(Path(folder) / "import.xml", products=products, groups=200, seed=12)
            offers = write_offers(Path(folder) / "offers.xml", products=products, price_types=3, seed=12)
            files = [Path(folder) / "import.xml", Path(folder) / "offers.xml"]
            results.update(products=catalog.products, deleted=catalog.deleted, groups=catalog.groups,
                           offers=offers.offers, prices=offers.prices, written_s=time.perf_counter() - started,
                           mb=sum(f.stat().st_size for f in files) / 1e6)
            app = in_process_app(url)
            results["peak_before_mb"] = peak_rss_mb()
            results["busy_before"] = wait_for_quiet(0 if args.quick else args.wait_quiet)
            log("onec_import", f"importing {results['mb']:.0f} MB")
            results["first"] = measure(app, files)
            log("onec_import", f"first: {results['first']['total_s']:.1f} s, peak {results['first']['peak_mb']:.0f} MB")
            results["again"] = measure(app, files)
            log("onec_import", f"again: {results['again']['total_s']:.1f} s, peak {results['again']['peak_mb']:.0f} MB")
            app.extensions["db_engine"].dispose()
        except Exception as exc:
            traceback.print_exc()
            results["problems"].append(f"the run broke: {type(exc).__name__}: {exc}")
        finally:
            if not args.keep_db:
                pg.drop_database(DB_NAME)
    if "again" not in results:
        return 2
    first, again = results["first"], results["again"]
    if any(run["status"] != "success" for run in first["runs"] + again["runs"]):
        results["problems"].append("a run failed")
    if any(run["created"] or run["updated"] for run in again["runs"]):
        results["problems"].append("the repeated import changed something")
    if not args.quick and first["total_s"] >= GOAL_S:
        results["problems"].append(f"the import took {first['total_s']:.1f} s")
    if max(first["peak_mb"], again["peak_mb"]) >= GOAL_MB:
        results["problems"].append(f"peak memory reached {max(first['peak_mb'], again['peak_mb']):.0f} MB")
    if again["total_s"] >= first["total_s"]:
        results["problems"].append("the repeated import was not faster")
    results["pass"] = not results["problems"]
    path, _ = write_results(results, f"{results['started']:%Y-%m-%d}-issue12-onec-import", markdown)
    print(path.read_text())
    log("onec_import", f"written {path.relative_to(ROOT)}")
    return 0 if results["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
