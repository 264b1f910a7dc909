"""`python -m bench.contracts_generate`: 1,000 contracts generated for 1,000 companies on PostgreSQL.

    .venv/bin/python -m bench.contracts_generate            # 1,000 companies, 2 worker processes
    .venv/bin/python -m bench.contracts_generate --quick    # 50 companies: checks the script

1. a fresh database `portal_bench_edo` (dropped first if it exists), migrated; 1,000
   companies with complete requisites and a manager, the built-in template installed;
2. `edo.generate.generate_contract` for each company, one transaction each (what the button
   on the company card does), spread over worker processes that each run the app as a
   gunicorn or Celery worker would (their own connections and template server), all at once:
   the numbering is shared, so this is also two generations at a time taking numbers;
3. checked: one contract per company in review, every number unique and of this year, every
   one with its .docx (hash recorded), its history row and its contract.generated event;
4. the figures printed and written to bench/results/<date>-issue13-contracts-generate.md;
   the database and the file folder removed (unless --keep-db), also when a step fails.

The goal (issue 13): 1,000 contracts in under 60 s.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import time
import traceback
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.harness import ROOT, arguments, code_state, latency_stats, log, machine, run_lock, wait_for_quiet, write_results
from bench.harness import pg
from bench.harness.portal import in_process_app, postgres_info

DB_NAME = "portal_bench_edo"
GOAL_S = 60.0
FULL, QUICK = 1_000, 50
IBAN = "UA213223130000026007233566001"


def seed(url: str, companies: int) -> list[int]:
    """Companies with every requisite a contract needs, and the template; their ids."""
    from core.catalog.models import PriceType
    from core.customers.models import Company
    from core.db import db_session
    from core.ids import edrpou_check_digit
    from core.staff.models import StaffUser
    from edo.template_versions import install_template

    app = in_process_app(url)
    with app.app_context():
        session = db_session()
        price_type = PriceType(code="wholesale", name="Оптова")
        manager = StaffUser(email="manager@bench.example", full_name="Коваль Олена", role="manager",
                            phone="+380501112233", password_hash="-")
        session.add_all([price_type, manager])
        session.flush()
        rows = []
        for n in range(companies):
            first = f"{3000000 + n:07d}"
            rows.append(Company(
                name=f"ТОВ «Кафе {n}»", kind="legal", tax_id=first + str(edrpou_check_digit(first)),
                price_type_id=price_type.id, payment_terms=("prepayment", "deferred", "advance")[n % 3],
                deferral_days=14 if n % 3 == 1 else 0, advance_percent=30 if n % 3 == 2 else 0,
                credit_limit=Decimal("50000.00"), manager_id=manager.id, email=f"office{n}@cafe.example",
                phone="+380671234567", legal_address=f"м. Київ, вул. Хрещатик, {n + 1}", iban=IBAN,
                bank_name="АТ «Універсал Банк»", signer_name="Петренко Іван Іванович", signer_position="директор",
                signing_basis="Статуту",
            ))
        session.add_all(rows)
        install_template(session)
        session.commit()
        ids = [company.id for company in rows]
        db_session.remove()
    app.extensions["db_engine"].dispose()
    return ids


def worker(url: str, company_ids: list[int], ready: Any, start: Any, out: Any) -> None:
    """One process generating for its share of companies, each in a transaction of its own."""
    from core.customers.models import Company
    from core.db import db_session
    from edo.generate import generate_contract

    app = in_process_app(url)
    timings = []
    with app.app_context():
        session = db_session()
        generate_contract(session, session.get(Company, company_ids[0]), None)  # the template server starts
        session.commit()
        ready.put(os.getpid())
        start.wait()
        for company_id in company_ids[1:]:
            began = time.perf_counter()
            generate_contract(session, session.get(Company, company_id), None)
            session.commit()
            timings.append((time.perf_counter() - began) * 1000)
        db_session.remove()
    out.put(timings)


def measure(url: str, company_ids: list[int], processes: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")  # a fresh interpreter each, as a worker is
    ready, start, out = context.Queue(), context.Event(), context.Queue()
    shares = [company_ids[i::processes] for i in range(processes)]
    workers = [context.Process(target=worker, args=(url, share, ready, start, out)) for share in shares]
    for process in workers:
        process.start()
    for _ in workers:  # each has generated its first (warm-up) contract
        ready.get(timeout=300)
    started = time.perf_counter()
    start.set()
    timings = [ms for _ in workers for ms in out.get(timeout=600)]
    total_s = time.perf_counter() - started
    for process in workers:
        process.join()
    return {"total_s": total_s, "timed": len(timings), "warm_up": processes, "per_contract_ms": latency_stats(timings),
            "exit_codes": [process.exitcode for process in workers]}


def check(url: str, companies: int) -> list[str]:
    import psycopg

    problems = []
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        count, numbers, per_company, in_review = conn.execute(
            "SELECT count(*), count(DISTINCT number), count(DISTINCT company_id), count(*) FILTER (WHERE status = 'review')"
            " FROM contract").fetchone()
        files = conn.execute("SELECT count(*) FROM contract c JOIN stored_file f ON f.id = c.generated_file_id"
                             " WHERE length(f.sha256) = 64 AND f.size > 0").fetchone()[0]
        history = conn.execute("SELECT count(*) FROM contract_event WHERE action = 'generated'").fetchone()[0]
        events = conn.execute("SELECT count(*) FROM outbox_event WHERE topic = 'contract.generated'").fetchone()[0]
        largest = conn.execute("SELECT max(number) FROM contract").fetchone()[0]
    if not count == numbers == per_company == in_review == files == history == events == companies:
        problems.append(f"expected {companies} of each: contracts {count}, distinct numbers {numbers}, companies"
                        f" {per_company}, in review {in_review}, files {files}, history rows {history}, events {events}")
    if not largest.endswith(f"{companies:05d}"):
        problems.append(f"the largest number is {largest}: numbers skipped")
    return problems


def markdown(results: dict[str, Any]) -> str:
    m = results.get("measured", {})
    per = m.get("per_contract_ms", {})
    lines = [
        f"# Issue 13: contracts generated on PostgreSQL — {results['started']:%Y-%m-%d %H:%M}"
        + (" (--quick: a check, not a measurement)" if results["quick"] else ""),
        "",
        f"Command: `.venv/bin/python -m bench.contracts_generate` · commit {results['code']['commit']}"
        f" ({results['code']['uncommitted_files']} files with uncommitted changes)",
        f"Machine: {results['machine']['nproc']} × {results['machine']['cpu_model']}, {results['machine']['mem_total']},"
        f" PostgreSQL {results['postgres']['version']}, Python {results['machine']['python']}",
        "",
        f"{results['companies']:,} companies, {results['processes']} worker processes at once; each contract: the"
        " template read from the file store, filled in the sandboxed child, the .docx stored, the row, its history"
        " and its event committed.",
        "",
    ]
    if m:
        lines += [
            f"- **{m['total_s']:.1f} s** for {m['timed']:,} contracts (plus {m['warm_up']} warm-up ones, one a worker)",
            f"- per contract in a worker: p50 {per.get('p50_ms', 0):.0f} ms, p95 {per.get('p95_ms', 0):.0f} ms, max {per.get('max_ms', 0):.0f} ms",
            "",
        ]
    verdict = "PASS" if results.get("pass") else "FAIL"
    lines.append(f"**{verdict}** (goal: {results['companies']:,} contracts in < {GOAL_S:.0f} s, every number unique)")
    lines += [f"- {problem}" for problem in results["problems"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = arguments("contracts_generate", __doc__)
    parser.add_argument("--companies", type=int, default=None, help=f"default {FULL:,} ({QUICK} with --quick)")
    parser.add_argument("--processes", type=int, default=2, help="worker processes generating at once")
    args = parser.parse_args(argv)
    companies = args.companies or (QUICK if args.quick else FULL)
    results: dict[str, Any] = {"started": datetime.now(), "machine": machine(), "postgres": postgres_info(),
                               "code": code_state(), "problems": [], "quick": args.quick, "companies": companies,
                               "processes": args.processes}
    url = pg.bench_url(DB_NAME)
    with run_lock(args.wait_lock), tempfile.TemporaryDirectory() as folder:
        os.environ.update({**pg.SIGNING_KEYS, "FILES_DIR": str(Path(folder) / "files")})  # the workers inherit it
        os.environ.pop("REDIS_URL", None)
        try:
            log("contracts_generate", f"creating {DB_NAME}, migrating, {companies:,} companies")
            pg.create_database(DB_NAME)
            pg.flask(["db-upgrade"], {**os.environ, "DATABASE_URL": url}, Path(folder) / "migrate.log")
            company_ids = seed(url, companies)
            results["busy_before"] = wait_for_quiet(0 if args.quick else args.wait_quiet)
            log("contracts_generate", f"generating with {args.processes} processes")
            results["measured"] = measure(url, company_ids, args.processes)
            log("contracts_generate", f"{results['measured']['total_s']:.1f} s")
            results["problems"] += check(url, companies)
        except Exception as exc:
            traceback.print_exc()
            results["problems"].append(f"the run broke: {type(exc).__name__}: {exc}")
        finally:
            if not args.keep_db:
                pg.drop_database(DB_NAME)
    if "measured" not in results:
        return 2
    if any(results["measured"]["exit_codes"]):
        results["problems"].append(f"a worker failed: exit codes {results['measured']['exit_codes']}")
    if not args.quick and results["measured"]["total_s"] >= GOAL_S:
        results["problems"].append(f"generating took {results['measured']['total_s']:.1f} s")
    results["pass"] = not results["problems"]
    path, _ = write_results(results, f"{results['started']:%Y-%m-%d}-issue13-contracts-generate", markdown)
    print(path.read_text())
    log("contracts_generate", f"written {path.relative_to(ROOT)}")
    return 0 if results["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
