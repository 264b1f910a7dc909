"""An order discounted twice (the online-order promotion and registering in Vchasno) names
each discount apart wherever it is read: the order pages in the reader's language, the
invoice, 1C's sale file and web service order, and the promotion's own report."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

from alembic import command
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.catalog.models import Product
from core.cli import alembic_config
from core.clock import kyiv_today, utcnow
from core.customers.models import Company
from core.db import make_engine
from core.money import ZERO
from core.orders.discounts import online_order_reason, take_off
from core.orders.models import Order, OrderLine, Promotion
from core.reasons import Reason, reason_text
from edo.discount import REGISTRATION_DISCOUNT
from edo.models import RegistrationIncentive
from onec.exchange.sale_query import write_orders
from onec.push import order_document
from payments.invoice_document import invoice_pdf_source
from payments.promotion_report import promotion_reports
from tests.conftest import login
from tests.own_database import own_database, seed_customers  # noqa: F401  (a fixture)
from tests.payments.conftest import invoices_of

NBSP = "\xa0"


def spring(db: Any) -> Promotion:
    today = kyiv_today()
    promotion = Promotion(name="Весна", kind="online_order", percent=Decimal("5"), is_active=True,
                          starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=30))
    db.add(promotion)
    db.flush()
    return promotion


def test_both_discounts_are_named_apart_everywhere_an_order_is_read(
    app: Flask, db: Any, client: Any, make_company: Any, make_user: Any, confirmed_order: Any,
) -> None:
    promotion = spring(db)
    user = make_user(make_company(), role="owner")
    db.add(RegistrationIncentive(company_id=user.company_id, percent=Decimal("2.5"), registered_at=utcnow()))
    db.flush()
    order = confirmed_order(user)  # 3 × 100.00 through the portal
    assert [(d.code, d.name, d.amount) for d in order.discounts] == [
        ("discount.online_order", "Знижка «Весна» 5 % за замовлення онлайн", Decimal("15.00")),
        ("discount.vchasno_registration", "Знижка 2,5 % за реєстрацію у Вчасно", Decimal("7.50")),
    ]
    assert (order.discount_amount, order.total, order.promotion_id) == (Decimal("22.50"), Decimal("277.50"), promotion.id)

    (report,) = promotion_reports(db, [promotion])
    assert (report.orders, report.order_discount) == (1, Decimal("15.00"))  # not Vchasno's 7.50 too

    with app.test_request_context():  # the invoice's pay link is a URL of the app
        (invoice,) = invoices_of(db, order)
        assert invoice.amount == Decimal("277.50")
        assert invoice_pdf_source(invoice)[0].discount_note == (
            f"Знижка «Весна» 5 % за замовлення онлайн: −15,00{NBSP}грн; Знижка 2,5 % за реєстрацію у Вчасно: −7,50{NBSP}грн"
            f" (сума рядків 300,00{NBSP}грн)"
        )

        sale = ElementTree.fromstring(write_orders(db, [order], version="2.08", encoding="utf-8"))
        given = [(d.findtext("Наименование"), d.findtext("Сумма")) for d in sale.iter("Скидка")]
        assert given == [("Знижка «Весна» 5 % за замовлення онлайн", "15.00"), ("Знижка 2,5 % за реєстрацію у Вчасно", "7.50")]

        for line in order.lines:
            db.get(Product, line.product_id).onec_guid = f"guid-{line.product_id}"
        pushed = order_document(db, order)
        assert pushed["Comment"].startswith(
            "Враховано в цінах: Знижка «Весна» 5 % за замовлення онлайн — 15.00 грн;"
            " Знижка 2,5 % за реєстрацію у Вчасно — 7.50 грн. "
        )
        assert pushed["Amount"] == Decimal("277.50")  # both spread over the prices

    db.commit()
    assert login(client, user.email).status_code == 302
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f'<p class="totals">Знижка «Весна» 5 % за замовлення онлайн: −15,00{NBSP}грн</p>' in page
    assert f'<p class="totals">Знижка 2,5 % за реєстрацію у Вчасно: −7,50{NBSP}грн</p>' in page
    client.get("/lang/en")
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Discount “Весна” 5 % for ordering online: −" in page
    assert "Discount 2.5 % for registering in Vchasno: −" in page

    client.get("/lang/uk")
    assert login(client, confirmed_order.manager.email, staff=True).status_code == 302
    page = client.get(f"/staff/orders/{order.id}").get_data(as_text=True)
    assert f'<p class="totals">Знижка «Весна» 5 % за замовлення онлайн: −15,00{NBSP}грн</p>' in page
    assert f'<p class="totals">Знижка 2,5 % за реєстрацію у Вчасно: −7,50{NBSP}грн</p>' in page


def test_discounts_never_take_the_total_below_zero(app: Flask) -> None:
    """Each giver takes a percent of the goods: two of them may add up past the goods."""
    order = Order(total=Decimal("100.00"), vat_total=Decimal("16.67"), discount_amount=ZERO, discounts=[])
    promotion = Promotion(name="Осінь", kind="online_order", percent=Decimal("45"))
    with app.app_context():
        assert take_off(order, online_order_reason(promotion), Decimal("45.00")) == Decimal("45.00")
        assert order.vat_total == Decimal("9.17")
        assert take_off(order, Reason(REGISTRATION_DISCOUNT, {"percent": "60"}), Decimal("60.00")) == Decimal("55.00")
        assert take_off(order, Reason(REGISTRATION_DISCOUNT, {"percent": "1"}), Decimal("1.00")) == ZERO
    assert (order.total, order.vat_total, order.discount_amount) == (ZERO, ZERO, Decimal("100.00"))
    assert [d.amount for d in order.discounts] == [Decimal("45.00"), Decimal("55.00")]


def test_migration_0026_splits_the_sums_of_orders_discounted_before_it(app: Flask, own_database: str) -> None:  # noqa: F811
    """Before 0026 an order held one sum: the promotion's percent of the lines, then
    Vchasno's (its incentive names the order); what neither explains keeps the plain name,
    told in the reader's language."""
    seed_customers(own_database, 1, Decimal("1"))
    engine = make_engine(own_database)
    with Session(engine) as session:
        company = session.scalars(select(Company)).one()
        product_id = session.scalars(select(Product.id)).one()
        today = kyiv_today()
        promotion = Promotion(name="Весна", kind="online_order", percent=Decimal("5"), is_active=True,
                              starts_on=today, ends_on=today)
        session.add(promotion)
        session.flush()

        def order(key: str, discount: str, promotion_id: int | None) -> Order:
            made = Order(company_id=company.id, status="confirmed", idempotency_key=key, total=Decimal("300.00") - Decimal(discount),
                         vat_total=ZERO, discount_amount=Decimal(discount), promotion_id=promotion_id, history=[], discounts=[])
            made.lines.append(OrderLine(product_id=product_id, sku="ML-6", name="Молоко 1 л", unit="шт", quantity=Decimal("3"),
                                        price=Decimal("100.00"), vat_rate=Decimal("20.00"), amount=Decimal("300.00")))
            session.add(made)
            session.flush()
            return made

        both, promoted = order("a", "22.50", promotion.id), order("b", "15.00", promotion.id)
        # Cancelled after Vchasno's discount: the incentive went back to the company.
        returned, returned_promoted = order("c", "9.00", None), order("d", "22.50", promotion.id)
        session.add(RegistrationIncentive(company_id=company.id, percent=Decimal("2.5"), registered_at=utcnow(),
                                          used_order_id=both.id, used_at=utcnow()))
        session.commit()
        ids = (both.id, promoted.id, returned.id, returned_promoted.id)
    config = alembic_config(own_database)
    command.downgrade(config, "0025")
    command.upgrade(config, "head")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT order_id, code, name, amount FROM order_discount ORDER BY id")).all()
    promoted_part = ("discount.online_order", "Знижка «Весна» 5 % за замовлення онлайн", Decimal("15.00"))
    assert [(ids.index(r[0]), r[1], r[2], Decimal(r[3])) for r in rows] == [
        (0, *promoted_part), (0, "discount.vchasno_registration", "Знижка 2,5 % за реєстрацію у Вчасно", Decimal("7.50")),
        (1, *promoted_part),
        (2, "discount", "Знижка", Decimal("9.00")),
        (3, *promoted_part), (3, "discount", "Знижка", Decimal("7.50")),
    ]
    with Session(engine) as session:
        first, second = session.get(Order, ids[0]).discounts
        assert (first.params, second.params) == ({"promotion": "Весна", "percent": "5"}, {"percent": "2.5"})
        plain = session.get(Order, ids[2]).discounts[0]
    with app.test_request_context(), force_locale("en"):
        assert reason_text(second.code, second.params, second.name) == "Discount 2.5 % for registering in Vchasno"
        assert reason_text(plain.code, plain.params, plain.name) == "Discount"
    engine.dispose()
