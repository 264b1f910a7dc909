"""`make bench` (`python -m bench [--quick] [figure ...]`): every figure's script in turn, each
with the given options; exit 0 when all pass, else the worst exit code (1 a goal missed, 2 a
run broke). Results in bench/results/ (git-ignored); the summary table is bench/README.md's."""
from __future__ import annotations

import subprocess
import sys

from bench.harness import ROOT

FIGURES = ("catalog", "submit", "excel", "callbacks", "statement_import", "sms_delivery", "commerceml",
           "onec_import", "search", "onec_push", "contracts_generate", "contracts_poll")


def main(argv: list[str]) -> int:
    chosen = [a for a in argv if a in FIGURES] or list(FIGURES)
    options = [a for a in argv if a not in FIGURES]
    codes = {}
    for figure in chosen:
        print(f"\n=== bench.{figure} {' '.join(options)}", flush=True)
        codes[figure] = subprocess.run([sys.executable, "-m", f"bench.{figure}", *options], cwd=ROOT).returncode
    print("\n" + "\n".join(f"bench.{figure}: exit {code}" for figure, code in codes.items()))
    return max(codes.values())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
