"""The CommerceML reader on a large generated import.xml: throughput and the process's peak memory.

    .venv/bin/python -m bench.commerceml            # about 1 GB (500,000 products)
    .venv/bin/python -m bench.commerceml --products 50000

Exits 1 when reading raised the process's peak resident memory by more than
`--max-growth-mb` (default 50): the reader must hold one product at a time, whatever
the file's size. The file is written to a temporary folder and removed afterwards.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from emulators.onec.commerceml import write_catalog
from onec.commerceml import Package, Product


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=500_000)
    parser.add_argument("--max-growth-mb", type=float, default=50.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "import.xml"
        started = time.perf_counter()
        summary = write_catalog(path, products=args.products, groups=200, seed=1)
        written = time.perf_counter() - started
        size_mb = path.stat().st_size / 1e6
        before = peak_rss_mb()
        started = time.perf_counter()
        products = 0
        with Package(path) as package:
            for record in package:
                products += isinstance(record, Product)
        read = time.perf_counter() - started
        growth = peak_rss_mb() - before
    print(f"{size_mb:,.0f} MB, {summary.products:,} products: written in {written:.0f} s, read in {read:.0f} s "
          f"({size_mb / read:.1f} MB/s); peak memory grew {growth:.1f} MB while reading")
    if products != summary.products:
        print(f"FAIL: read {products:,} products of {summary.products:,}")
        return 1
    if growth > args.max_growth_mb:
        print(f"FAIL: more than {args.max_growth_mb} MB")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
