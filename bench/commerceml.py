"""`python -m bench.commerceml`: the CommerceML reader on a ~1 GB generated import.xml (issue 12: a 1 GB file must not need 1 GB of memory): throughput and the growth of peak memory while reading.

    .venv/bin/python -m bench.commerceml            # about 1 GB (500,000 products)
    .venv/bin/python -m bench.commerceml --quick    # 20,000 products: checks the script

Exits 1 when reading raised the process's peak resident memory by more than
`--max-growth-mb` (default 50) or read another number of products than were written:
the reader holds one product at a time, whatever the file's size. The file is written
to a temporary folder and removed afterwards. No database: the import into PostgreSQL
is a figure of its own.
"""
from __future__ import annotations

import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.harness import arguments, code_state, log, machine, run_lock, wait_for_quiet, write_results
from emulators.onec.commerceml import write_catalog
from onec.commerceml import Package, Product

FULL, QUICK = 500_000, 20_000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def measure(products: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "import.xml"
        started = time.perf_counter()
        summary = write_catalog(path, products=products, groups=200, seed=1)
        written_s = time.perf_counter() - started
        size_mb = path.stat().st_size / 1e6
        before = peak_rss_mb()
        started = time.perf_counter()
        read = 0
        with Package(path) as package:
            for record in package:
                read += isinstance(record, Product)
        read_s = time.perf_counter() - started
    return {"size_mb": round(size_mb, 1), "products": summary.products, "read": read, "written_s": round(written_s, 1),
            "read_s": round(read_s, 1), "mb_per_s": round(size_mb / read_s, 1),
            "peak_growth_mb": round(peak_rss_mb() - before, 1)}


def markdown(results: dict) -> str:
    m = results["measured"]
    return (f"# CommerceML reader, {results['started']:%Y-%m-%d %H:%M}\n\n"
            f"commit {results['code']['commit']}\n\n| file | products | read in | rate | peak memory growth | result |\n"
            f"|---|---|---|---|---|---|\n| {m['size_mb']:,} MB | {m['read']:,} of {m['products']:,} | {m['read_s']} s "
            f"| {m['mb_per_s']} MB/s | {m['peak_growth_mb']} MB | {'PASS' if not results['problems'] else 'FAIL'} |\n")


def main(argv: list[str] | None = None) -> int:
    parser = arguments("commerceml", __doc__)
    parser.add_argument("--products", type=int, default=None, help=f"default {FULL:,} ({QUICK:,} with --quick)")
    parser.add_argument("--max-growth-mb", type=float, default=50.0)
    args = parser.parse_args(argv)
    products = args.products or (QUICK if args.quick else FULL)
    results: dict = {"started": datetime.now(), "machine": machine(), "code": code_state(), "quick": args.quick,
                     "problems": []}
    with run_lock(args.wait_lock):
        results["busy_before"] = wait_for_quiet(0 if args.quick else args.wait_quiet)
        measured = results["measured"] = measure(products)
    if measured["read"] != measured["products"]:
        results["problems"].append(f"read {measured['read']:,} products of {measured['products']:,}")
    if measured["peak_growth_mb"] > args.max_growth_mb:
        results["problems"].append(f"peak memory grew more than {args.max_growth_mb} MB")
    path, _ = write_results(results, f"{results['started']:%Y-%m-%d}-issue12-commerceml-reader", markdown)
    log("commerceml", f"{measured['size_mb']:,} MB read in {measured['read_s']} s ({measured['mb_per_s']} MB/s), "
                      f"peak memory +{measured['peak_growth_mb']} MB: {path}")
    for problem in results["problems"]:
        log("commerceml", f"FAIL: {problem}")
    return 1 if results["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
