"""The backoffice's money pages: holds, claims, debts after the ladder, promotions,
the company card, refunds; and who may use them."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

from core import outbox
from core.clock import kyiv_today
from core.orders.models import Promotion
from payments.dunning import run_ladder
from payments.models import CollectionTask, PaymentClaim
from tests.conftest import login
from tests.payments.conftest import backdate, invoices_of


def _staff(app, make_staff, role):
    client = app.test_client()
    person = make_staff(role)
    assert login(client, person.email, staff=True).status_code == 302
    return client, person


def test_a_held_order_is_listed_and_released_with_a_reason(app, db, make_company, make_user, make_staff, confirmed_order):
    user = make_user(make_company("ТОВ «Борг і Ко»", payment_terms="deferred", deferral_days=5, credit_limit=Decimal("100")))
    held = confirmed_order(user)
    db.commit()
    client, _ = _staff(app, make_staff, "manager")
    listing = client.get("/staff/holds").get_data(as_text=True)
    assert "Борг і Ко" in listing and "кредитний ліміт" in listing
    page = client.get(f"/staff/orders/{held.id}").get_data(as_text=True)
    assert 'data-test="hold"' in page
    refused = client.post(f"/staff/orders/{held.id}/status", data={"target": "confirmed", "note": ""})
    assert refused.status_code == 400 and "Вкажіть причину рішення" in refused.get_data(as_text=True)
    assert client.post(f"/staff/orders/{held.id}/status", data={"target": "confirmed", "note": "Гарантія власника"}).status_code == 302
    db.expire_all()
    assert held.status == "confirmed" and len(invoices_of(db, held)) == 1
    assert "Усі замовлення погоджено" in client.get("/staff/holds").get_data(as_text=True)


def test_claims_queue_confirms_and_rejects(app, client, db, customer, confirmed_order, make_staff):
    from tests.payments.test_claims_statement_refunds import PDF, _bank_line

    (invoice,) = invoices_of(db, confirmed_order(customer))
    db.commit()
    login(client, customer.email)
    for amount in ("300,00", "55,00"):
        client.post("/invoices/claim", content_type="multipart/form-data", data={
            "paid_on": kyiv_today().isoformat(), "amount": amount, "invoice": invoice.id,
            "proof": (io.BytesIO(PDF), "order.pdf", "application/pdf")})
    line = _bank_line(db, customer.company)
    db.commit()
    staff, _ = _staff(app, make_staff, "accountant")
    queue = staff.get("/staff/claims").get_data(as_text=True)
    assert queue.count('data-test="claim"') == 2 and "Рядка виписки з такою сумою ще немає" in queue
    first, second = db.query(PaymentClaim).order_by(PaymentClaim.id).all()
    assert staff.get(f"/staff/claims/{first.id}/proof").data == PDF
    assert staff.post(f"/staff/claims/{first.id}/confirm", data={"payment_id": line.id}).status_code == 302
    assert staff.post(f"/staff/claims/{second.id}/reject", data={"reason": ""}).status_code == 302
    db.expire_all()
    assert (first.status, second.status, invoice.status) == ("confirmed", "open", "paid")
    staff.post(f"/staff/claims/{second.id}/reject", data={"reason": "Такого платежу немає"})
    db.expire_all()
    assert second.status == "rejected"


def test_debts_after_the_ladder_are_worked_and_closed(app, ctx, db, customer, confirmed_order, make_staff):
    (invoice,) = invoices_of(db, confirmed_order(customer))
    run_ladder(db, invoice.due_on + timedelta(days=8))
    db.commit()
    client, person = _staff(app, make_staff, "manager")
    assert invoice.number in client.get("/staff/collections").get_data(as_text=True)
    task = db.query(CollectionTask).one()
    assert client.post(f"/staff/collections/{task.id}/close", data={"reason": "Оплатять у п'ятницю"}).status_code == 302
    db.expire_all()
    assert task.closed_by == person.full_name and task.note == "Оплатять у п'ятницю"


def test_promotions_are_created_by_the_head_of_sales_with_bad_input_refused(app, db, make_staff):
    client, _ = _staff(app, make_staff, "head_of_sales")
    today = kyiv_today()
    good = {"name": "Грудень онлайн", "kind": "online_order", "percent": "5", "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=30)).isoformat(), "is_active": "y"}
    for bad, message in (({"percent": "75"}, "менше 50"), ({"percent": "п'ять"}, "Вкажіть число"),
                         ({"ends_on": (today - timedelta(days=1)).isoformat()}, "раніше за початок")):
        answer = client.post("/staff/promotions", data={**good, **bad})
        assert answer.status_code == 400 and message in answer.get_data(as_text=True)
    assert db.query(Promotion).count() == 0
    assert client.post("/staff/promotions", data=good).status_code == 302
    promotion = db.query(Promotion).one()
    client.post(f"/staff/promotions/{promotion.id}/toggle")
    db.expire_all()
    assert not promotion.is_active
    manager, _ = _staff(app, make_staff, "manager")
    assert manager.get("/staff/promotions").status_code == 403


def test_the_company_card_shows_debt_aging_and_invoices(app, db, customer, confirmed_order, make_staff):
    (invoice,) = invoices_of(db, confirmed_order(customer))
    backdate(db, invoice, 45)
    db.commit()
    client, _ = _staff(app, make_staff, "manager")
    page = client.get(f"/staff/companies/{customer.company_id}").get_data(as_text=True)
    assert 'data-test="company-money"' in page and invoice.number in page and "31–60" in page


def test_money_pages_refuse_the_wrong_people(app, client, db, customer, make_staff):
    lawyer, _ = _staff(app, make_staff, "lawyer")
    for url in ("/staff/claims", "/staff/collections", "/staff/promotions", "/staff/holds"):
        assert lawyer.get(url).status_code == 403, url
    login(client, customer.email)
    assert client.get("/staff/claims").status_code == 302  # a customer is sent to the staff login


def test_a_refund_is_asked_for_on_the_payment_page_and_a_refusal_is_recorded(app, live, db, customer, make_staff):
    from payments.allocation import set_payment_status
    from payments.models import Payment, Refund

    payment = Payment(source="liqpay", external_id="4242", amount=Decimal("300.00"), company_id=customer.company_id,
                      paid_on=kyiv_today(), details={"order_id": "inv-unknown-to-liqpay"})
    db.add(payment)
    set_payment_status(payment, "succeeded", "LiqPay")
    db.commit()
    manager, _ = _staff(app, make_staff, "manager")
    assert manager.post(f"/staff/payments/{payment.id}/refund", data={"reason": "Брак"}).status_code == 403
    accountant, person = _staff(app, make_staff, "accountant")
    assert 'data-test="refunds"' in accountant.get(f"/staff/payments/{payment.id}").get_data(as_text=True)
    too_much = accountant.post(f"/staff/payments/{payment.id}/refund", data={"amount": "301", "reason": "Брак"})
    assert too_much.status_code == 400 and "від 0,01 до 300,00" in too_much.get_data(as_text=True)
    assert db.query(Refund).count() == 0
    done = accountant.post(f"/staff/payments/{payment.id}/refund", data={"amount": "100,00", "reason": "Брак партії"})
    assert done.status_code == 302
    refund = db.query(Refund).one()
    # LiqPay is never asked inside the request: the relay thread (or the sweep) does it.
    assert (refund.amount, refund.requested_by, refund.status) == (Decimal("100.00"), person.full_name, "requested")
    db.commit()  # the requests wrote on the test's connection, inside its session's savepoint
    with app.app_context():
        outbox.sweep(db)
    assert db.query(Refund).one().status == "failed"  # LiqPay knows no such payment
    assert "payment_not_found" in refund.provider_answer
