"""Start gunicorn for one app on 127.0.0.1, wait until it answers, stop it (always)."""
from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class WorkerSettings:
    worker_class: str = "sync"  # or "gthread"
    workers: int = 2
    threads: int = 4  # gthread only

    def args(self) -> list[str]:
        args = ["--workers", str(self.workers), "--worker-class", self.worker_class]
        if self.worker_class == "gthread":
            args += ["--threads", str(self.threads)]
        return args

    @property
    def label(self) -> str:
        if self.worker_class == "gthread":
            return f"gthread, {self.workers} workers x {self.threads} threads"
        return f"sync, {self.workers} workers"


@dataclass
class Gunicorn:
    app: str  # "wsgi:app" or "bench.hello:app"
    settings: WorkerSettings
    env: dict[str, str]
    log: Path
    ready_path: str = "/"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def command(self) -> list[str]:
        return [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            *self.settings.args(),
            "--bind", f"{HOST}:{self.port}",
            "--worker-tmp-dir", "/dev/shm" if Path("/dev/shm").is_dir() else "/tmp",
            "--log-level", "warning",
            "--timeout", "60",
            self.app,
        ]

    def __enter__(self) -> Gunicorn:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> None:
        out = self.log.open("ab")
        out.write(f"\n$ {' '.join(self.command())}\n".encode())
        out.flush()
        # A session of its own: stop() signals the whole group (arbiter and workers).
        self.process = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        out.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn {self.app} exited with {self.process.returncode}; see {self.log}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("GET", self.ready_path)
                status = conn.getresponse().status
                conn.close()
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn {self.app} did not answer within 60 s; see {self.log}")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True)
        return [int(pid) for pid in out.stdout.split()]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)  # graceful: the arbiter stops its workers
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass
