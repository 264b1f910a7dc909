"""The cart's warning and the hold at submit are one rule (payments.receivables.credit_hold):
whatever the cart says before submit is what happens to the order."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.clock import kyiv_today
from core.orders.models import Order, Promotion
from core.orders.promotions import ONLINE_ORDER
from payments.receivables import Balance
from tests.conftest import login
from tests.payments.conftest import backdate, invoices_of

OVER_LIMIT = "Замовлення перевищує доступний кредит"
OVERDUE = "Є прострочена заборгованість"

CASES = {
    # name: (payment terms, credit limit, days the earlier 300,00 invoice is overdue, cart price, online discount %, warning)
    "exactly at the limit": ("deferred", "600.00", None, "300.00", None, None),
    "a kopiyka over the limit": ("deferred", "599.99", None, "300.00", None, OVER_LIMIT),
    "a zero limit is no credit": ("deferred", "0.00", "no debt", "300.00", None, OVER_LIMIT),
    "prepayment has no limit": ("prepayment", "0.00", "no debt", "300.00", None, None),
    "overdue debt within the limit": ("deferred", "100000.00", 40, "300.00", None, OVERDUE),
    "the online discount keeps it within": ("deferred", "600.00", None, "310.00", "5", None),
    "over the limit even after the discount": ("deferred", "600.00", None, "320.00", "5", OVER_LIMIT),
}


@pytest.mark.parametrize("case", CASES)
def test_the_cart_warns_exactly_when_the_submit_holds(case, client, db, make_company, make_user, make_product,
                                                      confirmed_order):
    terms, limit, overdue_days, price, discount, warning = CASES[case]
    user = make_user(make_company(payment_terms=terms, deferral_days=10, credit_limit=Decimal(limit)))
    if overdue_days != "no debt":
        (invoice,) = invoices_of(db, confirmed_order(user))
        if overdue_days:
            backdate(db, invoice, overdue_days)
    if discount:
        today = kyiv_today()
        db.add(Promotion(name="Онлайн", kind=ONLINE_ORDER, percent=Decimal(discount), is_active=True,
                         starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1)))
    db.commit()
    login(client, user.email)
    client.post("/cart/add", data={"product_id": make_product(prices={"wholesale": price}).id, "quantity": "1"})

    page = client.get("/cart").get_data(as_text=True)
    warned = next((w for w in (OVER_LIMIT, OVERDUE) if w in page), None)
    client.post("/checkout", data={"idempotency_key": case, "delivery_point": user.company.delivery_points[0].id})
    order = db.scalars(select(Order).where(Order.company_id == user.company_id).order_by(Order.id.desc())).first()

    assert warned == warning
    assert order.status == ("on_hold" if warning else "submitted")


def test_reaching_the_limit_exactly_is_within_it_and_prepayment_has_none():
    balance = Balance(credit_limit=Decimal("600.00"), debt=Decimal("300.00"), overdue=Decimal("0.00"),
                      uninvoiced=Decimal("300.00"), uses_credit=True)
    assert not balance.over_limit() and balance.over_limit(Decimal("0.01"))
    assert balance.available_credit == Decimal("0.00")
    no_credit = Balance(Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), uses_credit=False)
    assert not no_credit.over_limit(Decimal("1000000.00"))
