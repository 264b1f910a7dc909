"""The catalog's frame, shared by every search of a category (portal/page_cache.py): each
search still shows its own query, rows and pager, exactly as a page rendered whole."""
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from markupsafe import escape

from core.catalog.models import Category
from portal import page_cache


@pytest.fixture
def frames_on(app):
    app.config["CATALOG_FRAME_SECONDS"] = 60.0
    page_cache.frames.clear()
    page_cache.navigation.clear()
    yield app
    app.config["CATALOG_FRAME_SECONDS"] = 0.0
    page_cache.frames.clear()
    page_cache.navigation.clear()


def _page(client, **query):
    response = client.get("/", query_string=query)
    assert response.status_code == 200
    # The CSRF token differs per session and is not what is compared here.
    return re.sub(r'(name="csrf_token" value|name="csrf-token" content)="[^"]+"', r'\1="<token>"',
                  response.get_data(as_text=True))


QUERIES = ['кава "мелена" <b>&amp;</b>', "100% + 2,5", "арабіка", "CF-1/2?x=1&y=2#z"]


@pytest.mark.parametrize("query", QUERIES)
def test_a_search_in_a_shared_frame_is_the_page_rendered_whole(app, logged_in, make_product, query):
    make_product("Кава мелена Арабіка", sku="CF-1/2")
    make_product("Кава зернова", sku="CF-3")
    category = make_product.category.id
    whole = {c: _page(logged_in, q=query, c=c) for c in (None, category)}
    app.config["CATALOG_FRAME_SECONDS"] = 60.0
    page_cache.frames.clear()
    page_cache.navigation.clear()
    try:
        _page(logged_in, q="інше слово", c=category)  # the frames now hold another search
        _page(logged_in, q="інше слово")
        for c in (None, category):
            assert _page(logged_in, q=query, c=c) == whole[c]
    finally:
        app.config["CATALOG_FRAME_SECONDS"] = 0.0
        page_cache.frames.clear()
        page_cache.navigation.clear()


def test_the_query_is_escaped_in_the_page_and_encoded_in_its_links(frames_on, logged_in, make_product):
    make_product("Кава мелена", sku="CF-1")
    _page(logged_in, q="перше")
    html = _page(logged_in, q='"><script>alert(1)</script> & кава')
    assert "<script>alert(1)" not in html and "перше" not in html
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; кава"' in html
    links = re.findall(r'<nav class="categories"[^>]*>\s*<a href="([^"]+)"', html)
    assert parse_qs(urlsplit(links[0].replace("&amp;", "&")).query)["q"] == ['"><script>alert(1)</script> & кава']


LOOKALIKES = ["__CATALOG_PRODUCTS__", "__PAGE_CSRF__", "q=__CATALOG_QUERY__",
              page_cache.CSRF_MARKER.replace(page_cache._SECRET, "0" * 16), 'data-in-cart="1"></span>']


@pytest.mark.parametrize("query", LOOKALIKES)
def test_a_query_that_looks_like_a_marker_stays_text(frames_on, logged_in, make_product, query):
    make_product("Кава мелена", sku="CF-1")
    logged_in.post("/cart/add", data={"product_id": make_product("Кава зернова", sku="CF-2").id, "quantity": "1"})
    html = _page(logged_in, q=query)
    assert f'value="{escape(query)}"' in html
    assert f"«{escape(query)}»" in html


def test_a_product_named_like_a_marker_keeps_its_name(frames_on, logged_in, make_product):
    make_product("Кава __PAGE_CART__ __CATALOG_PAGER__", sku="CF-1")
    html = _page(logged_in, q="кава")
    assert ">Кава __PAGE_CART__ __CATALOG_PAGER__</a>" in html


def test_a_new_category_shows_once_the_frame_expires(frames_on, db, logged_in, make_product):
    make_product("Кава мелена", sku="CF-1")
    frames_on.config["CATALOG_FRAME_SECONDS"] = 1.0  # a loaded machine took 0.2 s for two requests
    assert "Чай листовий" not in _page(logged_in)
    db.add(Category(name="Чай листовий"))
    db.commit()
    assert "Чай листовий" not in _page(logged_in)  # still the kept frame
    time.sleep(1.05)
    assert "Чай листовий" in _page(logged_in)


def test_each_search_runs_its_own_query_under_a_shared_frame(frames_on, logged_in, make_product):
    make_product("Кава мелена", sku="CF-1")
    make_product("Чай чорний", sku="TE-1")
    assert re.findall(r'data-sku="([^"]+)"', _page(logged_in, q="кава")) == ["CF-1"]
    assert re.findall(r'data-sku="([^"]+)"', _page(logged_in, q="чай")) == ["TE-1"]


def test_a_frame_rendered_from_an_older_category_tree_is_not_reused(frames_on, db, logged_in, make_product):
    """A frame made late in its tree's life outlives the tree: it must not outlive it on screen."""
    make_product("Кава мелена", sku="CF-1")
    category = make_product.category.id
    frames_on.config["CATALOG_FRAME_SECONDS"] = 2.0
    _page(logged_in)  # the tree is read now
    time.sleep(1.2)
    assert "Чай листовий" not in _page(logged_in, c=category)  # this frame is made from that tree
    db.add(Category(name="Чай листовий"))
    db.commit()
    time.sleep(1.0)  # the tree has expired, the frame of the category not yet
    assert "Чай листовий" in _page(logged_in, c=category)
