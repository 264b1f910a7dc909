"""How much of the CPUs other work took while a scenario ran.

The benchmark shares the machine: whatever else runs skews its numbers. Each
scenario is bracketed by two readings of /proc; CPU time of processes that are
not the benchmark (this process and its children such as wrk, the gunicorn it
started, PostgreSQL's processes for the bench database and PostgreSQL's own
background processes) is reported as "other", as a share of all CPUs: the
system's busy time (/proc/stat) minus the benchmark's, so work of processes that
came and went during the run counts too. Steal (time the hypervisor gave to
other guests) is reported beside it.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _snapshot(own_sessions: set[int], bench_db: str) -> dict[int, tuple[int, bool]]:
    found: dict[int, tuple[int, bool]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        fields = raw.rsplit(")", 1)[1].split()
        session, ticks = int(fields[3]), int(fields[11]) + int(fields[12])
        ours = session in own_sessions
        if ours:  # children it has waited for (wrk, a restarted worker) count as its own
            ticks += int(fields[13]) + int(fields[14])
        if not ours:
            cmd = _cmdline(entry.name)
            if cmd.startswith("postgres:") or "/postgres " in cmd:
                # a client backend names its database; the background processes serve everyone
                is_backend = "(" in cmd or "[local]" in cmd
                ours = (bench_db in cmd) or not is_backend
        found[int(entry.name)] = (ticks, ours)
    return found


def _system() -> tuple[int, int, int]:
    """(busy, steal, total) jiffies of all CPUs since boot, from /proc/stat."""
    user, nice, system, idle, iowait, irq, softirq, steal = (
        int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9])
    busy = user + nice + system + irq + softirq
    return busy, steal, busy + steal + idle + iowait


@dataclass
class CpuWatch:
    bench_db: str
    extra_sessions: set[int] = field(default_factory=set)
    _start: dict[int, tuple[int, bool]] = field(default_factory=dict)
    _sys0: tuple[int, int, int] = (0, 0, 0)

    def sessions(self) -> set[int]:
        return {os.getsid(0), *self.extra_sessions}

    def start(self) -> None:
        self._start = _snapshot(self.sessions(), self.bench_db)
        self._sys0 = _system()

    def stop(self) -> dict[str, float]:
        sys1 = _system()
        end = _snapshot(self.sessions(), self.bench_db)
        busy, steal, total = (b - a for a, b in zip(self._sys0, sys1))
        capacity = total
        ours = other = 0
        for pid, (ticks, is_ours) in end.items():
            before = self._start.get(pid, (0, is_ours))[0]
            used = max(ticks - before, 0)
            if is_ours:
                ours += used
            else:
                other += used
        if not capacity:
            return {"benchmark_cpu_share": 0.0, "other_cpu_share": 0.0, "steal_share": 0.0, "busy_share": 0.0}
        # Processes that ended during the run are missing from the per-process count:
        # whatever the whole system was busy with beyond the benchmark is "other".
        return {
            "benchmark_cpu_share": round(ours / capacity, 3),
            "other_cpu_share": round(max(busy - ours, other, 0) / capacity, 3),
            "other_processes_seen_share": round(other / capacity, 3),
            "steal_share": round(steal / capacity, 3),  # taken by the hypervisor from this VM
            "busy_share": round(busy / capacity, 3),
        }


def system_ticks() -> dict[str, int]:
    """All CPUs' jiffies since boot by kind (busy, iowait, steal, irq, total), from /proc/stat."""
    user, nice, system, idle, iowait, irq, softirq, steal = (
        int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9])
    return {"busy": user + nice + system + irq + softirq, "iowait": iowait, "steal": steal, "irq": irq + softirq,
            "total": user + nice + system + idle + iowait + irq + softirq + steal}


def processes() -> dict[int, tuple[int, int, str, int]]:
    """pid -> (session, utime+stime ticks, command line, start time) of every process (the start time
    tells a reused pid from the same process; a backend's command line changes with its state)."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry.name}/stat").read_text()
            cmd = Path(f"/proc/{entry.name}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = raw.rsplit(")", 1)[1].split()
        found[int(entry.name)] = (int(fields[3]), int(fields[11]) + int(fields[12]), cmd, int(fields[19]))
    return found


def spent_by_process(
    before: dict[int, tuple[int, int, str, int]], after: dict[int, tuple[int, int, str, int]]
) -> Iterator[tuple[int, int, str, int]]:
    """(pid, session, command line, ticks) each process spent between two `processes()`
    snapshots; a pid the system gave to a new process in between counts from zero."""
    for pid, (session, ticks, cmd, born) in after.items():
        old = before.get(pid)
        yield pid, session, cmd, max(ticks - (old[1] if old and old[3] == born else 0), 0)


def parts_table(used: dict[str, int], total: int, count: int, per: str) -> dict[str, dict[str, Any]]:
    """CPU seconds, share of all CPUs and ms per `per` (message, callback) of each part, largest first."""
    return {
        group: {"cpu_s": round(ticks / TICKS, 2), "share_of_all_cpus": round(ticks / total, 3),
                f"cpu_ms_per_{per}": round(ticks / TICKS * 1000 / count, 3) if count else None}
        for group, ticks in sorted(used.items(), key=lambda kv: -kv[1])
    }


def service_part(cmd: str, bench_db: str) -> str:
    """The part of a shared service a process is: PostgreSQL's backends of the bench
    database or its background processes, Redis; "other" for anything else."""
    if cmd.startswith("postgres:") or "/postgres " in cmd:
        if bench_db in cmd:
            return "PostgreSQL backends"
        if "(" not in cmd and "[local]" not in cmd:
            return "PostgreSQL background"
        return "other"
    if "redis-server" in cmd:
        return "Redis"
    return "other"
