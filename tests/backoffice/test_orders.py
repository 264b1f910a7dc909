from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from core.orders.models import Order, OrderStatusChange
from core.outbox import OutboxEvent
from tests.conftest import login


def listed(response):
    html = response.get_data(as_text=True)
    found = []
    for chunk in html.split('href="/staff/orders/')[1:]:
        order_id, _, _ = chunk.partition('">')
        if order_id.isdigit():
            found.append(int(order_id))
    return found


@pytest.fixture
def orders_world(make_product, make_company, make_staff, make_order):
    make_product()
    anna, petro = make_staff("manager", full_name="Анна"), make_staff("manager", full_name="Петро")
    cafe = make_company("ТОВ «Кафе Ромашка»", manager_id=anna.id)
    shop = make_company("ФОП Коваль", sole=True, manager_id=petro.id)
    return {
        "anna": anna,
        "petro": petro,
        "cafe": cafe,
        "shop": shop,
        "cafe_new": make_order(cafe, status="submitted", channel="portal"),
        "cafe_phone": make_order(cafe, status="confirmed", channel="phone"),
        "shop_new": make_order(shop, status="submitted", channel="viber"),
        # 22:30 UTC on 10 Jan is already 11 Jan in Kyiv (UTC+2 in winter).
        "shop_old": make_order(
            shop, status="delivered", channel="email", created_at=datetime(2026, 1, 10, 22, 30, tzinfo=timezone.utc)
        ),
    }


def test_list_shows_every_order_newest_first(client, as_staff, orders_world):
    as_staff("lawyer")  # any staff member may look
    ids = listed(client.get("/staff/orders"))
    w = orders_world
    assert ids[-1] == w["shop_old"].id
    assert set(ids) == {w[k].id for k in ("cafe_new", "cafe_phone", "shop_new", "shop_old")}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status=submitted", {"cafe_new", "shop_new"}),
        ("channel=phone", {"cafe_phone"}),
        ("company=ромашка", {"cafe_new", "cafe_phone"}),  # lower-case Cyrillic finds "Ромашка"
        ("status=submitted&company=коваль", {"shop_new"}),
        ("date_from=2026-01-11&date_to=2026-01-11", {"shop_old"}),
        ("date_to=2026-01-10", set()),
    ],
)
def test_filters(client, as_staff, orders_world, query, expected):
    as_staff("manager")
    ids = set(listed(client.get(f"/staff/orders?{query}")))
    assert ids == {orders_world[k].id for k in expected}


def test_filter_by_manager_and_by_company_id(client, as_staff, orders_world):
    w = orders_world
    as_staff("head_of_sales")
    assert set(listed(client.get(f"/staff/orders?manager={w['petro'].id}"))) == {w["shop_new"].id, w["shop_old"].id}
    assert set(listed(client.get(f"/staff/orders?company_id={w['cafe'].id}"))) == {w["cafe_new"].id, w["cafe_phone"].id}


def test_a_manager_sees_all_orders_unless_only_mine_is_ticked(client, orders_world):
    anna = orders_world["anna"]
    assert login(client, anna.email, staff=True).status_code == 302
    assert len(listed(client.get("/staff/orders"))) == 4
    mine = set(listed(client.get("/staff/orders?mine=y")))
    assert mine == {orders_world["cafe_new"].id, orders_world["cafe_phone"].id}


def test_a_wrong_filter_is_reported_not_applied(client, as_staff, orders_world):
    as_staff("manager")
    response = client.get("/staff/orders?date_from=2026-02-30&status=submitted")
    assert response.status_code == 200
    assert set(listed(response)) == {orders_world["cafe_new"].id, orders_world["shop_new"].id}
    reversed_range = client.get("/staff/orders?date_from=2026-02-01&date_to=2026-01-01")
    assert "Кінцева дата раніша за початкову." in reversed_range.get_data(as_text=True)


def test_list_is_paged_by_50(client, as_staff, make_product, make_company, make_order):
    make_product()
    company = make_company()
    for _ in range(53):
        make_order(company)
    as_staff("manager")
    first, second = client.get("/staff/orders"), client.get("/staff/orders?page=2")
    assert len(listed(first)) == 50 and len(listed(second)) == 3
    assert not set(listed(first)) & set(listed(second))
    assert "page=2" in first.get_data(as_text=True)


def test_order_page_shows_lines_delivery_and_history(client, as_staff, orders_world):
    as_staff("accountant")
    order = orders_world["cafe_new"]
    html = client.get(f"/staff/orders/{order.id}").get_data(as_text=True)
    assert f"Замовлення №{order.number}" in html
    assert "Кава зернова" in html and "Кафе на Подолі" in html
    assert "Історія статусів" in html and "Покупець" in html and "Клієнт" in html


def test_unknown_order_is_404(client, as_staff):
    as_staff("manager")
    assert client.get("/staff/orders/999999").status_code == 404
    assert client.post("/staff/orders/999999/status", data={"target": "confirmed"}).status_code == 404


def test_status_buttons_follow_the_transition_table(client, as_staff, orders_world):
    as_staff("manager")
    html = client.get(f"/staff/orders/{orders_world['cafe_new'].id}").get_data(as_text=True)
    assert 'value="confirmed"' in html and 'value="cancelled"' in html and 'value="shipped"' not in html
    delivered = client.get(f"/staff/orders/{orders_world['shop_old'].id}").get_data(as_text=True)
    assert 'name="target"' not in delivered


def test_confirming_writes_history_with_the_department_and_an_event(client, db, as_staff, orders_world):
    manager = as_staff("manager", full_name="Олена Продаж")
    order = orders_world["cafe_new"]
    response = client.post(f"/staff/orders/{order.id}/status", data={"target": "confirmed", "note": "передзвонила"})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Order, order.id).status == "confirmed"
    change = db.scalars(select(OrderStatusChange).where(OrderStatusChange.order_id == order.id).order_by(OrderStatusChange.id.desc())).first()
    assert (change.from_status, change.to_status) == ("submitted", "confirmed")
    assert (change.actor_kind, change.actor_name, change.department, change.note) == ("staff", manager.full_name, "sales", "передзвонила")
    assert db.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic == "order.confirmed")) == 1


def test_an_illegal_move_shows_the_reason_and_changes_nothing(client, db, as_staff, orders_world):
    as_staff("manager")
    order = orders_world["cafe_new"]
    history_before = db.scalar(select(func.count()).select_from(OrderStatusChange).where(OrderStatusChange.order_id == order.id))
    for target in ("delivered", "submitted", "no-such-status"):
        response = client.post(f"/staff/orders/{order.id}/status", data={"target": target})
        assert response.status_code == 400
        assert "Замовлення в цьому статусі не можна змінити так." in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Order, order.id).status == "submitted"
    history_after = db.scalar(select(func.count()).select_from(OrderStatusChange).where(OrderStatusChange.order_id == order.id))
    assert history_after == history_before
    assert db.scalar(select(func.count()).select_from(OutboxEvent)) == 0


def test_only_sales_roles_move_orders(client, db, as_staff, orders_world):
    as_staff("lawyer")
    order = orders_world["cafe_new"]
    assert client.post(f"/staff/orders/{order.id}/status", data={"target": "confirmed"}).status_code == 403
    db.expire_all()
    assert db.get(Order, order.id).status == "submitted"
