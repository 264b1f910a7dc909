"""The whole order path across both sides: a customer orders, the manager sees it at
once and walks it to delivery; every step is in the history and raised its event."""
from decimal import Decimal

from sqlalchemy import select

from core.orders.models import Order
from core.outbox import OutboxEvent
from tests.conftest import login


def test_customer_order_reaches_the_manager_and_walks_to_delivery(app, client, db, make_company, make_user,
                                                                   make_staff, make_product):
    manager = make_staff("manager", full_name="Ірина Бондар")
    # Deferred terms: confirming releases the order for shipment (prepayment would wait for the money).
    company = make_company("ТОВ «Зерно і Крафт»", manager_id=manager.id, payment_terms="deferred",
                           deferral_days=14, credit_limit=Decimal("50000"))
    buyer = make_user(company, full_name="Олег Петренко")
    coffee = make_product("Кава зернова Арабіка 1 кг", sku="CF-1", pack="6", prices={"wholesale": "455.50"})
    milk = make_product("Молоко 2,5% 1 л", sku="DA-1", pack="12", prices={"wholesale": "41.20"})

    login(client, buyer.phone)
    assert 'data-sku="CF-1"' in client.get("/?q=арабіка").get_data(as_text=True)
    client.post("/cart/add", data={"product_id": coffee.id, "quantity": "5"})  # snaps to 6
    client.post("/quick-order/confirm", data={"items": f"{milk.id}:24"})
    cart_page = client.get("/cart").get_data(as_text=True)
    key = cart_page.split('name="idempotency_key" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/checkout", data={"idempotency_key": key, "delivery_point": company.delivery_points[0].id, "comment": "До 9:00"}
    )
    order_id = int(response.headers["Location"].rsplit("/", 1)[1])

    staff = app.test_client()
    login(staff, manager.email, staff=True)
    listing = staff.get("/staff/orders", query_string={"mine": "y", "status": "submitted"}).get_data(as_text=True)
    assert f"/staff/orders/{order_id}" in listing and "Зерно і Крафт" in listing
    for target in ("confirmed", "assembling", "shipped", "delivered"):
        moved = staff.post(f"/staff/orders/{order_id}/status", data={"target": target, "note": ""})
        assert moved.status_code == 302, target

    order = db.get(Order, order_id)
    db.refresh(order)
    assert order.status == "delivered" and order.channel == "portal" and order.manager_id == manager.id
    assert order.total == Decimal("3721.80")  # 6 x 455.50 + 24 x 41.20
    history = [(h.to_status, h.actor_name, h.department) for h in order.history]
    assert history == [
        ("submitted", "Олег Петренко", "customer"),
        ("confirmed", "Ірина Бондар", "sales"),
        ("confirmed", "Фінанси", "accounting"),  # released: deferred terms
        ("assembling", "Ірина Бондар", "sales"),
        ("shipped", "Ірина Бондар", "sales"),
        ("delivered", "Ірина Бондар", "sales"),
    ]
    topics = db.scalars(
        select(OutboxEvent.topic).where(OutboxEvent.topic.like("order.%")).order_by(OutboxEvent.id)
    ).all()
    assert topics[-6:] == [
        "order.submitted", "order.confirmed", "order.released", "order.assembling", "order.shipped", "order.delivered"
    ]
    assert "Доставлене" in client.get(f"/orders/{order_id}").get_data(as_text=True)
