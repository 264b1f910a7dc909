"""The shared catalog listing: per-user parts never leak, price types never mix."""
import time
from decimal import Decimal

import pytest

from core.catalog.models import Price
from portal import page_cache
from portal.page_cache import TTLCache
from tests.conftest import login


@pytest.fixture
def cache_on(app):
    app.config["CATALOG_CACHE_SECONDS"] = 60.0
    page_cache.pages.clear()
    yield app
    app.config["CATALOG_CACHE_SECONDS"] = 0.0
    page_cache.pages.clear()


def _client_for(app, user):
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    return client


def test_cached_listing_carries_each_customers_own_cart_and_token(cache_on, db, make_company, make_user, make_product):
    product = make_product("Кава Лаваца", sku="CF-1", pack="6")
    first = _client_for(cache_on, make_user(make_company()))
    second_user = make_user(make_company())
    second = _client_for(cache_on, second_user)
    second.post("/cart/add", data={"product_id": product.id, "quantity": "6"})

    first_page = first.get("/").get_data(as_text=True)  # renders and caches
    second_page = second.get("/").get_data(as_text=True)  # served from the cache
    assert len(page_cache.pages._entries) == 1
    assert "У кошику: 6." in second_page and "У кошику" not in first_page
    assert page_cache.CSRF_MARKER not in first_page + second_page
    token = second_page.split('name="csrf-token" content="')[1].split('"')[0]
    assert f'name="csrf_token" value="{token}"' in second_page


def test_a_cached_page_shows_each_customers_company_badge_flashes_and_way_back(
    cache_on, db, make_company, make_user, make_product
):
    product = make_product("Кава Лаваца", sku="CF-1")
    first = _client_for(cache_on, make_user(make_company("ТОВ «Перша & Ко»")))
    second = _client_for(cache_on, make_user(make_company("ФОП Друга")))
    first.get("/?page=1")  # renders and caches
    second.post("/cart/add", data={"product_id": product.id, "quantity": "2"})  # no JS: a flash and a redirect

    page = second.get("/?page=1").get_data(as_text=True)
    assert len(page_cache.pages._entries) == 1
    assert "ФОП Друга" in page and "Перша" not in page
    assert 'data-cart-count>1</span>' in page
    assert 'class="flash flash-ok"' in page
    assert "next=/%3Fpage%3D1" in page
    again = second.get("/?page=1").get_data(as_text=True)
    assert 'class="flash' not in again  # shown once
    assert "ТОВ «Перша &amp; Ко»" in first.get("/?page=1").get_data(as_text=True)
    assert not any(marker in page + again for marker in ("__CART_COUNT__", "__COMPANY_NAME__", "__RETURN_PATH__", "__FLASHES__"))


def test_price_types_do_not_share_a_listing(cache_on, db, make_company, make_user, make_product):
    make_product(sku="CF-1", prices={"wholesale": "100.00", "retail": "120.00"})
    wholesale = _client_for(cache_on, make_user(make_company(price_type="wholesale")))
    retail = _client_for(cache_on, make_user(make_company(price_type="retail")))
    assert "100,00" in wholesale.get("/").get_data(as_text=True)
    retail_page = retail.get("/").get_data(as_text=True)
    assert "120,00" in retail_page and "100,00" not in retail_page


def test_a_changed_price_shows_once_the_entry_expires(cache_on, db, customer, make_product):
    product = make_product(sku="CF-1", prices={"wholesale": "100.00"})
    client = _client_for(cache_on, customer)
    cache_on.config["CATALOG_CACHE_SECONDS"] = 1.0  # a loaded machine took 0.2 s for the two requests
    assert "100,00" in client.get("/").get_data(as_text=True)
    price = db.get(Price, (customer.company.price_type_id, product.id))
    price.amount = Decimal("95.00")
    db.commit()
    assert "100,00" in client.get("/").get_data(as_text=True)  # still the cached listing
    time.sleep(1.05)
    assert "95,00" in client.get("/").get_data(as_text=True)


def test_the_cache_keeps_a_bounded_number_of_listings():
    cache = TTLCache(max_entries=3)
    for key in range(5):
        cache.get_or_render(key, 60, lambda key=key: f"page {key}")
    assert list(cache._entries) == [2, 3, 4]
    assert cache.get_or_render(4, 60, lambda: "re-rendered") == "page 4"
    assert cache.get_or_render(9, 0, lambda: "uncached") == "uncached" and 9 not in cache._entries
