"""What every figure's script shares: where results go, the run lock, the machine and
code a result names, waiting for an idle machine, percentiles, writing the results.

The parts with more to them are modules beside this one: `pg` (the bench database),
`server` (gunicorn), `client` (a logged-in HTTP client), `wrk`, `cpuwatch` (who used
the CPUs), `portal` (a seeded portal for the catalog, Excel and submit figures)."""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"  # git-ignored: only bench/README.md's table is kept
OTHER_CPU_WARN = 0.10  # more than this taken by other work marks a measurement as disturbed


def log(name: str, message: str) -> None:
    print(f"[bench.{name} {datetime.now():%H:%M:%S}] {message}", flush=True)


def arguments(prog: str, doc: str) -> argparse.ArgumentParser:
    """The options every figure has; --quick runs it small, to check it works in a minute."""
    parser = argparse.ArgumentParser(prog=f"python -m bench.{prog}", description=doc.strip().split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run: checks the script, measures nothing")
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--wait-quiet", type=int, default=600, help="wait at most this long for an idle machine")
    parser.add_argument("--wait-lock", type=int, default=1800, help="wait at most this long for another run to end")
    return parser


def run_lock(wait_s: int) -> Any:
    """Two benchmarks at once share the CPUs and each other's numbers: the second waits
    (bounded). The lock lasts as long as the returned file stays open."""
    import fcntl

    RESULTS.mkdir(parents=True, exist_ok=True)
    handle = (RESULTS / ".run.lock.tmp").open("a+")
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise SystemExit("another benchmark run is in progress (bench/results/.run.lock.tmp is locked)") from None
            log("harness", "another benchmark holds bench/results/.run.lock.tmp; waiting ...")
            time.sleep(15)
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def machine() -> dict:
    def first(path: str, prefix: str) -> str:
        try:
            return next((line.split(":", 1)[1].strip() for line in Path(path).read_text().splitlines()
                         if line.startswith(prefix)), "unknown")
        except OSError:
            return "unknown"

    mem = first("/proc/meminfo", "MemTotal")
    gunicorn = subprocess.run([str(ROOT / ".venv/bin/gunicorn"), "--version"], capture_output=True, text=True)
    from bench.harness.wrk import wrk_version
    return {
        "nproc": os.cpu_count(),
        "cpu_model": first("/proc/cpuinfo", "model name"),
        "mem_total": f"{int(mem.split()[0]) / 1024 / 1024:.1f} GiB" if mem != "unknown" else mem,
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "gunicorn_version": (gunicorn.stdout or gunicorn.stderr).strip().split()[-1].strip(")"),
        "wrk_version": wrk_version() if shutil.which("wrk") else "not installed",
    }


def code_state() -> dict:
    """Which code was measured: the commit, and the uncommitted changes outside bench/."""
    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip() if out.returncode == 0 else ""

    diff = git("diff", "HEAD", "--", ".", ":(exclude)bench")
    changed = [line[3:] for line in git("status", "--porcelain").splitlines() if not line[3:].startswith("bench/")]
    return {
        "commit": git("rev-parse", "--short", "HEAD") or "unknown",
        "commit_full": git("rev-parse", "HEAD") or "unknown",
        "uncommitted_files": len(changed),
        "uncommitted": changed,
        "dirty": bool(changed),
        "uncommitted_diff_sha1": hashlib.sha1(diff.encode()).hexdigest()[:12] if diff else None,
    }


def cpu_busy(seconds: float = 3.0) -> float:
    """Share of all CPUs busy over a few seconds (this process is asleep meanwhile)."""
    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return sum(fields[:8]), fields[3] + fields[4]  # idle + iowait

    total1, idle1 = sample()
    time.sleep(seconds)
    total2, idle2 = sample()
    return 1 - (idle2 - idle1) / max(total2 - total1, 1)


def wait_for_quiet(limit_s: int, threshold: float = 0.15) -> float:
    """Other work on this machine skews every number: wait (bounded) until it is idle."""
    deadline = time.monotonic() + limit_s
    busy = cpu_busy()
    while busy > threshold and time.monotonic() < deadline:
        log("harness", f"the machine is {busy:.0%} busy with other work; waiting for it to settle ...")
        time.sleep(10)
        busy = cpu_busy()
    return busy


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (the same definition wrk uses)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(math.ceil(pct / 100 * len(ordered)), 1) - 1]


def latency_stats(values_ms: list[float]) -> dict:
    if not values_ms:
        return {"requests": 0}
    return {
        "requests": len(values_ms),
        **{f"p{p}_ms": round(percentile(values_ms, p), 2) for p in (50, 90, 95, 99)},
        "max_ms": round(max(values_ms), 2),
        "mean_ms": round(statistics.fmean(values_ms), 2),
    }


def figure(value: Any, digits: int = 1) -> str:
    """A number as the results' tables write it: "1 234.5", "—" for none."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}".replace(",", " ")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", " ")
    return str(value)


def write_results(results: dict, stem: str, markdown: Callable[[dict], str], out: str | None = None) -> tuple[Path, Path]:
    """bench/results/<stem>.md and .json (a later run the same day gets -2, -3, ...:
    nothing is overwritten), or `out` and its .json."""
    if out:
        md_path = Path(out)
    else:
        RESULTS.mkdir(parents=True, exist_ok=True)
        md_path, n = RESULTS / f"{stem}.md", 2
        while md_path.exists() or md_path.with_suffix(".json").exists():
            md_path, n = RESULTS / f"{stem}-{n}.md", n + 1
    json_path = md_path.with_suffix(".json")
    results["json_name"] = json_path.name
    json_path.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str) + "\n")
    md_path.write_text(markdown(results))
    return md_path, json_path
