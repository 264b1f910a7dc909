"""Only statements of our own accounts are imported, and a file is imported once: in
every format and encoding the importer reads."""
from __future__ import annotations

import io
import threading
import time
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask_babel import force_locale
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.errors import DomainError
from core.files.models import StoredFile
from payments.bank.importer import import_statement
from payments.bank.samples import build_1c_statement, build_csv_statement, iban
from payments.models import Allocation, BankStatement, Payment, PaymentStatusChange
from tests.conftest import login
from tests.payments.conftest import invoices_of

OURS = iban("300465", "26002012345678")  # in TestConfig.OUR_IBANS
THEIRS = iban("305299", "26007099988877")  # another firm's account
FORMATS = [("1c", "cp1251"), ("1c", "utf-8"), ("1c", "cp866"), ("csv", "utf-8"), ("csv", "cp1251")]


def paying(invoice: Any, company: Any, number: str = "701") -> dict[str, Any]:
    return {"number": number, "date": date(2026, 11, 20), "amount": invoice.outstanding,
            "payer_name": company.name, "payer_tax_id": company.tax_id,
            "payer_account": iban("305299", "26001055500001"), "purpose": f"Оплата рах. {invoice.number}"}


def statement(fmt: str, encoding: str, docs: list[dict[str, Any]], account: str | None) -> bytes:
    if fmt == "1c":
        return build_1c_statement(docs, account, encoding)
    return build_csv_statement(docs, encoding, our_account=account)


def totals(db: Any) -> tuple[int, int, int]:
    db.expire_all()
    return tuple(db.scalar(select(func.count()).select_from(model)) for model in (BankStatement, Payment, Allocation))


@pytest.fixture
def invoice(db: Any, customer: Any, confirmed_order: Any) -> Any:
    (invoice,) = invoices_of(db, confirmed_order(customer))
    return invoice


@pytest.mark.parametrize("fmt, encoding", FORMATS)
def test_a_statement_of_another_firms_account_is_refused_and_pays_nothing(db, ctx, customer, invoice, fmt, encoding):
    before = totals(db)
    with pytest.raises(DomainError) as refused:
        import_statement(db, statement(fmt, encoding, [paying(invoice, customer.company)], THEIRS), "their.txt", None)
    assert f"Це виписка рахунку {THEIRS}, а він не наш" in refused.value.message
    assert OURS in refused.value.message and refused.value.field == "file"
    assert totals(db) == before and invoice.status == "open"


@pytest.mark.parametrize("fmt, encoding", FORMATS)
def test_a_statement_of_our_account_pays_the_invoice(db, ctx, customer, invoice, fmt, encoding):
    # Banks print IBANs in groups of four; either way it is the same account.
    spaced = " ".join(OURS[i:i + 4] for i in range(0, len(OURS), 4))
    result = import_statement(db, statement(fmt, encoding, [paying(invoice, customer.company)], spaced), "ours.txt", None)
    assert result.lines_matched == 1 and result.statement.account == OURS
    db.expire_all()
    assert invoice.status == "paid"


@pytest.mark.parametrize("fmt, encoding", FORMATS)
def test_a_file_that_says_whose_it_is_nowhere_is_refused(db, ctx, customer, invoice, fmt, encoding):
    content = statement(fmt, encoding, [paying(invoice, customer.company)], None if fmt == "csv" else OURS)
    if fmt == "1c":  # a header without РасчСчет: the format itself refuses it
        content = content.replace(f"РасчСчет={OURS}".encode(encoding), b"")
    before = totals(db)
    with pytest.raises(DomainError, match="РасчСчет|Рахунок отримувача"):
        import_statement(db, content, "whose.txt", None)
    assert totals(db) == before


def test_a_1c_file_with_one_of_its_sections_of_another_account_is_refused(db, ctx, customer, invoice):
    content = build_1c_statement([paying(invoice, customer.company)], OURS)
    second_section = (f"СекцияРасчСчет\r\nРасчСчет={THEIRS}\r\nКонецРасчСчет\r\nСекцияДокумент").encode("cp1251")
    content = content.replace("СекцияДокумент".encode("cp1251"), second_section, 1)
    with pytest.raises(DomainError, match=f"рахунку {THEIRS}"):
        import_statement(db, content, "mixed.txt", None)
    assert invoice.status == "open"


def test_a_csv_row_paid_into_another_account_refuses_the_file(db, ctx, customer, invoice):
    rows = [paying(invoice, customer.company), {**paying(invoice, customer.company, "702"), "receiver_account": THEIRS}]
    with pytest.raises(DomainError, match=f"рахунку {THEIRS}"):
        import_statement(db, build_csv_statement(rows, our_account=OURS), "rows.csv", None)
    assert totals(db)[1] == 0


def test_every_configured_account_is_ours(app, db, ctx, customer, invoice, monkeypatch):
    second = iban("322001", "26005012340000")
    monkeypatch.setitem(app.config, "OUR_IBANS", f"{OURS}, {second}")
    result = import_statement(db, build_1c_statement([paying(invoice, customer.company)], second), "second.txt", None)
    assert result.lines_matched == 1
    # SUPPLIER_IBAN, printed on the invoices, is ours whatever OUR_IBANS says.
    monkeypatch.setitem(app.config, "OUR_IBANS", second)
    supplier = build_1c_statement([{**paying(invoice, customer.company, "703"), "amount": Decimal("5.00")}],
                                  app.config["SUPPLIER_IBAN"])
    assert import_statement(db, supplier, "supplier.txt", None).lines_new == 1


def test_the_refusal_is_in_english_for_english_staff(db, ctx, customer, invoice):
    with force_locale("en"), pytest.raises(DomainError) as refused:
        import_statement(db, build_1c_statement([paying(invoice, customer.company)], THEIRS), "their.txt", None)
    assert f"This is a statement of account {THEIRS}, which is not ours" in refused.value.message


@pytest.mark.parametrize("fmt, encoding", FORMATS)
def test_the_same_file_twice_adds_nothing_and_says_when_it_was_imported(app, db, customer, invoice, make_staff, fmt, encoding):
    content = statement(fmt, encoding, [paying(invoice, customer.company)], OURS)
    client = app.test_client()
    assert login(client, make_staff("accountant").email, staff=True).status_code == 302

    def upload() -> Any:
        return client.post("/staff/payments/import", data={"file": (io.BytesIO(content), "vypyska.txt")},
                           content_type="multipart/form-data")

    assert upload().status_code == 200
    first = totals(db)
    (imported,) = db.scalars(select(BankStatement))
    again = upload()
    page = again.get_data(as_text=True)
    assert again.status_code == 400 and totals(db) == first
    with app.test_request_context():
        from backoffice.helpers import _when
        when = _when(imported.imported_at)
    assert f"Цю виписку вже імпортовано {when} (файл «vypyska.txt»): повторний імпорт нічого не додає" in page


def test_a_statement_of_another_account_is_refused_on_the_page(app, db, customer, invoice, make_staff):
    client = app.test_client()
    assert login(client, make_staff("accountant").email, staff=True).status_code == 302
    content = build_1c_statement([paying(invoice, customer.company)], THEIRS)
    answer = client.post("/staff/payments/import", data={"file": (io.BytesIO(content), "their.txt")},
                         content_type="multipart/form-data")
    assert answer.status_code == 400 and f"Це виписка рахунку {THEIRS}, а він не наш" in answer.get_data(as_text=True)
    db.expire_all()
    assert invoice.status == "open" and totals(db) == (0, 0, 0)


def test_one_file_uploaded_twice_at_once_is_imported_once(app, db):
    """Two sessions on PostgreSQL import the same file together: the second waits on the
    file's unique hash, then is refused as already imported."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer at a time: the second upload simply comes after the first")
    engine = app.extensions["db_engine"]
    number = f"race-{threading.get_ident()}-{id(db)}"
    content = build_1c_statement([{"number": number, "date": date(2026, 11, 21), "amount": Decimal("42.00"),
                                   "payer_name": "ТОВ «Хтось»", "payer_account": iban("305299", "26001055500009"),
                                   "purpose": "Внесок"}], OURS)
    first_inserted, outcomes = threading.Event(), {}

    def upload(name: str) -> None:
        with app.test_request_context(), Session(engine) as session:
            if name == "second":
                first_inserted.wait(5)
            try:
                result = import_statement(session, content, f"{name}.txt", None)
                outcomes[name] = result.lines_new
                if name == "first":
                    first_inserted.set()
                    time.sleep(0.5)  # the second is now waiting on the hash
                session.commit()
            except DomainError as exc:
                outcomes[name] = exc.message
            finally:
                first_inserted.set()

    threads = [threading.Thread(target=upload, args=(name,)) for name in ("first", "second")]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert outcomes["first"] == 1
        assert "Цю виписку вже імпортовано" in outcomes["second"] and "first.txt" in outcomes["second"]
    finally:
        with Session(engine) as cleanup:
            statement_ids = select(BankStatement.id).where(BankStatement.filename.in_(("first.txt", "second.txt")))
            payment_ids = select(Payment.id).where(Payment.statement_id.in_(statement_ids))
            cleanup.execute(delete(PaymentStatusChange).where(PaymentStatusChange.payment_id.in_(payment_ids)))
            cleanup.execute(delete(Payment).where(Payment.id.in_(payment_ids)))
            file_ids = list(cleanup.scalars(select(BankStatement.file_id).where(BankStatement.id.in_(statement_ids))))
            cleanup.execute(delete(BankStatement).where(BankStatement.id.in_(statement_ids)))
            cleanup.execute(delete(StoredFile).where(StoredFile.id.in_(file_ids)))
            cleanup.commit()
