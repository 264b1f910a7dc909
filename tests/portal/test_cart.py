import re
from decimal import Decimal
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from core.orders.models import CartItem
from tests.conftest import login


def _cart(db, user):
    return {item.product_id: item.quantity for item in db.scalars(select(CartItem).where(CartItem.user_id == user.id))}


def test_add_from_the_list_answers_json_and_snaps_to_the_pack(logged_in, customer, make_product, db):
    product = make_product(pack="6")
    response = logged_in.post(
        "/cart/add", data={"product_id": product.id, "quantity": "10"}, headers={"Accept": "application/json"}
    )
    data = response.get_json()
    assert response.status_code == 200 and data["ok"] and data["snapped"] and data["quantity"] == "12"
    assert "округлено до 12" in data["message"]
    assert data["cart_count"] == 1
    assert _cart(db, customer) == {product.id: Decimal("12")}


def test_adding_again_adds_to_the_line(logged_in, customer, make_product, db):
    product = make_product(pack="0.5", unit="кг")
    for _ in range(2):
        logged_in.post("/cart/add", data={"product_id": product.id, "quantity": "2,5"})
    assert _cart(db, customer) == {product.id: Decimal("5")}


def test_bad_quantities_change_nothing(logged_in, customer, make_product, db):
    product = make_product()
    for quantity in ("abc", "-3", "", "1e9", "NaN"):
        response = logged_in.post(
            "/cart/add", data={"product_id": product.id, "quantity": quantity}, headers={"Accept": "application/json"}
        )
        assert response.status_code == 400, quantity
        assert response.get_json()["message"]
    assert _cart(db, customer) == {}


def test_inactive_or_unpriced_or_unknown_product_cannot_be_added(logged_in, customer, make_product, db):
    inactive = make_product(active=False)
    unpriced = make_product(prices={"retail": "10.00"})  # no wholesale price for this customer
    for product_id in (inactive.id, unpriced.id, 999999):
        response = logged_in.post(
            "/cart/add", data={"product_id": product_id, "quantity": "1"}, headers={"Accept": "application/json"}
        )
        assert response.status_code == 400
        assert "недоступний" in response.get_json()["message"]
    assert _cart(db, customer) == {}


def test_set_zero_removes_and_cart_page_totals(logged_in, customer, make_product, db):
    a = make_product("Товар А", prices={"wholesale": "10.50"})
    b = make_product("Товар Б", prices={"wholesale": "3.33"})
    logged_in.post("/cart/add", data={"product_id": a.id, "quantity": "2"})
    logged_in.post("/cart/add", data={"product_id": b.id, "quantity": "3"})
    html = logged_in.get("/cart").get_data(as_text=True)
    assert "30,99" in html  # 21.00 + 9.99
    logged_in.post("/cart/set", data={"product_id": a.id, "quantity": "0"})
    assert _cart(db, customer) == {b.id: Decimal("3")}


def test_cart_survives_logout_and_a_second_device(app, logged_in, customer, make_product, db):
    product = make_product()
    logged_in.post("/cart/add", data={"product_id": product.id, "quantity": "4"})
    logged_in.post("/logout")
    second_device = app.test_client()
    login(second_device, customer.phone)
    assert f'data-sku="{product.sku}"' in second_device.get("/cart").get_data(as_text=True)


def test_back_after_adding_never_leaves_the_site(logged_in, make_product):
    product = make_product()
    response = logged_in.post(
        "/cart/add", data={"product_id": product.id, "quantity": "1"}, headers={"Referer": "https://evil.example/x?y=1"}
    )
    assert response.headers["Location"] == "/x?y=1"
    same_site = logged_in.post(
        "/cart/add", data={"product_id": product.id, "quantity": "1"}, headers={"Referer": "http://localhost/?q=кава&page=2"}
    )
    assert unquote(same_site.headers["Location"]) == "/?q=кава&page=2"


@pytest.mark.parametrize(("typed", "expected"), [("0,5", "0.5"), ("0.5", "0.5"), (" 0,5 ", "0.5"), ("1 000", "1000")])
def test_weighed_goods_are_added_and_set_with_a_decimal_comma(logged_in, customer, make_product, db, typed, expected):
    product = make_product("Сир твердий", unit="кг", pack="0.5")
    response = logged_in.post(
        "/cart/add", data={"product_id": product.id, "quantity": typed}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200, response.get_json()
    assert _cart(db, customer) == {product.id: Decimal(expected)}
    logged_in.post("/cart/set", data={"product_id": product.id, "quantity": "3"})
    logged_in.post("/cart/set", data={"product_id": product.id, "quantity": typed})
    assert _cart(db, customer) == {product.id: Decimal(expected)}


@pytest.mark.parametrize("typed", ["abc", "-1", "1e9", "1e2", "NaN", "0,0001"])
def test_bad_quantities_in_the_cart_change_nothing(logged_in, customer, make_product, db, typed):
    product = make_product()
    logged_in.post("/cart/add", data={"product_id": product.id, "quantity": "2"})
    for url in ("/cart/add", "/cart/set"):
        response = logged_in.post(
            url, data={"product_id": product.id, "quantity": typed}, headers={"Accept": "application/json"}
        )
        assert response.status_code == 400 and response.get_json()["message"], (url, typed)
    assert logged_in.post(
        "/cart/add", data={"product_id": product.id, "quantity": "0"}, headers={"Accept": "application/json"}
    ).status_code == 400
    assert _cart(db, customer) == {product.id: Decimal("2")}


def test_the_cart_quantity_field_keeps_a_decimal_comma_on_a_phone(logged_in, make_product):
    # An <input type=number> shows "0,5" as empty in most phone browsers: the order then fails.
    product = make_product("Сир твердий", sku="CH-1", unit="кг", pack="0.5")
    logged_in.post("/cart/add", data={"product_id": product.id, "quantity": "0,5"})
    html = logged_in.get("/cart").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="quantity"[^>]*>', html).group(0)
    assert 'type="text"' in field and 'inputmode="decimal"' in field and 'value="0,5"' in field


def test_cart_lines_are_in_ukrainian_alphabet_order(logged_in, make_product):
    names = ["Ґуава", "Гречка", "Іриски", "Їжак", "Йогурт", "Єнот", "Яблуко", "Ананас"]
    for number, name in enumerate(names):
        logged_in.post("/cart/add", data={"product_id": make_product(name, sku=f"AB-{number}").id, "quantity": "1"})
    html = logged_in.get("/cart").get_data(as_text=True)
    shown = re.findall(r'<td class="main"><a href="[^"]+">([^<]+)</a><br>', html)
    assert shown == ["Ананас", "Гречка", "Ґуава", "Єнот", "Іриски", "Їжак", "Йогурт", "Яблуко"]


def test_a_refused_add_leaves_the_cart_as_it_was_for_a_caller_that_goes_on(ctx, customer, make_product, db):
    """Repeating an order skips a refused line and commits the rest: the refusal itself
    must have written nothing (no empty line, no changed one)."""
    from core.errors import DomainError
    from core.orders.cart import set_quantity

    new, there = make_product(), make_product()
    set_quantity(db, customer, there.id, Decimal("99999"), add=True)
    for product, quantity in ((new, Decimal("100001")), (there, Decimal("5"))):
        with pytest.raises(DomainError, match="завелика"):
            set_quantity(db, customer, product.id, quantity, add=True)
    db.expire_all()
    assert _cart(db, customer) == {there.id: Decimal("99999")}
