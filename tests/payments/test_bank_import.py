"""Bank statements into payments: import once, match by invoice number, payer and amount,
and leave the rest for a person, with the reason written down."""
from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select

from core.clock import kyiv_today
from core.errors import DomainError
from core.files.models import StoredFile
from core.files.services import read_file
from core.outbox import OutboxEvent
from payments.allocation import set_payment_status
from payments.bank import parse_statement
from payments.bank.importer import import_statement
from payments.bank.matching import (
    InvoiceFacts,
    Matcher,
    invoice_numbers,
    loose_numbers,
    suggestions,
)
from payments.bank.samples import build_1c_statement, build_csv_statement, iban
from payments.models import Allocation, BankStatement, Invoice, Payment
from tests.payments.conftest import invoices_of

OURS = iban("300465", "26002012345678")
_doc_numbers = itertools.count(100)


def doc(amount: str, purpose: str, payer: Any = None, **fields: Any) -> dict[str, Any]:
    """One incoming bank document; `payer` is a Company (its tax id and name) or None."""
    return {
        "number": str(next(_doc_numbers)),
        "date": date(2026, 11, 20),
        "amount": Decimal(amount),
        "payer_name": payer.name if payer is not None else "ТОВ «Невідомий платник»",
        "payer_tax_id": payer.tax_id if payer is not None else "",
        "payer_account": iban("305299", "26001055500001"),
        "purpose": purpose,
        **fields,
    }


def run(db: Any, docs: list[dict[str, Any]], staff: Any = None, fmt: str = "1c", encoding: str = "cp1251") -> Any:
    content = build_1c_statement(docs, OURS, encoding) if fmt == "1c" else build_csv_statement(docs, encoding, our_account=OURS)
    result = import_statement(db, content, f"statement.{'txt' if fmt == '1c' else 'csv'}", staff)
    db.expire_all()
    return result


def payment_of(db: Any, document: dict[str, Any]) -> Payment:
    return db.scalars(select(Payment).where(Payment.details["doc_number"].as_string() == document["number"])).one()


def count(db: Any, model: Any) -> int:
    return db.scalar(select(func.count()).select_from(model))


@pytest.fixture
def invoice_for(db: Any, confirmed_order: Callable[..., Any]) -> Callable[..., Invoice]:
    """The open invoice of a new confirmed (prepaid) order, 300.00 unless told."""

    def make(user: Any, amount: str = "300.00") -> Invoice:
        (invoice,) = invoices_of(db, confirmed_order(user, ((amount, "1"),)))
        return invoice

    return make


def due_in(db: Any, *pairs: tuple[Invoice, int]) -> None:
    """Due dates (days from today), set once every invoice exists: an overdue one would put the next order on hold."""
    for invoice, days in pairs:
        invoice.due_on = kyiv_today() + timedelta(days=days)
    db.flush()


@pytest.fixture
def other(make_company: Callable[..., Any], make_user: Callable[..., Any]) -> Any:
    return make_user(make_company("ТОВ «Інший Клієнт»"))


# --- formats, encodings, what is stored ------------------------------------------------


@pytest.mark.parametrize("fmt, encoding", [("1c", "cp1251"), ("1c", "utf-8"), ("1c", "cp866"), ("csv", "utf-8"), ("csv", "cp1251")])
def test_a_statement_in_either_format_and_encoding_pays_the_invoice_it_names(
    db, ctx, customer, invoice_for, make_staff, fmt, encoding
):
    invoice = invoice_for(customer)
    accountant = make_staff("accountant", full_name="Олена Бухгалтер")
    paying = doc("300.00", f"Оплата за товар згідно рахунку № {invoice.number}, у т.ч. ПДВ 50,00", customer.company)
    stranger = doc("125.50", "Поповнення рахунку", None)
    docs = [paying, stranger]
    if fmt == "1c":
        docs.append(doc("4100.00", "Оплата за перевезення", None, payer_account=OURS, receiver_account=iban("300528", "26007001234567")))

    result = run(db, docs, accountant, fmt, encoding)

    assert (result.lines_total, result.lines_new, result.lines_duplicate) == (len(docs), 2, 0)
    assert (result.lines_matched, result.lines_to_review, result.lines_outgoing_skipped) == (1, 1, len(docs) - 2)
    statement = db.get(BankStatement, result.statement.id)
    assert (statement.file_format, statement.lines_new, statement.lines_matched) == (fmt, 2, 1)
    assert statement.imported_by_staff_id == accountant.id and statement.account == OURS
    assert invoice.status == "paid" and invoice.paid_amount == Decimal("300.00")
    payment = payment_of(db, paying)
    assert (payment.source, payment.status, payment.amount, payment.paid_on) == ("bank", "succeeded", Decimal("300.00"), date(2026, 11, 20))
    assert payment.company_id == customer.company_id and payment.payer_tax_id == customer.company.tax_id
    assert payment.statement_id == statement.id and len(payment.external_id) == 64
    assert invoice.number in payment.purpose and not payment.needs_review
    assert payment.details["doc_number"] == paying["number"]
    assert payment.details["payer_account"] == (paying["payer_account"] if fmt == "1c" else "")
    (allocation,) = payment.allocations
    assert (allocation.invoice_id, allocation.amount, allocation.allocated_by) == (invoice.id, Decimal("300.00"), "Олена Бухгалтер")
    (change,) = payment.history
    assert (change.to_status, change.actor_name) == ("succeeded", "Олена Бухгалтер") and "номером рахунку" in change.note
    unknown = payment_of(db, stranger)
    assert unknown.needs_review and unknown.company_id is None and unknown.allocations == []
    assert unknown.review_reason == "ЄДРПОУ платника не вказано, номера рахунку в призначенні немає"


def test_reimporting_the_same_file_or_an_overlapping_one_adds_nothing_twice(db, ctx, customer, invoice_for):
    invoice = invoice_for(customer)
    first = [doc("300.00", f"Оплата рах. {invoice.number}", customer.company), doc("10.00", "Внесок", None)]
    run(db, first)
    before = {model: count(db, model) for model in (Payment, Allocation, OutboxEvent, BankStatement)}

    with pytest.raises(DomainError, match="Цю виписку вже імпортовано .* повторний імпорт нічого не додає"):
        run(db, first)
    assert {model: count(db, model) for model in before} == before

    reexported = run(db, first, encoding="utf-8")  # another export: other bytes, the same documents
    assert (reexported.lines_new, reexported.lines_duplicate, reexported.lines_matched) == (0, 2, 0)
    later = doc("20.00", "Ще один внесок", None)
    overlapping = run(db, [*first, later], encoding="utf-8")
    assert (overlapping.lines_new, overlapping.lines_duplicate) == (1, 2)
    assert count(db, Payment) == before[Payment] + 1
    assert invoice.paid_amount == Decimal("300.00")
    assert count(db, BankStatement) == 3  # a new file is on record even when it added nothing


def test_the_same_document_twice_in_one_file_is_one_payment(db, ctx):
    twice = doc("10.00", "Внесок", None)
    result = run(db, [twice, dict(twice)])
    assert (result.lines_new, result.lines_duplicate) == (1, 1)


def test_a_concurrent_import_taking_a_line_first_is_not_an_error(db, ctx, customer, invoice_for):
    """Another import commits one of our lines between our check and our insert: the
    unique constraint stops the second copy and the rest of the file goes in."""
    invoice = invoice_for(customer)
    docs = [doc("300.00", f"Оплата рах. {invoice.number}", customer.company), doc("10.00", "Внесок", None)]
    content = build_1c_statement(docs, OURS)
    taken = parse_statement(content).lines[1].fingerprint

    done: list[bool] = []

    @event.listens_for(db, "do_orm_execute")
    def other_import_wins(state: Any) -> None:
        # The invoices are read after the fingerprints were checked and before the insert.
        if not done and state.is_select and state.all_mappers and state.all_mappers[0].class_ is Invoice:
            done.append(True)
            state.session.execute(insert(Payment).values(
                source="bank", external_id=taken, status="succeeded", amount=Decimal("10.00"), provider_status="",
                currency="UAH", payer_name="", payer_tax_id="", purpose="", needs_review=True, review_reason="",
                details={},
            ))

    result = import_statement(db, content, "statement.txt", None)
    event.remove(db, "do_orm_execute", other_import_wins)

    assert done and (result.lines_new, result.lines_duplicate, result.lines_matched) == (1, 1, 1)
    db.expire_all()
    assert invoice.status == "paid"
    assert db.scalar(select(func.count()).select_from(Payment).where(Payment.external_id == taken)) == 1


def test_the_reads_do_not_grow_with_the_file(app, db, ctx, make_company):
    """Apart from their inserts, lines that pay nothing cost no statement of their own:
    the reads are the same for 3 lines and for 30."""
    payers = [make_company() for _ in range(3)]

    def statements_for(lines: int) -> int:
        docs = [doc(f"{n + 1}.00", f"Оплата рах. 2026-{90000 + n}", payers[n % 3] if n % 2 else None) for n in range(lines)]
        content = build_1c_statement(docs, OURS)
        seen: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            seen.append(statement)

        engine = app.extensions["db_engine"]
        event.listen(engine, "before_cursor_execute", count)
        try:
            result = import_statement(db, content, "statement.txt", None)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert result.lines_new == result.lines_to_review == lines
        # SQLite gets one INSERT per row (it cannot order RETURNING rows; PostgreSQL batches them).
        return len([statement for statement in seen if not statement.startswith("INSERT")])

    assert statements_for(3) == statements_for(30)


@pytest.mark.parametrize(
    "broken, expected",
    [
        ({"amount": "12,5,0"}, "сума «12,5,0» не є числом"),
        ({"date": "31.02.2026"}, "дата «31.02.2026» не у форматі"),
    ],
)
def test_a_malformed_file_stores_nothing_and_names_the_line(db, ctx, customer, invoice_for, broken, expected):
    invoice = invoice_for(customer)
    good = doc("300.00", f"Оплата рах. {invoice.number}", customer.company)
    content = build_1c_statement([good, {**doc("1.00", "x", None), **broken}], OURS)
    line = content.decode("cp1251").split("\r\n").index(f"Сумма={broken['amount']}" if "amount" in broken else f"Дата={broken['date']}") + 1
    before = {model: count(db, model) for model in (BankStatement, Payment, Allocation, OutboxEvent)}

    with pytest.raises(DomainError) as refused:
        import_statement(db, content, "statement.txt", None)

    assert refused.value.message.startswith(f"Рядок {line}: ") and expected in refused.value.message
    assert refused.value.field == "file"
    assert {model: count(db, model) for model in before} == before
    assert invoice.status == "open"


def test_the_statement_file_is_kept_in_the_file_store(app, db, ctx, customer, invoice_for):
    invoice = invoice_for(customer)
    content = build_csv_statement([doc("300.00", f"Оплата рах. {invoice.number}", customer.company)], "cp1251",
                                  our_account=OURS)
    result = import_statement(db, content, "грудень.csv", None)
    stored = db.get(BankStatement, result.statement.id).file
    assert (stored.name, stored.content_type, stored.size) == ("грудень.csv", "text/csv", len(content))
    assert stored.sha256 == hashlib.sha256(content).hexdigest() == result.statement.content_sha256
    assert stored.key.endswith(stored.sha256) and read_file(stored) == content
    assert (Path(app.config["FILES_DIR"]) / stored.key).read_bytes() == content


def test_a_refused_statement_leaves_no_file_record(db, ctx, customer):
    content = build_1c_statement([doc("1.00", "x", None)], iban("305299", "26001055500001"))  # not our account
    before = count(db, StoredFile)
    with pytest.raises(DomainError):
        import_statement(db, content, "theirs.txt", None)
    assert count(db, StoredFile) == before


def test_not_a_statement_at_all(db, ctx):
    with pytest.raises(DomainError) as refused:
        import_statement(db, b"PK\x03\x04 an xlsx", "statement.xlsx", None)
    assert "не текстовий файл виписки" in refused.value.message
    assert count(db, BankStatement) == 0


# --- rule 1: the invoice number in the purpose -------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["Оплата рах. {year}-{seq:05d} від 18.11.2026", "Оплата згідно № {year}-{seq}", "рахунок {year}/{seq:05d}, ПДВ 50,00",
     "Сплата за рахунком №{year} / {seq}", "рах.{year}-{seq}"],
)
def test_the_invoice_number_may_be_written_in_several_ways(db, ctx, customer, invoice_for, written):
    invoice = invoice_for(customer)
    paying = doc("300.00", written.format(year=invoice.year, seq=invoice.seq), None)  # payer code not given

    result = run(db, [paying])

    assert result.lines_matched == 1 and invoice.status == "paid"
    assert payment_of(db, paying).company_id == customer.company_id


def test_numbers_that_are_not_invoice_numbers():
    assert invoice_numbers("Оплата рах. 2026-00042 та 2026/7, ПДВ 20%") == [(2026, 42), (2026, 7)]
    assert invoice_numbers("від 2026-11-18, дог. 18.11.2026-1, р/р UA213052990000026007233566001") == []
    assert invoice_numbers("рах. 42 від 18.11.2026") == []
    assert loose_numbers("рах. 42 від 18.11.2026; № 17") == {42, 17}
    assert loose_numbers("рахунок № 2026-00042") == set()


def test_a_number_without_the_year_does_not_move_money(db, ctx, customer, invoice_for):
    invoice = invoice_for(customer)
    vague = doc("300.00", f"Оплата рах. {invoice.seq} від 18.11.2026", None)

    result = run(db, [vague])

    assert result.lines_matched == 0 and invoice.status == "open"
    payment = payment_of(db, vague)
    assert payment.needs_review
    assert suggestions(db, payment)[0].invoice.id == invoice.id  # but it does rank the suggestion


def test_an_overpayment_pays_the_invoice_and_waits_with_the_surplus(db, ctx, customer, invoice_for):
    invoice = invoice_for(customer)
    paying = doc("350.00", f"Оплата рах. {invoice.number}", customer.company)

    result = run(db, [paying])

    assert (result.lines_matched, result.lines_to_review) == (1, 1)
    payment = payment_of(db, paying)
    assert invoice.status == "paid" and payment.unallocated == Decimal("50.00")
    assert payment.needs_review and payment.review_reason == f"Переплата: 50,00\u00a0грн не розподілено після оплати рахунку № {invoice.number}"


def test_an_underpayment_pays_part_of_the_invoice(db, ctx, customer, invoice_for):
    invoice = invoice_for(customer)
    run(db, [doc("100.00", f"Оплата рах. {invoice.number}", customer.company)])
    assert (invoice.status, invoice.paid_amount) == ("open", Decimal("100.00"))


def test_a_payer_of_another_company_naming_our_invoice_waits_for_a_person(db, ctx, customer, other, invoice_for):
    invoice = invoice_for(customer)
    paying = doc("300.00", f"Оплата рах. {invoice.number}", other.company)

    result = run(db, [paying])

    assert result.lines_matched == 0 and invoice.status == "open"
    payment = payment_of(db, paying)
    assert payment.needs_review and payment.company_id == other.company_id and payment.allocations == []
    assert payment.review_reason == f"Платник (ЄДРПОУ {other.company.tax_id}) — інший контрагент, ніж у рахунку № {invoice.number}"


def test_a_number_naming_a_paid_invoice_is_a_possible_double_payment(db, ctx, customer, invoice_for):
    invoice = invoice_for(customer)
    newer = invoice_for(customer)
    run(db, [doc("300.00", f"Оплата рах. {invoice.number}", customer.company)])

    second = doc("300.00", f"Оплата рах. {invoice.number} (повторно)", customer.company)
    run(db, [second])

    payment = payment_of(db, second)
    assert payment.needs_review and "можлива повторна оплата" in payment.review_reason
    assert newer.status == "open"  # the other rules do not take over a named invoice


def test_one_payment_for_two_named_invoices_emits_an_event_per_allocation(db, ctx, customer, invoice_for):
    first, second = invoice_for(customer, "300.00"), invoice_for(customer, "200.00")
    paying = doc("500.00", f"Оплата рах. {first.number}, {second.number}", customer.company)

    run(db, [paying])

    payment = payment_of(db, paying)
    assert first.status == second.status == "paid" and not payment.needs_review
    events = db.scalars(
        select(OutboxEvent).where(OutboxEvent.topic == "payment.received").order_by(OutboxEvent.id)
    ).all()
    ours = [e.payload for e in events if e.payload["payment_id"] == payment.id]
    assert [(p["invoice_id"], p["amount"], p["source"], p["invoice_paid"]) for p in ours] == [
        (first.id, "300.00", "bank", True), (second.id, "200.00", "bank", True)
    ]
    assert {p["invoice_id"] for p in ours} == {a.invoice_id for a in payment.allocations}


def test_two_lines_for_one_invoice_in_one_file(db, ctx, customer, invoice_for):
    invoice = invoice_for(customer)
    first = doc("300.00", f"Оплата рах. {invoice.number}", customer.company)
    second = doc("300.00", f"Оплата рах. {invoice.number}", customer.company)

    result = run(db, [first, second])

    assert (result.lines_matched, result.lines_to_review) == (1, 1)
    assert payment_of(db, second).review_reason.endswith("можлива повторна оплата")


# --- rules 2 and 3: the payer's code -----------------------------------------------------


def test_the_payer_code_and_an_amount_equal_to_one_open_invoice(db, ctx, customer, invoice_for):
    older, exact = invoice_for(customer, "300.00"), invoice_for(customer, "420.00")
    due_in(db, (older, -5), (exact, 10))

    result = run(db, [doc("420.00", "Оплата за каву", customer.company)])

    assert result.lines_matched == 1
    assert exact.status == "paid" and older.status == "open"


def test_a_known_payer_with_several_open_invoices_pays_the_oldest_due_first(db, ctx, customer, invoice_for):
    later, oldest, middle = (invoice_for(customer) for _ in range(3))
    due_in(db, (later, 10), (oldest, -20), (middle, -2))
    paying = doc("450.00", "Оплата за товар", customer.company)

    run(db, [paying])

    assert (oldest.status, middle.paid_amount, later.paid_amount) == ("paid", Decimal("150.00"), Decimal("0.00"))
    payment = payment_of(db, paying)
    assert not payment.needs_review and "найстаріші першими" in payment.history[0].note


def test_more_than_all_open_invoices_leaves_the_rest_for_review(db, ctx, customer, invoice_for):
    one, two = invoice_for(customer, "100.00"), invoice_for(customer, "200.00")
    paying = doc("1000.00", "Оплата", customer.company)

    run(db, [paying])

    payment = payment_of(db, paying)
    assert one.status == two.status == "paid"
    assert payment.unallocated == Decimal("700.00") and payment.review_reason.startswith("Переплата: 700,00\u00a0грн")


@pytest.mark.parametrize("switched_off", ["for everyone", "by the company"])
def test_oldest_first_can_be_switched_off(app, db, ctx, customer, invoice_for, monkeypatch, switched_off):
    one, two = invoice_for(customer, "100.00"), invoice_for(customer, "200.00")
    if switched_off == "for everyone":
        monkeypatch.setitem(app.config, "BANK_AUTO_ALLOCATE_OLDEST", False)
    else:
        customer.company.pay_oldest_first = False
        db.flush()
    exact = doc("200.00", "Оплата", customer.company)
    vague = doc("250.00", "Оплата", customer.company)

    result = run(db, [exact, vague])

    assert (result.lines_matched, result.lines_to_review) == (1, 1)
    assert two.status == "paid" and one.status == "open"  # the exact amount is still rule 2
    assert "автоматичний розподіл вимкнено" in payment_of(db, vague).review_reason


def test_a_known_payer_without_open_invoices(db, ctx, customer):
    paying = doc("500.00", "Аванс за наступну поставку", customer.company)
    run(db, [paying])
    payment = payment_of(db, paying)
    assert payment.needs_review and payment.company_id == customer.company_id
    assert payment.review_reason.startswith("У контрагента немає відкритих рахунків")


def test_an_unknown_payer_code_waits_in_the_queue(db, ctx, customer, invoice_for):
    invoice_for(customer)
    paying = doc("300.00", "Оплата за товар", None, payer_tax_id="38457218")
    run(db, [paying])
    payment = payment_of(db, paying)
    assert payment.needs_review and payment.company_id is None and payment.allocations == []
    assert payment.review_reason == "Платника з ЄДРПОУ 38457218 немає серед контрагентів, номера рахунку в призначенні немає"


def test_matcher_alone_keeps_track_of_what_each_invoice_still_owes():
    facts = [InvoiceFacts(1, 2026, 1, 10, date(2026, 11, 1), Decimal("100.00")),
             InvoiceFacts(2, 2026, 2, 10, date(2026, 11, 5), Decimal("100.00"))]
    matcher = Matcher({"12345678": 10}, facts, oldest_first={10})
    assert matcher.match(Decimal("100.00"), "12345678", "").plan == ((1, Decimal("100.00")),)  # two equal: not rule 2
    assert matcher.match(Decimal("100.00"), "12345678", "").plan == ((2, Decimal("100.00")),)
    assert matcher.match(Decimal("100.00"), "12345678", "").review_reason.startswith("У контрагента немає")


# --- suggestions for the queue -------------------------------------------------------------


def waiting(db: Any, amount: str, purpose: str, company: Any = None, payer_tax_id: str = "") -> Payment:
    """A payment in the queue, as the importer leaves one the rules could not place."""
    payment = Payment(
        source="bank", external_id=f"test-{next(_doc_numbers)}", company_id=company.id if company else None,
        amount=Decimal(amount), paid_on=kyiv_today(), payer_tax_id=payer_tax_id, purpose=purpose,
        needs_review=True, review_reason="Перевірити",
    )
    set_payment_status(payment, "succeeded", "test")
    db.add(payment)
    db.flush()
    return payment


def test_suggestions_rank_number_amount_payer_and_due_date(db, ctx, customer, other, invoice_for):
    named, exact = invoice_for(customer, "900.00"), invoice_for(customer, "250.00")
    near, far, foreign = invoice_for(customer), invoice_for(customer), invoice_for(other, "250.00")
    due_in(db, (named, 40), (exact, 30), (near, 0), (far, 60), (foreign, 0))
    payment = waiting(db, "250.00", f"Оплата рах. {named.seq} та передоплата", customer.company)

    ranked = suggestions(db, payment)

    assert [s.invoice.id for s in ranked] == [exact.id, named.id, near.id, far.id]
    assert foreign.id not in [s.invoice.id for s in ranked]  # a known payer's money pays only its invoices
    assert [s.score for s in ranked] == [65, 45, 35, 25]
    assert ranked[0].reasons == ["рахунок цього платника", "сума збігається з несплаченою частиною"]
    assert ranked[1].reasons[0] == f"у призначенні є номер {named.seq}, але без року"
    assert "строк оплати поруч з датою платежу" in ranked[2].reasons
    assert [s.invoice.id for s in suggestions(db, payment, limit=2)] == [exact.id, named.id]


def test_suggestions_for_an_unknown_payer_look_at_numbers_and_amounts(db, ctx, customer, other, invoice_for):
    named = invoice_for(customer, "900.00")
    close, same_amount = invoice_for(customer, "130.00"), invoice_for(other, "123.45")
    invoice_for(other, "999.00")
    paid = invoice_for(other, "123.45")
    run(db, [doc("123.45", f"Оплата рах. {paid.number}", None)])
    payment = waiting(db, "123.45", f"Оплата {named.number}, {paid.number}", payer_tax_id="38457219")

    ranked = suggestions(db, payment)

    assert [s.invoice.id for s in ranked] == [named.id, same_amount.id]  # not the paid one, not the unrelated
    assert ranked[0].reasons[0] == "номер рахунку в призначенні платежу"
    assert close.id not in [s.invoice.id for s in ranked]  # 5 % off is not "close"


def test_suggestions_of_a_payer_known_only_by_code(db, ctx, customer, invoice_for):
    mine = invoice_for(customer, "500.00")
    due_in(db, (mine, 60))
    payment = waiting(db, "480.00", "Оплата", payer_tax_id=customer.company.tax_id)

    (only,) = suggestions(db, payment)

    assert only.invoice.id == mine.id
    assert only.reasons == ["рахунок цього платника", "сума близька: різниця 20,00\u00a0грн"]
