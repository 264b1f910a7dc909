"""#12: a page for every product, at the customer's own price, with what the listing shows
and what it leaves out; the kernel's fields alone when no feature adds anything."""
from __future__ import annotations

import re

from core.catalog.models import Category
from tests.conftest import login


def test_the_page_shows_the_customers_own_price_stock_pack_and_barcode(logged_in, make_product, db):
    child = Category(name="Зернова", parent_id=make_product.category.id)
    db.add(child)
    db.flush()
    product = make_product("Кава зернова Арабіка 1 кг", sku="CF-1", barcode="4820000000017", pack="6",
                           prices={"wholesale": "455.50", "retail": "520.00"}, stock=("4", "0"), unit="кг")
    product.category_id = child.id
    db.flush()
    response = logged_in.get(f"/products/{product.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "455,50" in html and "520,00" not in html  # the wholesale price type, not retail
    assert "Закінчується" in html  # 4 in stock, packs of 6: the listing's rule
    assert "4820000000017" in html and "CF-1" in html
    assert re.search(r"Кратність</dt><dd>6 кг", html)
    assert "Кава</a> › <a" in html and ">Зернова</a>" in html  # the category path
    # The catalog's own add form and route, which snaps to packs.
    assert 'action="/cart/add"' in html and f'name="product_id" value="{product.id}"' in html
    # No feature syncs prices here: no sections, no "last synced" line.
    assert 'data-test="product-section"' not in html and 'data-test="synced-at"' not in html


def test_adding_from_the_page_snaps_to_packs_and_shows_what_is_in_the_cart(logged_in, make_product):
    product = make_product(sku="CF-2", pack="6")
    response = logged_in.post("/cart/add", data={"product_id": product.id, "quantity": "4"},
                              headers={"Referer": f"http://localhost/products/{product.id}"})
    assert response.status_code == 302 and response.headers["Location"] == f"/products/{product.id}"
    html = logged_in.get(f"/products/{product.id}").get_data(as_text=True)
    assert "Кількість округлено до 6" in html and "У кошику: 6." in html


def test_the_listing_the_cart_and_an_order_link_to_the_page(logged_in, make_product):
    product = make_product(sku="CF-3")
    link = f'href="/products/{product.id}"'
    assert link in logged_in.get("/").get_data(as_text=True)
    assert link in logged_in.get("/", query_string={"q": "CF-3"}).get_data(as_text=True)
    logged_in.post("/cart/add", data={"product_id": product.id, "quantity": "1"})
    assert link in logged_in.get("/cart").get_data(as_text=True)


def test_an_order_line_links_to_its_product(client, customer, confirmed_order):
    order = confirmed_order(customer)
    login(client, customer.email)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f'href="/products/{order.lines[0].product_id}"' in html


def test_a_product_without_the_customers_price_is_on_request_and_not_addable(logged_in, make_product):
    product = make_product(sku="CF-4", prices={"retail": "520.00"})
    html = logged_in.get(f"/products/{product.id}").get_data(as_text=True)
    assert "Ціна за запитом у менеджера" in html and "520,00" not in html and 'action="/cart/add"' not in html


def test_inactive_and_unknown_products_are_404_pages(logged_in, make_product):
    hidden = make_product("Знятий з продажу товар", sku="OLD-1", active=False)
    response = logged_in.get(f"/products/{hidden.id}")
    assert response.status_code == 404 and "Знятий з продажу" not in response.get_data(as_text=True)
    assert logged_in.get("/products/99999999").status_code == 404


def test_another_customer_sees_their_own_price(client, make_company, make_user, make_product):
    product = make_product(sku="CF-5", prices={"wholesale": "455.50", "key": "401.00"})
    key_customer = make_user(make_company(price_type="key"))
    login(client, key_customer.email)
    html = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "401,00" in html and "455,50" not in html


def test_the_page_needs_a_customer_login(client, make_product):
    product = make_product(sku="CF-6")
    response = client.get(f"/products/{product.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_page_in_english(logged_in, make_product):
    product = make_product(sku="CF-7", pack="6")
    logged_in.get("/lang/en")
    html = logged_in.get(f"/products/{product.id}").get_data(as_text=True)
    assert "Pack size" in html and "Add to cart" in html and "Кратність" not in html
