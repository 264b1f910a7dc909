"""Promotions: ordering online and paying online, visibly, never both, and reported."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from core.clock import kyiv_today
from core.orders.models import Promotion
from payments.card import start_checkout
from payments.models import Payment
from payments.promotion_report import promotion_reports
from tests.conftest import login
from tests.payments.conftest import checkout_payload, invoices_of, liqpay_form


@pytest.fixture
def promotion(db):
    def make(kind: str, percent: str, days_ago: int = 1, days_left: int = 30, active: bool = True) -> Promotion:
        today = kyiv_today()
        found = Promotion(name=f"Акція {kind}", kind=kind, percent=Decimal(percent), is_active=active,
                          starts_on=today - timedelta(days=days_ago), ends_on=today + timedelta(days=days_left))
        db.add(found)
        db.flush()
        return found

    return make


def test_an_online_order_gets_the_discount_and_its_invoice_says_so(db, customer, confirmed_order, promotion):
    online = promotion("online_order", "5")
    order = confirmed_order(customer)  # 3 x 100.00 through the portal channel
    assert (order.discount_amount, order.total, order.promotion_id) == (Decimal("15.00"), Decimal("285.00"), online.id)
    assert order.vat_total == Decimal("47.50")  # the VAT part shrinks with the total
    (invoice,) = invoices_of(db, order)
    assert invoice.amount == Decimal("285.00")


def test_an_order_taken_by_phone_gets_no_online_discount(db, app, customer, promotion, make_product):
    from core.orders.services import Actor, submit_order

    promotion("online_order", "5")
    with app.test_request_context():
        order = submit_order(db, customer.company, [(make_product().id, Decimal("1"))], actor=Actor.of(customer),
                             idempotency_key="phone-1", delivery_point_id=customer.company.delivery_points[0].id,
                             channel="phone").order
    assert order.discount_amount == 0 and order.total == Decimal("100.00")


def test_expired_inactive_and_overlapping_promotions(db, customer, confirmed_order, promotion):
    promotion("online_order", "9", days_ago=30, days_left=-1)  # over yesterday
    promotion("online_order", "8", active=False)
    promotion("online_order", "3")
    promotion("online_order", "4")  # the most generous applies, they do not add up
    assert confirmed_order(customer).discount_amount == Decimal("12.00")


def test_paying_online_takes_the_discount_off_and_writes_it_off_once_paid(live, db, customer, confirmed_order, promotion, browser):
    pay_promo = promotion("online_payment", "2")
    order = confirmed_order(customer)
    (invoice,) = invoices_of(db, order)
    page = browser(customer).get(f"/pay/{invoice.pay_token}").text.replace("\xa0", " ")
    assert "До сплати 294,00 грн замість 300,00 грн" in page
    form = liqpay_form(browser(customer).post("/invoices/pay", data={"invoice": [invoice.id]}).text)
    assert checkout_payload(form)["amount"] == "294.00"
    live.pay(form)
    db.expire_all()
    assert invoice.status == "paid" and invoice.paid_amount == Decimal("300.00")
    write_off = db.query(Payment).filter_by(source="discount").one()
    assert write_off.amount == Decimal("6.00") and write_off.allocations[0].invoice_id == invoice.id
    (report,) = promotion_reports(db, [pay_promo])
    assert (report.payments, report.payment_discount) == (1, Decimal("6.00"))


def test_an_order_with_the_online_order_discount_gets_no_payment_discount(app, db, customer, confirmed_order, promotion):
    order_promo = promotion("online_order", "5")
    promotion("online_payment", "2")
    (invoice,) = invoices_of(db, confirmed_order(customer))
    with app.test_request_context():
        checkout = start_checkout(db, customer.company, [invoice])
    assert checkout.amount == Decimal("285.00") and checkout.items[0].discount == 0
    (report,) = promotion_reports(db, [order_promo])
    assert (report.orders, report.order_discount) == (1, Decimal("15.00"))


def test_the_cart_shows_the_discount_before_submit(client, db, customer, promotion, make_product):
    promotion("online_order", "5")
    db.commit()
    login(client, customer.email)
    client.post("/cart/add", data={"product_id": make_product().id, "quantity": "2"})
    page = client.get("/cart").get_data(as_text=True).replace("\xa0", " ")
    assert "за замовлення онлайн: −10,00 грн" in page and "До сплати 190,00 грн" in page
