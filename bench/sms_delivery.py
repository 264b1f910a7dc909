"""`python -m bench.sms_delivery`: 10,000 queued SMS through a real Celery worker to the Atompark emulator (issue 4).

The issue's figure: on PostgreSQL + Redis with a Celery worker, 10,000 queued SMS
delivered to the emulator at 200 or more messages per second, none lost and none twice
when the worker is killed and restarted mid-run.

1. a fresh database `portal_bench_sms` (its own: the other benches own theirs), migrated
   (`flask db-upgrade`, no seed: a message needs no company), then `--messages` rows of
   `message` in one COPY: channel sms, template "bench", status queued, due now, distinct
   Ukrainian mobile numbers (+38067…), a unique Ukrainian body each (UCS-2, two parts,
   like an invoice SMS); timed apart, not part of the delivery figure;
2. the Atompark emulator (`emulators/atompark`) on a free loopback port, in this process
   (`--emulator thread`, werkzeug's threaded server via `serve_in_thread`) or in a process
   of its own (`--emulator process`); a short calibration of the emulator alone first
   (`--calibrate` sendSMS calls from `--concurrency` client threads, then a reset);
3. a real worker: `celery -A wsgi:celery worker --pool prefork --concurrency N -Q notify` (the queue sending runs on)
   in its own session, on a dedicated Redis database (flushed before and after), with
   the emulator's URL and keys, SMS_QUIET_HOURS="" (valid at any hour) and
   NOTIFY_LEASE_SECONDS=`--lease` (8: a killed worker's batches come free quickly) with
   NOTIFY_PROVIDER_TIMEOUT=2 (a lease must outlast a provider timeout by more than 5 s);
4. the kick: `--concurrency` `notify.send_due` tasks (one per worker process). Then, from
   the kick until everything is settled, a `jobs.run("notify.send")` task every
   `--job-every` seconds (5, what Celery beat sends in production: recover_abandoned +
   send); beat itself is not started (its other jobs would run too);
5. unless `--no-kill`: when `--kill-at-fraction` of the messages are sent (or
   `--kill-after` seconds after the kick), SIGKILL to the worker's whole process group,
   `--restart-after` seconds of pause, the same worker command again. Nothing else is
   sent after the restart: the killed worker's unacknowledged tasks stay in Redis until
   the visibility timeout (an hour), so the periodic job is what resumes delivery, as
   it would be in production;
6. wait until no message is queued or sending, then compare the emulator's list of
   accepted SMS with the database: received, distinct bodies, duplicates, lost (never
   received and not `outcome_unknown`), the `outcome_unknown` ones (and how many of them
   the emulator did get), sent-but-never-received, provider ids; the rates (overall,
   without the kill pause, steady phase), how the CPUs were shared and what PostgreSQL
   waited for during the steady phase;
7. bench/results/<date>-issue4-sms.md (and .json beside it, or `--out PATH`); the
   worker and the emulator stopped, the Redis database flushed and the bench database
   dropped (unless --keep-db), also when a step fails.

Exit 0: rate and integrity pass; 1: one failed; 2: the run itself broke.
"""
from __future__ import annotations

import argparse
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg

from bench.harness import (RESULTS, ROOT, arguments, code_state, figure, log, machine, percentile, run_lock,
                           wait_for_quiet, write_results)
from bench.harness import pg
from bench.harness.celery_worker import Worker, broker
from bench.harness.pg import WaitSampler
from bench.harness.cpuwatch import TICKS, parts_table, processes, service_part, spent_by_process, system_ticks
from bench.harness.portal import postgres_info
BENCH_DB = "portal_bench_sms"
GOAL_RATE = 200.0
DEFAULT_REDIS = "redis://127.0.0.1:6379/7"
PUBLIC_KEY = "bench-sms-public"
PRIVATE_KEY = "bench-sms-private"
SENDER = "OPTOVYK"
# Enough for every part of every message (the emulator refuses with 305 when it runs out).
EMULATOR_BALANCE = "10000000.00"
STEADY_FROM = 0.05  # the steady phase starts when this share of the messages is sent
STEADY_TO = 0.95  # ... and ends at the kill, or when this share is sent (no kill)


# --- the data ------------------------------------------------------------------------------------

def body_for(n: int, rng: random.Random) -> str:
    """A unique Ukrainian text (UCS-2), the length of a real invoice SMS (two parts)."""
    amount = f"{rng.randint(500, 250_000):,}".replace(",", " ")
    return (f"Bench message #{n:05d}: рахунок 2026-{n:05d} на {amount},{rng.randint(0, 99):02d} грн"
            f" до 05.12.2026. Оплата: https://portal.example/p/{rng.getrandbits(40):010x}")


def insert_messages(url: str, count: int, seed: int) -> dict[str, Any]:
    """`count` queued SMS in one COPY; returns the bodies and recipients by id, and the time."""
    rng = random.Random(seed)
    numbers = rng.sample(range(10_000_000), count)
    now = datetime.now(timezone.utc)
    rows = [("sms", "bench", "uk", f"+38067{numbers[i]:07d}", "", body_for(i + 1, rng), "queued", 0, "", "", now, now)
            for i in range(count)]
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy(
            "COPY message (channel, template, language, recipient, subject, body, status, attempts, error_code,"
            " last_error, next_attempt_at, created_at) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        insert_s = time.perf_counter() - started
        ids = [row[0] for row in conn.execute("SELECT id FROM message ORDER BY id")]
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE message")
    analyze_s = time.perf_counter() - started
    if len(ids) != count:
        raise RuntimeError(f"{len(ids)} rows after inserting {count}")
    return {
        "insert_s": insert_s, "analyze_s": analyze_s,
        "body_by_id": {i: row[5] for i, row in zip(ids, rows)},
        "phone_by_id": {i: row[3] for i, row in zip(ids, rows)},
        "segments_example": body_for(1, random.Random(0)),
    }


# --- the emulator ----------------------------------------------------------------------------------

def emulator_app() -> Any:
    from decimal import Decimal

    from emulators.atompark import create_app

    return create_app(PUBLIC_KEY, PRIVATE_KEY, balance=Decimal(EMULATOR_BALANCE))


def serve_emulator_forever() -> None:
    """`--serve-emulator`: the emulator in a process of its own; prints its port, serves until killed."""
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, emulator_app(), threaded=True)
    print(f"PORT {server.port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever(poll_interval=0.05)


class Emulator:
    def __init__(self, mode: str, logs: Path) -> None:
        self.mode, self.logs = mode, logs
        self.base_url = ""
        self.process: subprocess.Popen | None = None
        self._stop = None

    def start(self) -> str:
        if self.mode == "thread":
            from emulators.http import serve_in_thread

            self.base_url, self._stop = serve_in_thread(emulator_app(), "127.0.0.1", 0)
        else:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.sms_delivery", "--serve-emulator"], cwd=ROOT,
                stdout=subprocess.PIPE, stderr=(self.logs / "emulator.log").open("ab"), text=True,
                start_new_session=True,
            )
            line = self.process.stdout.readline() if self.process.stdout else ""
            if not line.startswith("PORT "):
                raise RuntimeError(f"the emulator process did not start: {line!r} (log: {self.logs / 'emulator.log'})")
            self.base_url = f"http://127.0.0.1:{int(line.split()[1])}"
        return self.base_url

    @property
    def api_url(self) -> str:
        return self.base_url + "/sms/3.0"

    def messages(self) -> list[dict[str, Any]]:
        import httpx

        response = httpx.get(self.base_url + "/_emulator/messages", headers={"Accept": "application/json"}, timeout=120)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        import httpx

        httpx.post(self.base_url + "/_emulator/reset", timeout=30).raise_for_status()

    def stop(self) -> None:
        if self._stop:
            self._stop()
            self._stop = None
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def calibrate(emulator: Emulator, calls: int, threads: int) -> dict[str, Any]:
    """The emulator alone: `calls` sendSMS from `threads` threads, each with its own client (as each
    worker process has its own keep-alive connection). The client threads run in this process."""
    from notify.atompark.client import AtomparkClient

    per_thread = max(calls // threads, 1)
    times: list[list[float]] = [[] for _ in range(threads)]
    errors: list[str] = []
    barrier = threading.Barrier(threads + 1)

    def run(index: int) -> None:
        client = AtomparkClient(PUBLIC_KEY, PRIVATE_KEY, SENDER, base_url=emulator.api_url, timeout=10)
        client.send_sms("+380670000001", "warm-up")
        barrier.wait()
        for n in range(per_thread):
            started = time.perf_counter()
            try:
                client.send_sms(f"+38068{index:02d}{n:05d}", f"Калібрування {index}-{n}: перевірка швидкості емулятора")
            except Exception as exc:  # noqa: BLE001  counted and reported
                errors.append(f"{type(exc).__name__}: {exc}")
            times[index].append(time.perf_counter() - started)
        client.close()

    workers = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - started
    ms = [t * 1000 for ts in times for t in ts]
    emulator.reset()
    left = len(emulator.messages())
    return {
        "calls": len(ms), "threads": threads, "wall_s": round(wall, 2), "rps": round(len(ms) / wall, 1),
        "p50_ms": round(percentile(ms, 50), 2), "p95_ms": round(percentile(ms, 95), 2), "max_ms": round(max(ms), 2),
        "errors": len(errors), "error_samples": errors[:5], "messages_after_reset": left,
        "where": "clients in the bench process" + (" with the emulator (one GIL)" if emulator.mode == "thread"
                                                   else ", emulator in its own process"),
    }


# --- the worker --------------------------------------------------------------------------------------

# --- where the CPUs went ------------------------------------------------------------------------------

class CpuSplit:
    """CPU time by part between start() and stop(): this process (and the emulator when it runs in a
    thread here), the emulator process, the Celery worker (main + pool), PostgreSQL's backends of the
    bench database, PostgreSQL's background processes (WAL writer, checkpointer ...), Redis, and
    everything else (the system's busy time minus those)."""

    def __init__(self, worker_session: int, emulator_session: int | None) -> None:
        self.worker_sessions, self.emulator_session = {worker_session}, emulator_session
        self._last: tuple[dict[int, tuple[int, int, str, int]], dict[str, int]] | None = None

    def _group(self, pid: int, session: int, cmd: str) -> str:
        if pid == os.getpid():
            return "bench process"
        if self.emulator_session and session == self.emulator_session:
            return "emulator process"
        if session in self.worker_sessions:
            return "Celery worker"
        return service_part(cmd, BENCH_DB)

    def start(self) -> None:
        self._procs0, self._sys0, self._t0 = processes(), system_ticks(), time.perf_counter()

    def tick(self) -> float | None:
        """The share of all CPUs that other work took since the previous tick (None on the first)."""
        procs, system = processes(), system_ticks()
        share = None
        if self._last is not None:
            procs0, sys0 = self._last
            ours = 0
            for pid, session, cmd, spent in spent_by_process(procs0, procs):
                if self._group(pid, session, cmd) != "other":
                    ours += spent
            total = max(system["total"] - sys0["total"], 1)
            irq = system["irq"] - sys0["irq"]
            share = round(max(system["busy"] - sys0["busy"] - ours - irq, 0) / total, 3)
        self._last = (procs, system)
        return share

    def stop(self, messages: int) -> dict[str, Any]:
        procs1, sys1, wall = processes(), system_ticks(), time.perf_counter() - self._t0
        delta = {k: sys1[k] - self._sys0[k] for k in sys1}
        used: Counter = Counter()
        strangers: Counter = Counter()
        for pid, session, cmd, spent in spent_by_process(self._procs0, procs1):
            group = self._group(pid, session, cmd)
            if group != "other":
                used[group] += spent
            elif spent:
                strangers[cmd[:80] or f"pid {pid}"] += spent
        used["kernel (irq, softirq)"] = delta["irq"]
        # Processes that ended during the window are not in the last snapshot: they are in "other" too.
        used["other"] = max(delta["busy"] - sum(used.values()), 0)
        total = max(delta["total"], 1)
        ncpu = os.cpu_count() or 1
        parts = parts_table(used, total, messages, "message")
        return {
            "wall_s": round(wall, 2), "cpus": ncpu, "messages": messages,
            "busy_share": round(delta["busy"] / total, 3), "iowait_share": round(delta["iowait"] / total, 3),
            "steal_share": round(delta["steal"] / total, 3), "parts": parts,
            "other_processes_seen": {cmd: round(t / TICKS, 2) for cmd, t in strangers.most_common(5)},
        }


# --- the run ------------------------------------------------------------------------------------------

def db_counts(conn: psycopg.Connection) -> tuple[int, int]:
    """(sent, still queued or sending)."""
    return conn.execute(
        "SELECT count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status IN ('queued', 'sending'))"
        " FROM message"
    ).fetchone()


def run_delivery(args: argparse.Namespace, url: str, app: Any, worker: Worker, emulator: Emulator,
                 total: int, results: dict[str, Any]) -> dict[str, Any]:

    run: dict[str, Any] = {"progress": [], "jobs_sent": 0, "kill": None, "timeline": []}
    kill_planned = not args.no_kill
    kill_at_count = int(total * args.kill_at_fraction) if kill_planned and args.kill_after is None else None
    split = CpuSplit(worker.process.pid, emulator.process.pid if emulator.process else None)
    waits = WaitSampler(url)
    steady_open = True
    with psycopg.connect(url, autocommit=True) as conn:
        split.start()
        waits.start()
        kick = time.time()
        for _ in range(args.concurrency):
            app.send_task("notify.send_due", queue="notify")
        run["kick_epoch"] = kick
        next_job = kick + args.job_every
        deadline = time.monotonic() + args.time_limit
        last_logged = 0.0
        timeline = CpuSplit(worker.process.pid, split.emulator_session)
        timeline.tick()
        next_tick, last_sent = kick + 1.0, 0
        while True:
            now = time.time()
            if now >= next_job:
                app.send_task("jobs.run", args=("notify.send",), queue="notify")
                run["jobs_sent"] += 1
                next_job += args.job_every
            sent, pending = db_counts(conn)
            run["progress"].append((round(now - kick, 3), sent))
            if now >= next_tick:  # one entry a second: messages sent in it, and other work's share of the CPUs
                run["timeline"].append((round(now - kick, 1), sent - last_sent, timeline.tick()))
                next_tick, last_sent = max(next_tick + 1.0, now + 0.5), sent
            if now - last_logged >= 5:
                log("sms_delivery", f"{now - kick:6.1f} s: {sent} sent, {pending} queued or sending")
                last_logged = now
            if kill_planned and run["kill"] is None and (
                (kill_at_count is not None and sent >= kill_at_count)
                or (args.kill_after is not None and now - kick >= args.kill_after)
            ):
                if steady_open:
                    run["cpu_steady"] = split.stop(sent)
                    run["postgres_waits_steady"] = waits.stop()
                    steady_open = False
                worker.kill()
                killed_at = time.time()
                sent_k, _ = db_counts(conn)
                sending = conn.execute("SELECT count(*), count(DISTINCT claim) FROM message WHERE status = 'sending'").fetchone()
                run["kill"] = {"at_s": round(killed_at - kick, 3), "epoch": killed_at, "sent_at_kill": sent_k,
                               "sending_at_kill": sending[0], "batches_in_flight": sending[1]}
                log("sms_delivery", f"killed the worker (SIGKILL to its process group) at {killed_at - kick:.1f} s: {sent_k} sent,"
                    f" {sending[0]} sending in {sending[1]} batches; restarting in {args.restart_after} s")
                time.sleep(args.restart_after)
                worker.start()
                timeline.worker_sessions.add(worker.process.pid)
                run["kill"]["restarted_epoch"] = time.time()
                run["kill"]["restarted_at_s"] = round(time.time() - kick, 3)
                continue
            if pending == 0:
                run["settled_epoch"] = time.time()
                break
            if time.monotonic() > deadline:
                run["timed_out"] = True
                log("sms_delivery", f"time limit ({args.time_limit} s) reached with {pending} messages queued or sending")
                break
            time.sleep(args.poll)
        if steady_open:
            run["cpu_steady"] = split.stop(sent)
            run["postgres_waits_steady"] = waits.stop()
    if kill_planned and run["kill"] is None:
        results["problems"].append("the kill never happened: everything was sent before the kill point")
    return run


def settle_facts(url: str, run: dict[str, Any], data: dict[str, Any], received: list[dict[str, Any]],
                 batch: int) -> dict[str, Any]:

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT id, status, error_code, sent_at, provider_id, attempts FROM message ORDER BY id").fetchall()
    kick = run["kick_epoch"]
    kill = run["kill"]["epoch"] if run.get("kill") else None
    body_by_id, phone_by_id = data["body_by_id"], data["phone_by_id"]
    id_by_body = {body: i for i, body in body_by_id.items()}

    # -- what the emulator got
    texts = Counter(m["text"] for m in received)
    campaign_by_body: dict[str, set[str]] = {}
    wrong_phone = 0
    for m in received:
        campaign_by_body.setdefault(m["text"], set()).add(str(m["campaign_id"]))
        i = id_by_body.get(m["text"])
        if i is not None and "+" + m["phone"] != phone_by_id[i]:
            wrong_phone += 1
    duplicates = {body: n for body, n in texts.items() if n > 1}
    strangers = [body for body in texts if body not in id_by_body]

    # -- what the database says
    statuses: Counter = Counter()
    unknown_ids, sent_ids, other_ids = [], [], []
    for i, status, code, _sent_at, _pid, _attempts in rows:
        if status == "sent":
            statuses["sent"] += 1
            sent_ids.append(i)
        elif status == "failed" and code == "outcome_unknown":
            statuses["failed outcome_unknown"] += 1
            unknown_ids.append(i)
        else:
            statuses[f"{status} {code}".strip()] += 1
            other_ids.append(i)
    received_ids = {id_by_body[b] for b in texts if b in id_by_body}
    unknown_received = [i for i in unknown_ids if i in received_ids]
    lost = [i for i in body_by_id if i not in received_ids and i not in unknown_ids]
    sent_not_received = [i for i in sent_ids if i not in received_ids]
    provider_mismatch = [
        i for i, status, _c, _s, pid, _a in rows
        if status == "sent" and i in received_ids and pid not in campaign_by_body.get(body_by_id[i], set())
    ]
    attempts = Counter(a for *_, a in rows)

    # -- times (the worker's clock and ours are the same machine's)
    sent_times = sorted(r[3].timestamp() for r in rows if r[1] == "sent" and r[3] is not None)
    figures: dict[str, Any] = {"sent": len(sent_times)}
    if sent_times:
        n = len(sent_times)
        first, last = sent_times[0], sent_times[-1]
        wall = last - kick
        pause = 0.0
        if kill is not None:
            after = [t for t in sent_times if t > kill]
            resumed = after[0] if after else last
            pause = resumed - kill
            figures["resumed_after_kill_s"] = round(pause, 2)
            figures["sent_after_restart"] = len(after)
        figures.update(
            kick_to_first_sent_s=round(first - kick, 3), kick_to_last_sent_s=round(wall, 2),
            pause_s=round(pause, 2), kick_to_last_without_pause_s=round(wall - pause, 2),
            rate_overall=round(n / wall, 1) if wall > 0 else None,
            rate_without_pause=round(n / (wall - pause), 1) if wall - pause > 0 else None,
        )
        t_from = sent_times[int(n * STEADY_FROM)]
        t_to = kill if kill is not None else sent_times[min(int(n * STEADY_TO), n - 1)]
        in_window = sum(1 for t in sent_times if t_from <= t <= t_to)
        figures["steady"] = {
            "from_s": round(t_from - kick, 2), "to_s": round(t_to - kick, 2), "messages": in_window,
            "rate": round(in_window / (t_to - t_from), 1) if t_to > t_from else None,
            "until": "the kill" if kill is not None else f"{STEADY_TO:.0%} sent",
        }
        since_kick = [(t - kick) * 1000 for t in sent_times]
        figures["kick_to_sent_ms"] = {"p50": round(percentile(since_kick, 50)), "p95": round(percentile(since_kick, 95))}
        # One worker process sends a claimed batch one message after another in id order, and the rows
        # were inserted (and are claimed) in id order: within a block of `batch` consecutive ids the gap
        # between two sent_at is one message's turn (HTTP call + UPDATE + COMMIT). Before any kill only.
        by_id = {r[0]: r[3].timestamp() for r in rows if r[1] == "sent" and r[3] is not None}
        first_id = rows[0][0]
        gaps, batch_spans = [], []
        block: list[float] = []
        current = None
        for i in sorted(by_id):
            t = by_id[i]
            if kill is not None and t >= kill:
                continue
            key = (i - first_id) // batch
            if key != current:
                if len(block) == batch:
                    batch_spans.append(block[-1] - block[0])
                block, current = [], key
            if block and t >= block[-1] and i - 1 in by_id:
                gaps.append((t - block[-1]) * 1000)
            block.append(t)
        if len(block) == batch:
            batch_spans.append(block[-1] - block[0])
        if gaps:
            figures["per_message_ms"] = {"mean": round(sum(gaps) / len(gaps), 2),
                                         "p50": round(percentile(gaps, 50), 2), "p95": round(percentile(gaps, 95), 2),
                                         "p99": round(percentile(gaps, 99), 2), "max": round(max(gaps), 1),
                                         "samples": len(gaps)}
        if batch_spans:
            figures["batch_span_s"] = {"p50": round(percentile(batch_spans, 50), 3), "max": round(max(batch_spans), 3),
                                       "batches": len(batch_spans)}
    return {
        "emulator_received": len(received), "distinct_bodies": len(texts),
        "duplicates": sum(n - 1 for n in duplicates.values()), "duplicated_bodies": len(duplicates),
        "duplicate_examples": [{"id": id_by_body.get(b), "times": n} for b, n in list(duplicates.items())[:10]],
        "not_ours": len(strangers), "wrong_phone": wrong_phone,
        "lost": len(lost), "lost_ids": lost[:50],
        "outcome_unknown": len(unknown_ids), "outcome_unknown_received": len(unknown_received),
        "outcome_unknown_ids": unknown_ids[:50],
        "sent_not_received": len(sent_not_received), "sent_not_received_ids": sent_not_received[:50],
        "provider_id_mismatch": len(provider_mismatch),
        "other_status_ids": other_ids[:50],
        "statuses": dict(statuses), "attempts": {str(k): v for k, v in sorted(attempts.items())},
        **figures,
    }


# --- the report --------------------------------------------------------------------------------------------

def verdicts(results: dict[str, Any]) -> dict[str, bool]:
    f = results.get("facts") or {}
    total = results["messages"]
    rate = f.get("rate_without_pause")
    unknown_ok = f.get("outcome_unknown", 0) <= ((results.get("run") or {}).get("kill") or {}).get("batches_in_flight", 0)
    return {
        "rate": rate is not None and rate >= GOAL_RATE,
        "none_twice": f.get("duplicates", 1) == 0,
        "none_lost": f.get("lost", 1) == 0 and f.get("sent_not_received", 1) == 0,
        "all_settled": f.get("statuses", {}).get("sent", 0) + f.get("outcome_unknown", 0) == total,
        "outcome_unknown_bounded": unknown_ok,
        "consistent": f.get("not_ours", 1) == 0 and f.get("wrong_phone", 1) == 0 and f.get("provider_id_mismatch", 1) == 0,
    }


def _timeline(run: dict[str, Any]) -> list[str]:
    kill = run.get("kill") or {}
    marks = [(kill["at_s"], "**kill**"), (kill["restarted_at_s"], "**restart**")] if kill else []
    out = []
    for t, n, other in run["timeline"]:
        while marks and marks[0][0] <= t:
            out.append(marks.pop(0)[1])
        out.append(f"`{t:.1f}s {n}·{'—' if other is None else f'{other:.0%}'}`")
    return out


def markdown(results: dict[str, Any]) -> str:
    env, f, run = results["environment"], results.get("facts") or {}, results.get("run") or {}
    kill = run.get("kill")
    v = results.get("verdicts") or {}
    ok = lambda flag: "PASS" if flag else "FAIL"
    cal = results.get("calibration")
    lines = [
        f"# Issue 4: {figure(results['messages'])} SMS through a Celery worker to the Atompark emulator"
        f" — {results['started_at']}",
        "",
        f"Command: `{results['command']}` · commit {env['code']['commit']}"
        + (f" + uncommitted changes in {env['code']['uncommitted_files']} files outside bench/"
           f" (diff {env['code']['uncommitted_diff_sha1']})" if env['code']['uncommitted_files'] else ""),
        "",
        "## Setup",
        "",
        f"- machine: {env['nproc']} × {env['cpu_model']}, {env['mem_total']}, Python {env['python']};"
        f" PostgreSQL {env['postgres']['version']} on 127.0.0.1 (synchronous_commit {env['postgres']['synchronous_commit']},"
        f" shared_buffers {env['postgres']['shared_buffers']}); Redis {env['redis_version']} at `{env['redis_url']}`"
        " (flushed before and after); every process on the same CPUs",
        f"- worker: `celery -A wsgi:celery worker --pool prefork --concurrency {results['concurrency']} -Q notify"
        " --loglevel WARNING --without-gossip --without-mingle` (Celery "
        f"{env['celery_version']}), its own session; env DATABASE_URL (the bench database), REDIS_URL,"
        f" ATOMPARK_BASE_URL=<emulator>/sms/3.0 and the emulator's keys, SMS_QUIET_HOURS=\"\","
        f" NOTIFY_LEASE_SECONDS={results['lease_s']}, NOTIFY_BATCH={results['batch']}"
        f"{'' if results['batch_from_option'] else ' (the default)'}, the rest of the config as shipped",
        f"- emulator: `emulators/atompark` {env['emulator']}; werkzeug's request log silenced",
        f"- kick: {results['concurrency']} × `notify.send_due` (one per worker process); then `jobs.run(\"notify.send\")`"
        f" (recover_abandoned + send, what beat sends in production every 5 s) every {results['job_every_s']:g} s"
        f" from the bench until nothing is queued or sending ({run.get('jobs_sent', 0)} sent); beat is not started",
        f"- data: {figure(results['messages'])} `message` rows (sms, template bench, queued, due now, +38067… numbers all"
        f" different, a unique Ukrainian body each, UCS-2 {results['body_chars']} characters = 2 parts, e.g."
        f" «{results['body_example']}») in one COPY: **{results.get('timings', {}).get('insert_s', 0):.2f} s**"
        f" (+ VACUUM ANALYZE {results.get('timings', {}).get('analyze_s', 0):.2f} s), not part of the delivery figure",
    ]
    if kill:
        lines.append(
            f"- kill: SIGKILL to the worker's process group at {kill['at_s']:.1f} s after the kick"
            f" ({figure(kill['sent_at_kill'])} sent, {kill['sending_at_kill']} rows `sending` in {kill['batches_in_flight']} claimed batches), the same"
            f" command again {results['restart_after_s']:g} s later; the killed tasks stay unacknowledged in Redis"
            " (visibility timeout 1 h), so delivery resumes through the periodic job")
    else:
        lines.append("- no kill (`--no-kill`): the clean throughput")
    if cal:
        lines.append(
            f"- emulator calibration (no worker, no database): {figure(cal['calls'])} sendSMS from {cal['threads']} client"
            f" threads ({cal['where']}): **{cal['rps']:.0f} req/s**, p50 {cal['p50_ms']:.1f} ms, p95 {cal['p95_ms']:.1f} ms,"
            f" errors {cal['errors']}")
    lines += [
        "",
        "## Delivery",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| kick → first sent | {figure(f.get('kick_to_first_sent_s'), 2)} s |",
        f"| kick → last sent | {figure(f.get('kick_to_last_sent_s'), 1)} s |",
    ]
    if kill:
        lines += [
            f"| worker killed at | {kill['at_s']:.1f} s ({figure(kill['sent_at_kill'])} sent) |",
            f"| pause: kill → first message sent after the restart | {figure(f.get('pause_s'), 1)} s |",
            f"| kick → last sent, without the pause | {figure(f.get('kick_to_last_without_pause_s'), 1)} s |",
        ]
    steady = f.get("steady") or {}
    lines += [
        f"| **messages/s overall** (sent ÷ kick → last sent) | **{figure(f.get('rate_overall'), 0)}** |",
    ]
    if kill:
        lines.append(f"| **messages/s without the kill pause** | **{figure(f.get('rate_without_pause'), 0)}** |")
    lines += [
        f"| messages/s steady ({STEADY_FROM:.0%} sent → {steady.get('until', '')}: {steady.get('from_s', 0):.1f} →"
        f" {steady.get('to_s', 0):.1f} s, {figure(steady.get('messages'))} messages) | {figure(steady.get('rate'), 0)} |",
        f"| time from the kick to sent, p50 / p95 | {figure((f.get('kick_to_sent_ms') or {}).get('p50'))} /"
        f" {figure((f.get('kick_to_sent_ms') or {}).get('p95'))} ms |",
    ]
    per = f.get("per_message_ms")
    if per:
        lines.append(
            f"| one message's turn in a worker process (HTTP + UPDATE + COMMIT), mean / p50 / p95 / p99 / max"
            f"{' (before the kill)' if kill else ''} | {per.get('mean', 0):.1f} / {per['p50']:.1f} / {per['p95']:.1f} /"
            f" {per['p99']:.1f} / {per['max']:.0f} ms |")
    span = f.get("batch_span_s")
    if span:
        lines.append(f"| one batch of {results['batch']} (first → last sent), p50 / max, against the lease of"
                     f" {results['lease_s']} s | {span['p50']:.2f} / {span['max']:.2f} s |")
    lines += [
        "",
        "## None lost, none twice",
        "",
        "| check | value | must be |",
        "|---|---:|---|",
        f"| SMS the emulator accepted | {figure(f.get('emulator_received'))} | |",
        f"| distinct bodies among them | {figure(f.get('distinct_bodies'))} | |",
        f"| duplicates (copies beyond the first of a body) | **{figure(f.get('duplicates'))}** | 0 |",
        f"| lost (never received, not `outcome_unknown`) | **{figure(f.get('lost'))}** | 0 |",
        f"| `sent` in the database but never received | {figure(f.get('sent_not_received'))} | 0 |",
        f"| failed `outcome_unknown` (of them received by the emulator) | {figure(f.get('outcome_unknown'))}"
        f" ({figure(f.get('outcome_unknown_received'))}) | at most one per batch in flight at the kill"
        f" ({(kill or {}).get('batches_in_flight', 0)}) |",
        f"| bodies not ours / wrong phone / provider_id ≠ the emulator's campaign id | {f.get('not_ours', '—')} /"
        f" {f.get('wrong_phone', '—')} / {f.get('provider_id_mismatch', '—')} | 0 / 0 / 0 |",
        "| final status in the database | " + ", ".join(f"{k} {figure(n)}" for k, n in (f.get("statuses") or {}).items())
        + " | sent + outcome_unknown = all |",
        "| attempts per message | " + ", ".join(f"{k}: {figure(n)}" for k, n in (f.get("attempts") or {}).items()) + " | |",
    ]
    cpu = run.get("cpu_steady")
    if cpu:
        lines += [
            "",
            f"## Where the CPUs went ({'kick → kill' if kill else 'kick → settled'}: {cpu['wall_s']:.1f} s,"
            f" {figure(cpu['messages'])} messages sent, {cpu['cpus']} CPUs)",
            "",
            f"Busy {cpu['busy_share']:.0%} of all CPUs, iowait {cpu['iowait_share']:.0%}, steal {cpu['steal_share']:.0%}.",
            "",
            "| part | CPU s | share of all CPUs | CPU ms per message |",
            "|---|---:|---:|---:|",
        ]
        for part, p in cpu["parts"].items():
            lines.append(f"| {part} | {p['cpu_s']:.1f} | {p['share_of_all_cpus']:.0%} | {figure(p['cpu_ms_per_message'], 2)} |")
        if cpu.get("other_processes_seen"):
            lines += ["", "Other processes seen using CPU (alive at the end; CPU s): " + "; ".join(
                f"`{cmd.strip()}` {t:.1f}" for cmd, t in cpu["other_processes_seen"].items()) + "."]
        pgw = run.get("postgres_waits_steady")
        if pgw:
            lines += ["", f"PostgreSQL backends of the bench database, sampled every 50 ms: {pgw['active_backends_mean']}"
                      " active on average; by wait event: " + ", ".join(
                          f"{k} {n}" for k, n in list(pgw["by_event_mean_backends"].items())[:6]) + "."]
    if run.get("timeline"):
        lines += ["", "Each second after the kick: messages sent in it · share of all CPUs other work took"
                  " (anything but the bench, the worker, the emulator, PostgreSQL, Redis and the kernel's"
                  " interrupt handling):", "",
                  " ".join(_timeline(run))]
    lines += [
        "",
        "## Verdict",
        "",
        f"- rate ≥ {GOAL_RATE:.0f}/s ({'without the kill pause' if kill else 'overall'}):"
        f" {ok(v.get('rate'))} ({figure(f.get('rate_without_pause'), 0)}/s)",
        f"- none twice: {ok(v.get('none_twice'))}; none lost: {ok(v.get('none_lost'))}; every message sent or"
        f" `outcome_unknown`: {ok(v.get('all_settled'))}; `outcome_unknown` at most one per abandoned batch:"
        f" {ok(v.get('outcome_unknown_bounded'))}; emulator and database agree: {ok(v.get('consistent'))}",
    ]
    if results.get("problems"):
        lines += ["", "Problems:", ""] + [f"- {p}" for p in results["problems"]]
    if results.get("notes"):
        lines += ["", "Notes:", ""] + [f"- {n}" for n in results["notes"]]
    return "\n".join(lines) + "\n"


# --- main ------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--serve-emulator"]:
        serve_emulator_forever()
        return 0
    parser = arguments("sms_delivery", __doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4, help="worker processes (prefork), and as many notify.send_due tasks in the kick")
    kill = parser.add_mutually_exclusive_group()
    kill.add_argument("--kill-at-fraction", type=float, default=0.3, help="kill when this share is sent (default 0.3)")
    kill.add_argument("--kill-after", type=float, help="kill this many seconds after the kick instead")
    kill.add_argument("--no-kill", action="store_true", help="no kill: the clean throughput")
    parser.add_argument("--restart-after", type=float, default=1.0, help="seconds between the kill and the restart")
    parser.add_argument("--lease", type=int, default=8, help="NOTIFY_LEASE_SECONDS for the worker (shipped default 60)")
    parser.add_argument("--batch", type=int, help="NOTIFY_BATCH for the worker (default: the shipped 50)")
    parser.add_argument("--job-every", type=float, default=5.0,
                        help="seconds between jobs.run('notify.send') tasks (beat's interval in production: 5)")
    parser.add_argument("--emulator", choices=("thread", "process"), default="thread",
                        help="the emulator in this process (serve_in_thread) or in a process of its own")
    parser.add_argument("--calibrate", type=int, default=2000,
                        help="sendSMS calls to the emulator alone before the run (0: none)")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS),
                        help="a Redis database of its own: it is flushed before and after")
    parser.add_argument("--poll", type=float, default=0.1, help="seconds between the bench's progress queries")
    parser.add_argument("--time-limit", type=float, default=900, help="seconds at most from the kick to settled")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--out", help="the Markdown result (default bench/results/<date>-issue4-sms[-n].md); .json beside")
    args = parser.parse_args(argv)
    if args.quick:
        args.messages, args.calibrate, args.wait_quiet = 300, 100, 0

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    _lock = run_lock(args.wait_lock)
    import celery
    import redis

    stamp = datetime.now(timezone.utc).astimezone()
    url = pg.bench_url(BENCH_DB)
    logs = RESULTS / f"{stamp:%Y%m%d-%H%M%S}-sms-logs.tmp"
    logs.mkdir(parents=True, exist_ok=True)
    redis_client = redis.Redis.from_url(args.redis_url)
    problems: list[str] = []
    results: dict[str, Any] = {
        "started_at": stamp.isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python -m bench.sms_delivery", *argv]),
        "messages": args.messages, "concurrency": args.concurrency, "lease_s": args.lease,
        "batch": args.batch or 50, "batch_from_option": args.batch is not None, "job_every_s": args.job_every,
        "restart_after_s": args.restart_after, "timings": {}, "problems": problems, "notes": [],
        "body_example": body_for(42, random.Random(0)), "body_chars": len(body_for(42, random.Random(0))),
        "environment": {
            **machine(), "code": code_state(), "postgres": postgres_info(),
            "redis_url": args.redis_url, "redis_version": redis_client.info("server").get("redis_version", "?"),
            "celery_version": celery.__version__,
            "emulator": ("in the bench process, werkzeug's threaded server (`emulators.http.serve_in_thread`)"
                         if args.emulator == "thread" else
                         "in a process of its own (`python -m bench.sms_delivery --serve-emulator`: werkzeug's"
                         " threaded server)"),
        },
    }
    emulator = Emulator(args.emulator, logs)
    worker: Worker | None = None
    app = broker(args.redis_url, "sms")
    broke = False
    try:
        log("sms_delivery", f"creating {BENCH_DB}, migrating")
        pg.create_database(BENCH_DB)
        env = {**os.environ, **pg.SIGNING_KEYS, "DATABASE_URL": url}
        env.pop("REDIS_URL", None)
        pg.flask(["db-upgrade"], env, logs / "migrate.log")
        data = insert_messages(url, args.messages, args.seed)
        results["timings"].update(insert_s=round(data["insert_s"], 3), analyze_s=round(data["analyze_s"], 3))
        log("sms_delivery", f"{args.messages} messages inserted in {data['insert_s']:.2f} s (COPY), VACUUM ANALYZE {data['analyze_s']:.2f} s")

        base = emulator.start()
        log("sms_delivery", f"emulator ({args.emulator}) at {base}")
        if args.calibrate:
            results["calibration"] = calibrate(emulator, args.calibrate, args.concurrency)
            cal = results["calibration"]
            log("sms_delivery", f"emulator alone: {cal['rps']:.0f} req/s from {cal['threads']} threads, p50 {cal['p50_ms']:.1f} ms,"
                f" p95 {cal['p95_ms']:.1f} ms, errors {cal['errors']}")
            if cal["errors"] or cal["messages_after_reset"]:
                problems.append(f"calibration: {cal['errors']} errors, {cal['messages_after_reset']} messages after reset")

        redis_client.flushdb()
        worker_env = {
            **os.environ, **pg.SIGNING_KEYS, "DATABASE_URL": url, "REDIS_URL": args.redis_url, "OUTBOX_DISPATCH": "celery",
            "ATOMPARK_BASE_URL": emulator.api_url, "ATOMPARK_PUBLIC_KEY": PUBLIC_KEY,
            "ATOMPARK_PRIVATE_KEY": PRIVATE_KEY, "SMS_SENDER": SENDER, "SMS_QUIET_HOURS": "",
            "NOTIFY_LEASE_SECONDS": str(args.lease), "NOTIFY_PROVIDER_TIMEOUT": "2",
        }
        if args.batch:
            worker_env["NOTIFY_BATCH"] = str(args.batch)
        worker = Worker("sms", worker_env, args.concurrency, logs, queues="notify")
        worker.start()
        results["timings"]["worker_ready_s"] = round(worker.wait_ready(app), 2)
        log("sms_delivery", f"worker ready in {results['timings']['worker_ready_s']:.1f} s ({args.concurrency} processes)")
        busy = wait_for_quiet(args.wait_quiet)
        results["environment"]["cpu_busy_before"] = round(busy, 3)
        results["environment"]["loadavg_before"] = os.getloadavg()
        log("sms_delivery", f"kick: {args.concurrency} × notify.send_due (the machine was {busy:.0%} busy with other work)")
        run = run_delivery(args, url, app, worker, emulator, args.messages, results)
        results["run"] = {k: v for k, v in run.items() if k != "progress"}
        results["progress"] = run["progress"][:: max(len(run["progress"]) // 400, 1)]
        other = (run.get("cpu_steady") or {}).get("parts", {}).get("other", {}).get("share_of_all_cpus", 0.0)
        if other > 0.10:
            problems.append(f"disturbed: other work took {other:.0%} of the CPUs during the measured phase"
                            " (see the seconds below); run again on a quiet machine")
        received = emulator.messages()
        facts = settle_facts(url, run, data, received, args.batch or 50)
        results["facts"] = facts
        results["environment"]["loadavg_after"] = os.getloadavg()
        log("sms_delivery", f"settled: {facts.get('sent')} sent in {facts.get('kick_to_last_sent_s')} s,"
            f" {facts.get('rate_overall')}/s overall, {facts.get('rate_without_pause')}/s without the pause,"
            f" steady {(facts.get('steady') or {}).get('rate')}/s; emulator got {facts['emulator_received']},"
            f" duplicates {facts['duplicates']}, lost {facts['lost']}, outcome_unknown {facts['outcome_unknown']}"
            f" ({facts['outcome_unknown_received']} received)")
        if facts.get("per_message_ms"):
            p = facts["per_message_ms"]
            results["notes"].append(
                f"{results['concurrency']} processes each sending one message per {p['mean']:.1f} ms (the mean turn"
                f" inside a batch) make {results['concurrency'] * 1000 / p['mean']:.0f} messages/s; what the steady"
                " rate lacks to that is the time between batches (the claim, a task's hand-over)")
    except Exception as exc:  # noqa: BLE001  reported, and the run exits 2
        traceback.print_exc()
        problems.append(f"the run broke: {type(exc).__name__}: {exc}")
        broke = True
    finally:
        if worker:
            worker.stop()
        emulator.stop()
        try:
            redis_client.flushdb()
        except Exception as exc:  # noqa: BLE001
            problems.append(f"could not flush {args.redis_url}: {exc}")
        if not args.keep_db:
            pg.drop_database(BENCH_DB)
    results["verdicts"] = verdicts(results)
    md_path, json_path = write_results(results, f"{stamp:%Y-%m-%d}-issue4-sms", markdown, args.out)
    print(md_path.read_text())
    log("sms_delivery", f"written {md_path} and {json_path.name}; logs in {logs}")
    if broke:
        return 2
    return 0 if all(results["verdicts"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
