"""A bank statement file -> one BankStatement, a Payment per new incoming line, and the
allocations the matching rules find. All or nothing: a bad file stores nothing, and
neither does a statement of an account that is not ours or a file imported before.

Whatever the length of the file, the statements it costs are a fixed handful: the
reads before the inserts (fingerprints already known, companies by payer tax id, the
invoices involved, locked, as rows), the payments and their status rows inserted as
plain rows (COPY on PostgreSQL), and the allocations through allocate_rows (the same
rules as a single allocation, written as rows: thousands of ORM objects cost seconds;
bench/statement_import.py measures it).
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import format_datetime, gettext
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.bulk import insert_rows
from core.customers.models import Company
from core.db import reserve_ids
from core.errors import DomainError
from core.files.services import store_file
from core.ids import compact_iban, iban_list, tax_id_is_valid
from core.staff.models import StaffUser
from payments.allocation import LockedInvoice, NewPayment, allocate_rows, locked_invoice_rows
from payments.bank.formats import Statement, StatementFormatError, StatementLine, parse_statement
from payments.bank.matching import RULE_NOTES, InvoiceFacts, Match, Matcher, invoice_numbers
from payments.models import OPEN, SUCCEEDED, BankStatement, Invoice, Payment, PaymentStatusChange

SOURCE = "bank"
CONTENT_TYPES = {"1c": "text/plain", "csv": "text/csv"}
SYSTEM_ACTOR = "Банківська виписка"
# Well under the bound parameters one statement may carry (SQLite 32766, PostgreSQL 65535).
IN_CHUNK = 5000
# A concurrent import of an overlapping statement can take some lines between our
# check and our insert; each retry drops what it took. More than that is not a race.
INSERT_ATTEMPTS = 3


@dataclass(frozen=True)
class ImportResult:
    statement: BankStatement
    lines_total: int  # every document in the file, outgoing included
    lines_new: int  # payments created
    lines_duplicate: int  # incoming lines already imported (this or an overlapping file)
    lines_matched: int  # new payments the rules allocated, wholly or in part
    lines_to_review: int  # new payments left in the queue (an overpayment counts in both)
    lines_outgoing_skipped: int


def import_statement(session: Session, content: bytes, filename: str, staff: StaffUser | None) -> ImportResult:
    try:
        parsed = parse_statement(content, filename)
    except StatementFormatError as error:
        raise DomainError(str(error), field="file") from None
    _refuse_foreign_accounts(parsed, our_accounts(current_app.config))
    digest = hashlib.sha256(content).hexdigest()
    _refuse_imported_file(session, digest)
    actor = staff.full_name if staff else SYSTEM_ACTOR
    incoming = [line for line in parsed.lines if line.incoming]
    first_of: dict[str, StatementLine] = {}
    for line in incoming:  # a document listed twice in one file is one payment
        first_of.setdefault(line.fingerprint, line)
    unique = list(first_of.values())

    # The file as the bank sent it stays with the statement, for an audit or a dispute.
    original = store_file(session, content, filename or f"statement.{parsed.format}", CONTENT_TYPES[parsed.format])
    statement = BankStatement(
        filename=filename[:255], file_format=parsed.format, account=parsed.account[:40],
        lines_total=len(parsed.lines), imported_by_staff_id=staff.id if staff else None, content_sha256=digest,
        file=original,
    )
    # The file's and the statement's INSERTs come first: on SQLite they take the write
    # lock, so no other import changes the invoices between reading them below and paying them. Two
    # uploads of one file meet at its unique hash: the second waits, then is refused.
    try:
        with session.begin_nested():
            session.add(statement)
    except IntegrityError:
        _refuse_imported_file(session, digest)
        raise

    fresh = _not_yet_imported(session, unique)
    companies, oldest_first, invoices = _load_book(session, fresh)
    if not current_app.config["BANK_AUTO_ALLOCATE_OLDEST"]:
        oldest_first = set()
    attempt = 1
    while True:
        # Plans depend on the lines before them (two lines may pay one invoice), so a
        # retry without the lines a concurrent import took plans afresh.
        matcher = Matcher(companies, [InvoiceFacts.of(invoice) for invoice in invoices.values()], oldest_first)
        matches = {line.fingerprint: matcher.match(line.amount, _tax_id(line), line.purpose) for line in fresh}
        try:
            with session.begin_nested():
                payments = _insert_payments(session, fresh, matches, statement.id, actor)
            break
        except IntegrityError:
            if attempt == INSERT_ATTEMPTS:
                raise
            attempt += 1
            fresh = _not_yet_imported(session, fresh)

    planned = [(payment, invoice_id, amount) for payment in payments
               for invoice_id, amount in matches[payment.external_id].plan]
    allocate_rows(session, planned, invoices, actor)
    matched = sum(bool(matches[payment.external_id].plan) for payment in payments)
    statement.lines_new = len(payments)
    statement.lines_matched = matched
    session.flush()
    return ImportResult(
        statement=statement,
        lines_total=len(parsed.lines),
        lines_new=len(payments),
        lines_duplicate=len(incoming) - len(payments),
        lines_matched=matched,
        lines_to_review=sum(bool(matches[p.external_id].review_reason) for p in payments),
        lines_outgoing_skipped=len(parsed.lines) - len(incoming),
    )


def our_accounts(config: Any) -> set[str]:
    """The accounts whose statements we import: OUR_IBANS, and always SUPPLIER_IBAN."""
    return {*iban_list(config["OUR_IBANS"]), compact_iban(config["SUPPLIER_IBAN"])}


def _refuse_foreign_accounts(parsed: Statement, ours: set[str]) -> None:
    """Another firm's statement would book its customers' money against our invoices."""
    if not parsed.accounts:
        raise DomainError(gettext(
            "У виписці не вказано, чий це рахунок: у файлі 1С потрібен рядок «РасчСчет=», у CSV — колонка "
            "«Рахунок отримувача» з нашим IBAN. Нічого не імпортовано."
        ), field="file")
    foreign = [account for account in parsed.accounts if account not in ours]
    if foreign:
        raise DomainError(gettext(
            "Це виписка рахунку %(account)s, а він не наш: імпортуються лише виписки наших рахунків "
            "(%(ours)s). Нічого не імпортовано.",
            account=", ".join(foreign), ours=", ".join(sorted(ours)),
        ), field="file")


def _refuse_imported_file(session: Session, digest: str) -> None:
    earlier = session.scalar(select(BankStatement).where(BankStatement.content_sha256 == digest))
    if earlier is not None:
        raise DomainError(gettext(
            "Цю виписку вже імпортовано %(when)s (файл «%(name)s»): повторний імпорт нічого не додає. "
            "Нічого не змінено.",
            when=format_datetime(earlier.imported_at, "dd.MM.yyyy HH:mm"), name=earlier.filename,
        ), field="file")


def _tax_id(line: StatementLine) -> str:
    # Only a valid ЄДРПОУ or РНОКПП names a payer: ten digits may as well be a Russian
    # ИНН, and a bank's odd code would not fit the column.
    return line.payer_tax_id if tax_id_is_valid(line.payer_tax_id) else ""


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start:start + IN_CHUNK]


def _known_fingerprints(session: Session, fingerprints: list[str]) -> set[str]:
    known: set[str] = set()
    for chunk in _chunks(fingerprints):
        known.update(
            session.scalars(select(Payment.external_id).where(Payment.source == SOURCE, Payment.external_id.in_(chunk)))
        )
    return known


def _not_yet_imported(session: Session, lines: list[StatementLine]) -> list[StatementLine]:
    known = _known_fingerprints(session, [line.fingerprint for line in lines])
    return [line for line in lines if line.fingerprint not in known]


def _load_book(session: Session, lines: list[StatementLine]) -> tuple[dict[str, int], set[int], dict[int, LockedInvoice]]:
    """Our companies among the payers (and which of them let us pay their oldest invoices
    first), and, locked in one go (id order, so two imports never wait on each other
    crosswise), their open invoices and every invoice a purpose names."""
    tax_ids = sorted({_tax_id(line) for line in lines} - {""})
    companies: dict[str, int] = {}
    oldest_first: set[int] = set()
    for chunk in _chunks(tax_ids):
        for tax_id, company_id, allows in session.execute(
            select(Company.tax_id, Company.id, Company.pay_oldest_first).where(Company.tax_id.in_(chunk))
        ):
            companies[tax_id] = company_id
            if allows:
                oldest_first.add(company_id)
    named: dict[int, set[int]] = defaultdict(set)
    for line in lines:
        for year, seq in invoice_numbers(line.purpose):
            named[year].add(seq)
    conditions = [and_(Invoice.year == year, Invoice.seq.in_(seqs)) for year, seqs in named.items()]
    if companies:
        conditions.append(and_(Invoice.company_id.in_(companies.values()), Invoice.status == OPEN))
    if not conditions:
        return companies, oldest_first, {}
    return companies, oldest_first, {invoice.id: invoice for invoice in locked_invoice_rows(session, or_(*conditions))}


def _insert_payments(
    session: Session, lines: list[StatementLine], matches: dict[str, Match], statement_id: int, actor: str
) -> list[NewPayment]:
    """The new lines as payments, each with its first status row: plain rows, ids reserved."""
    ids = reserve_ids(session, Payment.__table__.c.id, len(lines))
    rows, history, payments = [], [], []
    for payment_id, line in zip(ids, lines):
        match = matches[line.fingerprint]
        rows.append({
            "id": payment_id, "source": SOURCE, "external_id": line.fingerprint, "company_id": match.company_id,
            "statement_id": statement_id, "status": SUCCEEDED,
            "amount": line.amount, "paid_on": line.doc_date, "payer_name": line.payer_name[:300],
            "payer_tax_id": _tax_id(line), "purpose": line.purpose, "needs_review": bool(match.review_reason),
            "review_reason": match.review_reason, **match.review_columns,
            "details": {"doc_number": line.doc_number, "payer_account": line.payer_account},
        })
        history.append({"payment_id": payment_id, "from_status": None, "to_status": SUCCEEDED,
                        "actor_name": actor, "note": RULE_NOTES.get(match.rule, "")})
        payments.append(NewPayment(payment_id, SOURCE, line.fingerprint, match.company_id, line.amount))
    insert_rows(session, Payment, rows)
    insert_rows(session, PaymentStatusChange, history)
    return payments
