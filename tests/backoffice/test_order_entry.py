import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.clock import kyiv_today
from core.customers.models import DeliveryPoint
from core.orders.models import Order


def order_count(db):
    return db.scalar(select(func.count()).select_from(Order))


def idempotency_key(html):
    return re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]+)"', html).group(1)


@pytest.fixture
def phone_order(client, db, as_staff, make_company, make_product):
    """A manager at the entry form of one company, with two products in the catalog."""
    manager = as_staff("manager")
    company = make_company("ТОВ «Кафе Ромашка»", manager_id=manager.id)
    coffee = make_product("Кава зернова", sku="COF-1", pack="6")
    tea = make_product("Чай чорний", sku="TEA-1")
    point = db.scalar(select(DeliveryPoint).where(DeliveryPoint.company_id == company.id))
    page = client.get(f"/staff/orders/new/{company.id}")
    assert page.status_code == 200
    form = {
        "delivery_point": point.id,
        "channel": "viber",
        "desired_date": (kyiv_today() + timedelta(days=2)).isoformat(),
        "comment": "Подзвонити перед доставкою",
        "lines": "COF-1 10\nTEA-1 2\n",
        "idempotency_key": idempotency_key(page.get_data(as_text=True)),
    }
    return {"manager": manager, "company": company, "coffee": coffee, "tea": tea, "point": point, "form": form}


def test_manager_enters_an_order_taken_by_viber(client, db, phone_order):
    response = client.post(f"/staff/orders/new/{phone_order['company'].id}", data=phone_order["form"])
    assert response.status_code == 302
    order = db.scalar(select(Order).where(Order.company_id == phone_order["company"].id))
    assert response.headers["Location"] == f"/staff/orders/{order.id}"
    assert (order.channel, order.status, order.created_by_staff_id) == ("viber", "submitted", phone_order["manager"].id)
    assert order.created_by_user_id is None
    assert order.delivery_point_id == phone_order["point"].id
    assert order.desired_date == kyiv_today() + timedelta(days=2)
    assert order.comment == "Подзвонити перед доставкою"
    quantities = {line.sku: line.quantity for line in order.lines}
    assert quantities == {"COF-1": Decimal("12"), "TEA-1": Decimal("2")}  # 10 rounded up to packs of 6
    assert order.total == Decimal("1400.00")  # wholesale 100.00 each
    assert order.history[0].department == "sales"


def test_resubmitting_the_same_form_makes_one_order(client, db, phone_order):
    url = f"/staff/orders/new/{phone_order['company'].id}"
    first = client.post(url, data=phone_order["form"])
    second = client.post(url, data=phone_order["form"])
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert order_count(db) == 1


def test_a_fresh_form_gets_a_fresh_key(client, phone_order):
    again = client.get(f"/staff/orders/new/{phone_order['company'].id}").get_data(as_text=True)
    assert idempotency_key(again) != phone_order["form"]["idempotency_key"]


def test_unknown_sku_lines_are_listed_and_nothing_is_created(client, db, phone_order):
    form = {**phone_order["form"], "lines": "COF-1 6\nNOPE-9 3\nTEA-1 abc\n"}
    response = client.post(f"/staff/orders/new/{phone_order['company'].id}", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Артикул NOPE-9 не знайдено." in html
    assert "Невірна кількість «abc»." in html
    assert re.search(r"<td>2</td><td>NOPE-9 3</td>", html) and re.search(r"<td>3</td><td>TEA-1 abc</td>", html)
    assert order_count(db) == 0
    # The same key comes back, so confirming later still makes exactly one order.
    assert idempotency_key(html) == phone_order["form"]["idempotency_key"]


def test_confirming_only_the_good_lines(client, db, phone_order):
    form = {**phone_order["form"], "lines": "COF-1 6\nNOPE-9 3\n", "accept_good_only": "y"}
    assert client.post(f"/staff/orders/new/{phone_order['company'].id}", data=form).status_code == 302
    order = db.scalar(select(Order))
    assert [line.sku for line in order.lines] == ["COF-1"]


def test_only_bad_lines_create_nothing_even_when_confirmed(client, db, phone_order):
    form = {**phone_order["form"], "lines": "NOPE-9 3\n", "accept_good_only": "y"}
    response = client.post(f"/staff/orders/new/{phone_order['company'].id}", data=form)
    assert response.status_code == 400 and order_count(db) == 0


def test_delivery_point_of_another_company_is_refused(client, db, phone_order, make_company):
    other = make_company("ТОВ «Чужа кава»")
    foreign_point = db.scalar(select(DeliveryPoint).where(DeliveryPoint.company_id == other.id))
    form = {**phone_order["form"], "delivery_point": foreign_point.id}
    response = client.post(f"/staff/orders/new/{phone_order['company'].id}", data=form)
    assert response.status_code == 400
    assert "Оберіть точку доставки цього контрагента." in response.get_data(as_text=True)
    assert order_count(db) == 0


def test_a_deactivated_point_is_refused(client, db, phone_order):
    phone_order["point"].is_active = False
    db.flush()
    response = client.post(f"/staff/orders/new/{phone_order['company'].id}", data=phone_order["form"])
    assert response.status_code == 400 and order_count(db) == 0


@pytest.mark.parametrize(
    "change, message",
    [
        ({"desired_date": "2020-01-01"}, "Бажана дата доставки не може бути в минулому."),
        ({"lines": ""}, "Вставте хоча б один рядок «артикул кількість»."),
        ({"channel": "1c"}, None),
        ({"idempotency_key": ""}, None),
    ],
)
def test_bad_fields_create_nothing(client, db, phone_order, change, message):
    response = client.post(f"/staff/orders/new/{phone_order['company'].id}", data={**phone_order["form"], **change})
    assert response.status_code == 400
    if message:
        assert message in response.get_data(as_text=True)
    assert order_count(db) == 0


def test_pick_a_company_by_name_or_tax_id(client, phone_order, make_company):
    make_company("ТОВ «Інша»")
    company = phone_order["company"]
    by_name = client.get("/staff/orders/new?q=ромашка").get_data(as_text=True)
    assert f"/staff/orders/new/{company.id}" in by_name and "Інша" not in by_name
    by_code = client.get(f"/staff/orders/new?q={company.tax_id[:5]}").get_data(as_text=True)
    assert f"/staff/orders/new/{company.id}" in by_code


def test_unknown_company_is_404(client, as_staff):
    as_staff("manager")
    assert client.get("/staff/orders/new/999999").status_code == 404
    assert client.post("/staff/orders/new/999999", data={"lines": "A 1"}).status_code == 404


def test_a_lawyer_cannot_enter_orders(client, db, as_staff, make_company):
    company = make_company()
    as_staff("lawyer")
    assert client.get(f"/staff/orders/new/{company.id}").status_code == 403
    assert client.post(f"/staff/orders/new/{company.id}", data={"lines": "A 1"}).status_code == 403
    assert order_count(db) == 0


@pytest.mark.parametrize(("typed", "expected"), [("0,5", "0.5"), ("0.5", "0.5"), (" 0,5 ", "0.5"), ("1 000", "1000")])
def test_a_manager_types_weighed_goods_with_a_decimal_comma(client, db, phone_order, make_product, typed, expected):
    make_product("Сир твердий", sku="CH-1", unit="кг", pack="0.5")
    form = {**phone_order["form"], "lines": f"ch 1 {typed}\n"}
    assert client.post(f"/staff/orders/new/{phone_order['company'].id}", data=form).status_code == 302
    order = db.scalar(select(Order))
    assert [(line.sku, line.quantity) for line in order.lines] == [("CH-1", Decimal(expected))]


@pytest.mark.parametrize("typed", ["abc", "-1", "0", "1e9", "1e2", "NaN"])
def test_a_manager_typing_a_bad_quantity_creates_nothing(client, db, phone_order, typed):
    form = {**phone_order["form"], "lines": f"TEA-1 {typed}\n", "accept_good_only": "y"}
    response = client.post(f"/staff/orders/new/{phone_order['company'].id}", data=form)
    assert response.status_code == 400 and f"Невірна кількість «{typed}»." in response.get_data(as_text=True)
    assert order_count(db) == 0


def test_companies_to_pick_are_in_ukrainian_alphabet_order(client, as_staff, make_company):
    as_staff("manager")
    for name in ["Ґуава", "Гречка", "Іриски", "Їжак", "Йогурт", "Єнот", "Яблуко", "Ананас"]:
        make_company(f"{name} ТОВ")
    html = client.get("/staff/orders/new", query_string={"q": "ТОВ"}).get_data(as_text=True)
    shown = re.findall(r">(\w+) ТОВ<", html)
    assert shown == ["Ананас", "Гречка", "Ґуава", "Єнот", "Іриски", "Їжак", "Йогурт", "Яблуко"]
