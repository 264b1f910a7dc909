"""Run wrk against one URL and read its numbers back."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA = Path(__file__).resolve().parent / "lua" / "stats.lua"
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_DIST = re.compile(r"^\s*(\d+(?:\.\d+)?)%\s+([\d.]+)(us|ms|s|m)\s*$")


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit(
            "wrk is not installed. On Debian/Ubuntu: apt-get install -y wrk "
            "(the benchmark uses Debian's wrk 4.x; nothing is downloaded by the benchmark itself)."
        )
    return path


def wrk_version() -> str:
    out = subprocess.run([wrk_path(), "-v"], capture_output=True, text=True)
    return (out.stdout or out.stderr).splitlines()[0].split(" Copyright")[0].strip()


@dataclass(frozen=True)
class WrkParams:
    connections: int = 16
    threads: int = 2
    duration_s: int = 15
    warmup_s: int = 3
    timeout_s: int = 10

    @property
    def label(self) -> str:
        return (
            f"wrk -t{self.threads} -c{self.connections} -d{self.duration_s}s --latency --timeout {self.timeout_s}s"
            f" (after a {self.warmup_s} s warm-up run)"
        )


@dataclass(frozen=True)
class WrkResult:
    url: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    bytes_per_response: float
    errors: dict[str, int]
    distribution_ms: dict[str, float]  # wrk's own --latency table, for cross-checking the hook

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def parse_distribution(text: str) -> dict[str, float]:
    found: dict[str, float] = {}
    inside = False
    for line in text.splitlines():
        if "Latency Distribution" in line:
            inside = True
            continue
        if inside:
            match = _DIST.match(line)
            if not match:
                break
            found[f"p{match.group(1).rstrip('0').rstrip('.')}"] = float(match.group(2)) * _UNITS[match.group(3)]
    return found


def run(url: str, params: WrkParams, headers: dict[str, str], duration_s: int | None = None,
        script: Path = LUA, script_args: tuple[str, ...] = ()) -> WrkResult:
    """`script` must print stats.lua's summary line (a script of its own dofile()s it)."""
    duration = duration_s if duration_s is not None else params.duration_s
    cmd = [
        wrk_path(),
        f"-t{params.threads}", f"-c{params.connections}", f"-d{duration}s",
        "--latency", "--timeout", f"{params.timeout_s}s", "-s", str(script),
    ]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    cmd.append(url)
    if script_args:
        cmd += ["--", *script_args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr or out.stdout}")
    line = next((l for l in out.stdout.splitlines() if l.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no BENCH_JSON line:\n{out.stdout}")
    data = json.loads(line[len("BENCH_JSON "):])
    lat = data["latency_us"]
    seconds = data["duration_us"] / 1e6
    requests = data["requests"]
    return WrkResult(
        url=url,
        requests=requests,
        seconds=round(seconds, 3),
        rps=round(requests / seconds, 1) if seconds else 0.0,
        p50_ms=lat["p50"] / 1000,
        p75_ms=lat["p75"] / 1000,
        p90_ms=lat["p90"] / 1000,
        p95_ms=lat["p95"] / 1000,
        p99_ms=lat["p99"] / 1000,
        mean_ms=round(lat["mean"] / 1000, 3),
        max_ms=lat["max"] / 1000,
        bytes_per_response=round(data["bytes"] / requests, 1) if requests else 0.0,
        errors=data["errors"],
        distribution_ms=parse_distribution(out.stdout),
    )
