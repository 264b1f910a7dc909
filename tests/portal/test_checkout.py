from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from core.orders.models import CartItem, Order
from core.outbox import OutboxEvent
from tests.topics import delivered_in_request


def _fill_cart(client, *products, quantity="2"):
    for product in products:
        client.post("/cart/add", data={"product_id": product.id, "quantity": quantity})


def _checkout(client, company, key="key-1", **extra):
    data = {"idempotency_key": key, "delivery_point": company.delivery_points[0].id, "comment": "Після 10:00"}
    data.update(extra)
    return client.post("/checkout", data=data)


def _orders(db, company):
    return db.scalar(select(func.count()).select_from(Order).where(Order.company_id == company.id))


def test_submit_creates_the_order_with_snapshot_prices_history_and_event(logged_in, customer, make_product, db):
    a = make_product("Кава", prices={"wholesale": "455.50"}, vat="20.00")
    b = make_product("Молоко", prices={"wholesale": "41.20"}, vat="20.00", pack="12")
    _fill_cart(logged_in, a, b)
    response = _checkout(logged_in, customer.company, desired_date=(date.today() + timedelta(days=2)).isoformat())
    assert response.status_code == 302
    order = db.scalar(select(Order).where(Order.company_id == customer.company_id))
    assert order.status == "submitted" and order.channel == "portal"
    assert order.total == Decimal("1405.40")  # 2 x 455.50 + 12 x 41.20
    assert order.vat_total == Decimal("234.23")
    assert [h.to_status for h in order.history] == ["submitted"]
    assert order.history[0].department == "customer"
    assert db.scalar(select(func.count()).select_from(CartItem).where(CartItem.user_id == customer.id)) == 0
    event = db.scalar(select(OutboxEvent).where(OutboxEvent.topic == "order.submitted").order_by(OutboxEvent.id.desc()))
    assert event.payload["order_id"] == order.id and delivered_in_request(db, event)


def test_resent_form_creates_one_order(logged_in, customer, make_product, db):
    _fill_cart(logged_in, make_product())
    first = _checkout(logged_in, customer.company, key="same-key")
    second = _checkout(logged_in, customer.company, key="same-key")
    assert first.headers["Location"] == second.headers["Location"]
    assert _orders(db, customer.company) == 1
    assert "вже прийнято" in logged_in.get(second.headers["Location"]).get_data(as_text=True)


def test_bad_checkout_inputs_change_nothing(logged_in, customer, make_product, make_company, db):
    _fill_cart(logged_in, make_product())
    other_point = make_company().delivery_points[0]
    cases = [
        ({"delivery_point": other_point.id}, "Оберіть точку доставки зі списку."),
        ({"delivery_point": "abc"}, ""),
        ({"desired_date": (date.today() - timedelta(days=3)).isoformat()}, "не може бути в минулому"),
        ({"idempotency_key": ""}, ""),
        ({"comment": "x" * 2001}, ""),
    ]
    for extra, message in cases:
        response = _checkout(logged_in, customer.company, **extra)
        assert response.status_code == 400, extra
        assert message in response.get_data(as_text=True)
    assert _orders(db, customer.company) == 0
    assert db.scalar(select(func.count()).select_from(CartItem).where(CartItem.user_id == customer.id)) == 1


def test_empty_cart_cannot_be_submitted(logged_in, customer, db):
    response = _checkout(logged_in, customer.company)
    assert response.status_code == 400 and "Кошик порожній." in response.get_data(as_text=True)
    assert _orders(db, customer.company) == 0


def test_accountant_sees_but_cannot_submit(client, make_company, make_user, make_product, db):
    from tests.conftest import login

    company = make_company()
    accountant = make_user(company, role="accountant")
    login(client, accountant.email)
    _fill_cart(client, make_product())
    assert "роль не дозволяє" in client.get("/cart").get_data(as_text=True)
    assert _checkout(client, company).status_code == 403
    assert _orders(db, company) == 0


def test_order_history_repeat_and_cancel(logged_in, customer, make_product, db):
    product = make_product(pack="6")
    _fill_cart(logged_in, product, quantity="6")
    order_url = _checkout(logged_in, customer.company).headers["Location"]
    order_id = int(order_url.rsplit("/", 1)[1])
    assert f"/orders/{order_id}" in logged_in.get("/orders").get_data(as_text=True)
    logged_in.post(f"/orders/{order_id}/repeat")
    assert db.scalar(select(CartItem.quantity).where(CartItem.user_id == customer.id)) == Decimal("6")
    logged_in.post(f"/orders/{order_id}/cancel")
    order = db.get(Order, order_id)
    db.refresh(order)
    assert order.status == "cancelled" and [h.to_status for h in order.history] == ["submitted", "cancelled"]
    again = logged_in.post(f"/orders/{order_id}/cancel", follow_redirects=True)
    assert "не можна змінити" in again.get_data(as_text=True)


def test_right_after_checkout_a_held_order_says_why_and_what_to_do(logged_in, customer, make_product, confirmed_order, db):
    """#10.16: the page the checkout lands on names the overdue amount and offers to pay it."""
    from tests.payments.conftest import backdate, invoices_of

    backdate(db, invoices_of(db, confirmed_order(customer))[0], 40)
    db.commit()
    _fill_cart(logged_in, make_product())
    landed = logged_in.get(_checkout(logged_in, customer.company).headers["location"])
    page = landed.get_data(as_text=True).replace("\xa0", " ").replace("\u202f", " ")
    assert 'data-test="hold"' in page and "Прострочена заборгованість 300,00" in page
    assert "Сплатіть прострочені 300,00" in page and 'data-test="pay-overdue"' in page


def test_the_customer_sees_the_release_for_shipment_not_a_second_confirmation(
        logged_in, customer, confirmed_order, db):
    """#10.19: a history row that keeps the status is the release, as on the staff page."""
    from core.orders.services import release_for_shipment

    order = confirmed_order(customer)  # prepayment: confirmed, then released once paid
    release_for_shipment(db, order, "")
    db.commit()

    def history(language, heading):
        logged_in.get(f"/lang/{language}")
        page = logged_in.get(f"/orders/{order.id}").get_data(as_text=True)
        return page[page.index(f"<h2>{heading}</h2>"):]

    ukrainian = history("uk", "Історія")
    assert ukrainian.count("Підтверджене") == 1 and "Відпущено до відвантаження" in ukrainian
    english = history("en", "History")
    assert english.count("Confirmed") == 1 and "Released for shipment" in english
