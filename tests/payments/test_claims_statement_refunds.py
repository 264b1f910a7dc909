"""Bank-transfer claims, the statement of account, and refunds through LiqPay."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest

from core.clock import kyiv_today
from core.errors import DomainError
from core.files.services import read_file
from core.outbox import OutboxEvent, deliver
from payments.allocation import set_payment_status
from payments.claims import confirm_claim, matching_payments, reject_claim
from payments.models import Payment, PaymentClaim, Refund
from payments.refunds import request_refund
from tests.conftest import login
from tests.payments.conftest import invoices_of, liqpay_form, pay_by_hand

PDF = b"%PDF-1.4 payment order"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 20


def _claim(client, for_invoice=None, **fields):
    data = {"paid_on": kyiv_today().isoformat(), "amount": "300,00", "invoice": for_invoice.id if for_invoice else 0,
            "proof": (io.BytesIO(PDF), "doruchennia.pdf", "application/pdf"), **fields}
    return client.post("/invoices/claim", data=data, content_type="multipart/form-data")


def _bank_line(db, company, amount="300.00", days_ago=1, tax_id=None):
    payment = Payment(source="bank", external_id=f"fp-{amount}-{days_ago}-{tax_id}", amount=Decimal(amount),
                      paid_on=kyiv_today() - timedelta(days=days_ago), payer_tax_id=tax_id or company.tax_id,
                      needs_review=True, review_reason="Не знайдено рахунок")
    db.add(payment)
    set_payment_status(payment, "succeeded", "Імпорт виписки")
    db.flush()
    return payment


def test_a_claim_with_proof_is_confirmed_in_one_click_against_the_statement_line(
    client, ctx, db, customer, confirmed_order, make_staff
):
    (invoice,) = invoices_of(db, confirmed_order(customer))
    db.commit()
    login(client, customer.email)
    assert _claim(client, invoice).status_code == 302
    claim = db.query(PaymentClaim).one()
    assert (claim.amount, claim.invoice_id, claim.file.name, claim.file.content_type) == (
        Decimal("300.00"), invoice.id, "doruchennia.pdf", "application/pdf")
    assert read_file(claim.file) == PDF and claim.file.size == len(PDF)
    assert matching_payments(db, [claim]) == {claim.id: []}  # the statement has not come yet

    stranger_line = _bank_line(db, customer.company, tax_id="12345678")
    line = _bank_line(db, customer.company)
    assert matching_payments(db, [claim])[claim.id] == [line]
    with pytest.raises(DomainError):
        confirm_claim(db, claim, stranger_line, make_staff("accountant"))
    confirm_claim(db, claim, line, make_staff("accountant"))
    assert invoice.status == "paid" and not line.needs_review and claim.status == "confirmed"
    with pytest.raises(DomainError):
        reject_claim(db, claim, make_staff("manager"), "пізно")


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"proof": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "order.pdf", "application/pdf")}, "PDF або фото"),
        ({"proof": (io.BytesIO(b"hello"), "note.txt", "text/plain")}, "PDF або фото"),
        ({"amount": "abc"}, "суму числом"),
        ({"amount": "-5"}, "Вкажіть суму платежу"),
        ({"paid_on": (kyiv_today() + timedelta(days=1)).isoformat()}, "не пізніше сьогодні"),
        ({"invoice": 999999}, "Рахунок не знайдено"),
    ],
)
def test_a_bad_claim_says_why_and_stores_nothing(client, db, customer, fields, message):
    login(client, customer.email)
    answer = _claim(client, **fields)
    assert answer.status_code == 400 and message in answer.get_data(as_text=True)
    assert db.query(PaymentClaim).count() == 0


def test_a_claim_with_a_photo_is_accepted(client, db, customer):
    login(client, customer.email)
    assert _claim(client, proof=(io.BytesIO(PNG), "photo.png", "image/png")).status_code == 302


def test_the_statement_of_account_as_pdf_and_xlsx(client, db, customer, confirmed_order):
    first, second = (invoices_of(db, confirmed_order(customer))[0] for _ in range(2))
    first.issued_on -= timedelta(days=40)
    pay_by_hand(db, first)
    db.commit()
    login(client, customer.email)
    today = kyiv_today()
    query = {"date_from": (today - timedelta(days=60)).isoformat(), "date_to": today.isoformat()}
    pdf = client.get("/statement", query_string=query)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    xlsx = client.get("/statement", query_string={**query, "fmt": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    text = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
    assert f"Рахунок № {first.number}" in text and f"Рахунок № {second.number}" in text
    numbers = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, (int, float))]
    assert numbers.count(300) >= 3  # two invoices as debit, the payment as credit; closing 300
    later = client.get("/statement", query_string={**query, "date_from": (today - timedelta(days=10)).isoformat(), "fmt": "xlsx"})
    opening = [row for row in openpyxl.load_workbook(io.BytesIO(later.data)).active.iter_rows(values_only=True)
               if any(isinstance(c, str) and c.startswith("Сальдо") for c in row)][0]
    assert 0 in opening or None in opening  # the old invoice and its payment cancel out before the period
    bad = client.get("/statement", query_string={"date_from": today.isoformat(), "date_to": (today - timedelta(days=1)).isoformat()})
    assert bad.status_code == 400 and "раніше за початок" in bad.get_data(as_text=True)


def test_a_refund_goes_out_through_the_outbox_and_reopens_the_invoice(live, app, db, customer, confirmed_order, make_staff, browser):
    (invoice,) = invoices_of(db, confirmed_order(customer))
    live.pay(liqpay_form(browser(customer).post("/invoices/pay", data={"invoice": [invoice.id]}).text))
    db.expire_all()
    payment = db.query(Payment).filter_by(source="liqpay").one()
    with app.test_request_context():
        with pytest.raises(DomainError):
            request_refund(db, payment, None, "Повернення товару", make_staff("manager"))  # not their job
        with pytest.raises(DomainError):
            request_refund(db, payment, Decimal("500"), "Повернення товару", make_staff("accountant"))
        refund = request_refund(db, payment, None, "Повернення товару", make_staff("accountant"))
        assert refund.amount == Decimal("300.00") and refund.status == "requested"
        event = db.query(OutboxEvent).filter_by(topic="payment.refund_requested").one()
        db.commit()
        deliver(db, event.id)
        deliver(db, event.id)  # a redelivery asks LiqPay nothing more
    db.expire_all()
    assert db.get(Refund, refund.id).status == "done"
    assert payment.status == "reversed" and invoice.status == "open"
    assert len(live.payments(payment.checkout.reference)[0]["callbacks"]) >= 2
