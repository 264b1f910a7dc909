"""A real Celery worker for the figures that need one (LiqPay callbacks, SMS delivery), run
as tests/flows/test_celery_relay.py runs it: in its own session, so one killpg takes the
main process and its whole prefork pool."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.harness import ROOT


def broker(redis_url: str, name: str) -> Any:
    from celery import Celery

    # A bare client app: it only sends tasks by name to the queue the worker consumes.
    return Celery(f"bench-{name}", broker=redis_url, set_as_current=False)


class Worker:
    def __init__(self, name: str, env: dict[str, str], concurrency: int, logs: Path, nice: int = 0,
                 queues: str = "celery") -> None:
        self.name, self.env, self.concurrency, self.logs, self.nice = name, env, concurrency, logs, nice
        self.queues = queues  # comma-separated, as `celery worker -Q` takes them
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def hostname(self) -> str:
        return f"bench-{self.name}-{os.getpid()}-{self.starts}"

    def command(self) -> list[str]:
        # `nice`: a worker sharing a host with the web answers after it (README, deployment).
        return (["nice", "-n", str(self.nice)] if self.nice else []) + [
            str(ROOT / ".venv" / "bin" / "celery"), "-A", "wsgi:celery", "worker", "--pool", "prefork",
            "--concurrency", str(self.concurrency), "-Q", self.queues, "--without-gossip", "--without-mingle",
            "--loglevel", "WARNING", "--hostname", f"{self.hostname}@%h"]

    def start(self) -> subprocess.Popen:
        self.starts += 1
        with (self.logs / f"celery-{self.name}-{self.starts}.log").open("ab") as out:
            out.write(f"\n$ {' '.join(self.command())}\n".encode())
            out.flush()
            self.process = subprocess.Popen(self.command(), cwd=ROOT, env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        return self.process

    def wait_ready(self, app: Any, limit_s: float = 90.0) -> float:
        started = time.perf_counter()
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the Celery worker exited with {self.process.returncode}; see {self.logs}")
            replies = app.control.ping(timeout=0.5)
            if any(self.hostname in key for reply in replies for key in reply):
                return time.perf_counter() - started
        raise RuntimeError(f"the Celery worker did not answer a ping in {limit_s:.0f} s; see {self.logs}")

    def pool_pids(self) -> list[int]:
        if self.process is None:
            return []
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True)
        return [int(pid) for pid in out.stdout.split()]

    def kill(self) -> None:
        """What a crash does: SIGKILL to the whole group, nothing acknowledged."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL to the group (pool processes left behind)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        self.kill()
