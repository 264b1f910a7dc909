"""The bank side of the backoffice over HTTP: statement import, the queue of payments
waiting for a person, and settling one with a click."""
from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import event, func, select

from core.orders import states
from core.orders.services import Actor, change_status, submit_order
from core.outbox import OutboxEvent
from payments.bank.importer import import_statement
from payments.bank.samples import build_1c_statement, iban
from payments.invoices import invoices_of_order
from payments.models import Allocation, BankStatement, Invoice, Payment
from tests.conftest import login

OURS = iban("300465", "26002012345678")
_numbers = itertools.count(1)


def doc(amount: str, purpose: str, payer: Any = None) -> dict[str, Any]:
    return {
        "number": f"B{next(_numbers)}", "date": date(2026, 11, 20), "amount": Decimal(amount),
        "payer_name": payer.name if payer is not None else "Іван Платник", "payer_tax_id": payer.tax_id if payer is not None else "",
        "payer_account": iban("305299", "26001055500001"), "purpose": purpose,
    }


def upload(client: Any, content: bytes, name: str = "statement.txt") -> Any:
    return client.post(
        "/staff/payments/import", data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data"
    )


def count(db: Any, model: Any) -> int:
    return db.scalar(select(func.count()).select_from(model))


def text(response: Any) -> str:
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\u00a0", " ")


@pytest.fixture
def open_invoice(app: Any, db: Any, make_product: Callable[..., Any], make_staff: Callable[..., Any]) -> Callable[..., Invoice]:
    """The invoice a confirmed prepaid order gets, for `price` (one item)."""
    manager = make_staff("manager")

    def make(user: Any, price: str = "300.00") -> Invoice:
        product = make_product(prices={"wholesale": price})
        with app.test_request_context():  # the invoice follows the app's payment settings
            order = submit_order(
                db, user.company, [(product.id, Decimal("1"))], actor=Actor.of(user), idempotency_key=uuid4().hex,
                delivery_point_id=user.company.delivery_points[0].id,
            ).order
            change_status(db, order, states.CONFIRMED, Actor.of(manager))
        (invoice,) = invoices_of_order(db, order.id)
        return invoice

    return make


@pytest.fixture
def imported(app: Any, db: Any) -> Callable[..., list[Payment]]:
    """Payments as a statement import leaves them (matched or waiting), newest file last."""

    def run(*docs: dict[str, Any]) -> list[Payment]:
        with app.test_request_context():
            import_statement(db, build_1c_statement(list(docs), OURS), "earlier.txt", None)
        numbers = [d["number"] for d in docs]
        found = {p.details["doc_number"]: p for p in db.scalars(select(Payment).where(Payment.source == "bank"))}
        return [found[n] for n in numbers]

    return run


@pytest.fixture
def other(make_company: Callable[..., Any], make_user: Callable[..., Any]) -> Any:
    return make_user(make_company("ТОВ «Інший Клієнт»"))


# --- import -------------------------------------------------------------------------------


def test_import_page_imports_matches_and_reports(client, db, as_staff, customer, open_invoice):
    invoice = open_invoice(customer)
    accountant = as_staff("accountant", full_name="Олена Бухгалтер")
    assert "Імпортувати" in text(client.get("/staff/payments/import"))
    content = build_1c_statement(
        [doc("300.00", f"Оплата рах. {invoice.number}", customer.company), doc("99.00", "Внесок")], OURS
    )

    answer = upload(client, content, "kl_to_1c.txt")

    assert answer.status_code == 200
    page = text(answer)
    assert "Виписку «kl_to_1c.txt» імпортовано" in page
    assert '<div class="number">1</div>зараховано на рахунки' in page
    assert '<div class="number">1</div>чекають розбору' in page
    db.expire_all()
    assert invoice.status == "paid"
    statement = db.scalars(select(BankStatement)).one()
    assert statement.imported_by_staff_id == accountant.id and statement.lines_new == 2
    assert db.scalars(select(Allocation)).one().allocated_by == "Олена Бухгалтер"
    # The file as uploaded is linked from the list of imports and downloads unchanged.
    assert f'/staff/payments/statements/{statement.id}/file' in text(client.get("/staff/payments/import"))
    download = client.get(f"/staff/payments/statements/{statement.id}/file")
    assert download.data == content and "attachment" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    again = upload(client, content, "kl_to_1c.txt")
    assert again.status_code == 400 and "Цю виписку вже імпортовано" in text(again)
    assert count(db, Payment) == 2 and count(db, BankStatement) == 1


def test_a_broken_file_shows_its_line_and_stores_nothing(client, db, as_staff, customer, open_invoice):
    invoice = open_invoice(customer)
    as_staff("head_of_sales")
    content = build_1c_statement(
        [doc("300.00", f"Оплата рах. {invoice.number}", customer.company), {**doc("1.00", "x"), "amount": "сто"}], OURS
    )
    line = content.decode("cp1251").split("\r\n").index("Сумма=сто") + 1

    answer = upload(client, content)

    assert answer.status_code == 400
    assert f"Рядок {line}: сума «сто» не є числом" in text(answer)
    assert (count(db, BankStatement), count(db, Payment), count(db, Allocation)) == (0, 0, 0)
    db.expire_all()
    assert invoice.status == "open"


def test_the_import_asks_for_a_file(client, db, as_staff):
    as_staff("accountant")
    answer = client.post("/staff/payments/import", data={}, content_type="multipart/form-data")
    assert answer.status_code == 400 and "Оберіть файл виписки." in text(answer)


def test_a_file_over_the_size_limit_is_refused(app, client, db, as_staff, monkeypatch):
    as_staff("accountant")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    answer = upload(client, build_1c_statement([doc("1.00", "x" * 2000)], OURS))
    assert answer.status_code == 413 and count(db, BankStatement) == 0


# --- the queue ------------------------------------------------------------------------------


def listed(response: Any) -> list[int]:
    found = []
    for chunk in response.get_data(as_text=True).split('href="/staff/payments/')[1:]:
        payment_id, _, _ = chunk.partition('"')
        if payment_id.isdigit():
            found.append(int(payment_id))
    return found


def test_the_queue_lists_what_waits_newest_first_with_suggestions(client, db, as_staff, customer, other, open_invoice, imported, make_staff):
    invoice = open_invoice(customer, "450.00")
    anna = make_staff("manager", full_name="Анна")
    customer.company.manager_id = anna.id
    paid, unknown = imported(doc("450.00", f"Оплата рах. {invoice.number}", customer.company), doc("450.00", "За каву"))
    (mine,) = imported(doc("100.00", "Аванс", customer.company))
    (foreign,) = imported(doc("75.00", "Аванс", other.company))

    assert login(client, anna.email, staff=True).status_code == 302
    page = client.get("/staff/payments/queue")

    assert page.status_code == 200
    assert listed(page) == [foreign.id, mine.id, unknown.id]  # a manager sees every company's
    html = text(page)
    assert "ЄДРПОУ платника не вказано" in html and "Іван Платник" in html
    assert listed(client.get("/staff/payments/queue?mine=y")) == [mine.id]
    assert paid.id not in listed(page)


def test_the_queue_page_does_not_query_per_payment(app, client, db, as_staff, customer, other, open_invoice, imported):
    open_invoice(customer)
    as_staff("accountant")
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    def queries_with(more: int) -> int:
        payers = (customer.company, other.company, None)
        imported(*(doc(f"{n + 1}.25", f"Оплата № {n}", payers[n % 3]) for n in range(more)))
        statements.clear()
        event.listen(app.extensions["db_engine"], "before_cursor_execute", count)
        try:
            assert client.get("/staff/payments/queue").status_code == 200
        finally:
            event.remove(app.extensions["db_engine"], "before_cursor_execute", count)
        return len(statements)

    assert queries_with(2) == queries_with(10)


def test_one_click_allocation_settles_the_invoice_and_clears_the_flag(client, db, as_staff, customer, open_invoice, imported):
    invoice = open_invoice(customer, "450.00")
    (payment,) = imported(doc("450.00", f"Оплата рах. {invoice.seq} від 20.11.2026"))  # no year: waits
    assert payment.needs_review
    manager = as_staff("manager", full_name="Петро Менеджер")

    page = text(client.get(f"/staff/payments/{payment.id}"))
    assert f"Зарахувати на № {invoice.number}" in page and "без року" in page

    answer = client.post(f"/staff/payments/{payment.id}/allocate", data={"invoice_id": invoice.id})

    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/staff/payments/{payment.id}")
    assert f"Зараховано 450,00 грн на рахунок № {invoice.number}." in text(client.get(answer.headers["Location"]))
    db.expire_all()
    assert invoice.status == "paid" and not payment.needs_review and payment.unallocated == 0
    assert payment.company_id == customer.company_id
    (allocation,) = payment.allocations
    assert allocation.allocated_by == manager.full_name
    assert db.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic == "payment.received")) == 1
    assert payment.id not in listed(client.get("/staff/payments/queue"))


def test_a_manager_cannot_allocate_to_another_companys_invoice(client, db, as_staff, customer, other, open_invoice, imported):
    theirs = open_invoice(other)
    (payment,) = imported(doc("500.00", "Аванс", customer.company))  # known payer, no open invoices
    as_staff("manager")
    page = text(client.get(f"/staff/payments/{payment.id}"))
    assert 'name="reason"' not in page and "може бухгалтер або керівник продажів" in page

    answer = client.post(f"/staff/payments/{payment.id}/allocate-number",
                         data={"number": theirs.number, "reason": "Платить за філію"})

    assert answer.status_code == 400
    assert f"Рахунок № {theirs.number} належить іншому клієнту." in text(answer)
    db.expire_all()
    assert theirs.status == "open" and payment.needs_review and payment.allocations == []


@pytest.mark.parametrize("role", ["accountant", "head_of_sales"])
def test_an_accountant_allocates_to_any_companys_invoice_with_a_reason(
    client, db, as_staff, customer, other, open_invoice, imported, role
):
    theirs = open_invoice(other, "300.00")
    (payment,) = imported(doc("500.00", "Аванс", customer.company))  # known payer, no open invoices
    person = as_staff(role, full_name="Ольга Облік")
    assert 'name="reason"' in text(client.get(f"/staff/payments/{payment.id}"))

    for reason in ("", "   "):
        refused = client.post(f"/staff/payments/{payment.id}/allocate-number", data={"number": theirs.number, "reason": reason})
        assert refused.status_code == 400
        assert f"Рахунок № {theirs.number} належить іншому клієнту (ТОВ «Інший Клієнт»): вкажіть" in text(refused)
    db.expire_all()
    assert theirs.status == "open" and payment.allocations == []

    answer = client.post(f"/staff/payments/{payment.id}/allocate-number",
                         data={"number": theirs.number, "reason": " Материнська компанія платить за філію "})

    assert answer.status_code == 302
    db.expire_all()
    assert theirs.status == "paid" and payment.unallocated == Decimal("200.00") and payment.needs_review
    assert payment.company_id == customer.company_id  # the money is still the payer's
    (allocation,) = payment.allocations
    assert (allocation.allocated_by, allocation.note) == (person.full_name, "Материнська компанія платить за філію")
    event = db.scalars(select(OutboxEvent).where(OutboxEvent.topic == "payment.received")).one()
    assert event.payload["company_id"] == other.company_id
    page = text(client.get(f"/staff/payments/{payment.id}"))
    assert "ТОВ «Інший Клієнт»: Материнська компанія платить за філію" in page


@pytest.mark.parametrize(
    "typed, message",
    [("", "Вкажіть номер рахунку, наприклад 2026-00042."), ("42", "Вкажіть номер рахунку повністю, з роком"),
     ("2026-99999", "Рахунку № 2026-99999 немає.")],
)
def test_a_typed_number_must_name_an_invoice(client, db, as_staff, customer, imported, typed, message):
    (payment,) = imported(doc("500.00", "Аванс", customer.company))
    as_staff("manager")
    answer = client.post(f"/staff/payments/{payment.id}/allocate-number", data={"number": typed})
    assert answer.status_code == 400 and message in text(answer)
    assert count(db, Allocation) == 0


def test_part_of_a_payment_to_a_typed_invoice_keeps_it_in_the_queue(client, db, as_staff, customer, open_invoice, imported):
    (payment,) = imported(doc("500.00", "Аванс", customer.company))
    invoice = open_invoice(customer, "800.00")
    as_staff("head_of_sales")

    answer = client.post(
        f"/staff/payments/{payment.id}/allocate-number", data={"number": f"{invoice.year}/{invoice.seq}", "amount": "200,50"}
    )

    assert answer.status_code == 302
    db.expire_all()
    assert invoice.paid_amount == Decimal("200.50") and payment.unallocated == Decimal("299.50")
    assert payment.needs_review  # money is left: it still waits

    refused = client.post(f"/staff/payments/{payment.id}/allocate-number", data={"number": invoice.number, "amount": "-5"})
    assert refused.status_code == 400 and "Сума має бути більшою за нуль." in text(refused)


def test_marking_a_payment_handled_keeps_it_and_says_why(client, db, as_staff, imported):
    (payment,) = imported(doc("75.00", "Повернення займу"))
    as_staff("accountant", full_name="Олена Бухгалтер")

    empty = client.post(f"/staff/payments/{payment.id}/handled", data={"note": "  "})
    assert empty.status_code == 400 and "Напишіть, що зроблено з цим платежем." in text(empty)

    answer = client.post(f"/staff/payments/{payment.id}/handled", data={"note": "Не наш: повернуто платнику"})

    assert answer.status_code == 302
    db.expire_all()
    assert not payment.needs_review and payment.allocations == []
    assert payment.details["handled"]["note"] == "Не наш: повернуто платнику"
    assert payment.details["handled"]["by"] == "Олена Бухгалтер"
    assert "Не наш: повернуто платнику" in text(client.get(f"/staff/payments/{payment.id}"))
    again = client.post(f"/staff/payments/{payment.id}/handled", data={"note": "ще раз"})
    assert again.status_code == 400 and "Цей платіж уже розібрано." in text(again)


def test_a_one_click_for_an_invoice_that_is_gone(client, db, as_staff, imported):
    (payment,) = imported(doc("75.00", "x"))
    as_staff("manager")
    answer = client.post(f"/staff/payments/{payment.id}/allocate", data={"invoice_id": 999999})
    assert answer.status_code == 400 and "Рахунок не знайдено." in text(answer)
    missing = client.post(f"/staff/payments/{payment.id}/allocate", data={})
    assert missing.status_code == 400 and "Форма застаріла" in text(missing)


# --- who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/staff/payments/queue", "/staff/payments/import", "/staff/payments/{id}"])
def test_a_lawyer_gets_403(client, db, as_staff, imported, path):
    (payment,) = imported(doc("75.00", "x"))
    as_staff("lawyer")
    assert client.get(path.format(id=payment.id)).status_code == 403
    assert client.post(f"/staff/payments/{payment.id}/handled", data={"note": "x"}).status_code == 403


def test_a_manager_works_the_queue_but_does_not_import(client, db, as_staff):
    as_staff("manager")
    assert client.get("/staff/payments/queue").status_code == 200
    assert client.get("/staff/payments/import").status_code == 403


def test_a_customer_is_sent_to_the_login(logged_in, db, imported):
    (payment,) = imported(doc("75.00", "x"))
    for path in ("/staff/payments/queue", "/staff/payments/import", f"/staff/payments/{payment.id}"):
        answer = logged_in.get(path)
        assert answer.status_code == 302 and "login" in answer.headers["Location"]
    answer = logged_in.post(f"/staff/payments/{payment.id}/allocate", data={"invoice_id": 1})
    assert answer.status_code == 302 and count(db, Allocation) == 0


def test_a_missing_payment_is_404(client, db, as_staff):
    as_staff("accountant")
    assert client.get("/staff/payments/999999").status_code == 404


def test_the_pages_speak_english_when_asked(client, db, as_staff, customer, open_invoice, imported):
    invoice = open_invoice(customer)
    (payment,) = imported(doc("300.00", f"Оплата рах. {invoice.seq}"))
    as_staff("accountant")
    client.get("/lang/en")
    assert "Payments to sort out" in text(client.get("/staff/payments/queue"))
    page = text(client.get(f"/staff/payments/{payment.id}"))
    assert f"Allocate to No. {invoice.number}" in page and "the purpose has the number" in page
    assert "Statement file" in text(client.get("/staff/payments/import"))


def test_the_statement_size_limit_the_page_states_is_the_one_enforced(app, client, db, as_staff):
    as_staff("accountant")
    limit = app.config["BANK_STATEMENT_MAX_MB"]
    assert f"до {limit} МБ" in text(client.get("/staff/payments/import"))
    content = build_1c_statement([doc("1.00", "x")], OURS)
    answer = upload(client, content + b"\r\n" * ((limit * 1024 * 1024 - len(content)) // 2 + 1))
    assert answer.status_code == 400 and f"Файл завеликий: до {limit} МБ." in text(answer)
    assert count(db, BankStatement) == 0
