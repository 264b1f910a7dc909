import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask import url_for
from sqlalchemy import event

from core.catalog.models import Category
from portal.settings import PortalSettings


def test_catalog_shows_the_companys_own_price_unit_pack_and_availability(logged_in, make_product):
    make_product("Кава зернова Арабіка 1 кг", sku="CF-1", pack="6", prices={"wholesale": "455.50", "retail": "520.00"},
                 stock=("40", "0"))
    make_product("Чай чорний Ассам 100 пак.", sku="TE-1", stock=("3", "0"), pack="1")
    make_product("Вершки 33% 1 л", sku="DA-1", stock=("0", "0"))
    html = logged_in.get("/").get_data(as_text=True)
    assert "455,50" in html and "520,00" not in html  # wholesale price type, not retail
    assert "упаковка 6" in html
    assert "В наявності" in html and "Закінчується" in html and "Немає" in html


def test_a_name_or_sku_with_markup_is_shown_as_text_in_every_place_of_its_row(logged_in, make_product):
    # The rows are written in Python (portal/listing.py): each value escaped as Jinja would.
    make_product('Сир "<script>alert(1)</script>" & Ко', sku="X<b>1", prices={"wholesale": "10.00"})
    html = logged_in.get("/").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "X<b>1" not in html
    row = html[html.index('data-sku="X&lt;b&gt;1"'):]
    row = row[:row.index("</li>")]
    name = "Сир &#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34; &amp; Ко"
    assert f">{name}</a>" in row and f'aria-label="Кількість: {name}"' in row and f'aria-label="В кошик: {name}"' in row
    assert "Арт. X&lt;b&gt;1 · шт · упаковка 1" in row


@pytest.mark.parametrize("query", ["АРАБІКА", "арабі", "cf-77", "4820000000017", "кава зерн"])
def test_search_is_case_insensitive_partial_and_finds_sku_and_barcode(logged_in, make_product, query):
    make_product("Кава зернова Арабіка 1 кг", sku="CF-77", barcode="4820000000017")
    make_product("Цукор білий 1 кг", sku="DG-5")
    html = logged_in.get("/", query_string={"q": query}).get_data(as_text=True)
    assert 'data-sku="CF-77"' in html
    assert 'data-sku="DG-5"' not in html


def test_search_with_like_wildcards_is_literal(logged_in, make_product):
    make_product("Серветки 100%", sku="NP-1")
    make_product("Серветки білі", sku="NP-2")
    html = logged_in.get("/", query_string={"q": "100%"}).get_data(as_text=True)
    assert 'data-sku="NP-1"' in html and 'data-sku="NP-2"' not in html


def test_category_filter_includes_subcategories(logged_in, make_product, db):
    top = make_product.category
    child = Category(name="Зернова", parent_id=top.id)
    other = Category(name="Чай")
    db.add_all([child, other])
    db.flush()
    in_child = make_product("Кава Лаваца", sku="CF-C")
    in_child.category_id = child.id
    in_other = make_product("Чай Липтон", sku="TE-O")
    in_other.category_id = other.id
    db.flush()
    html = logged_in.get("/", query_string={"c": top.id}).get_data(as_text=True)
    assert 'data-sku="CF-C"' in html and 'data-sku="TE-O"' not in html


def test_inactive_products_are_not_listed(logged_in, make_product):
    make_product("Старий товар", sku="OLD-1", active=False)
    assert 'data-sku="OLD-1"' not in logged_in.get("/").get_data(as_text=True)


def test_garbage_query_arguments_fall_back_to_defaults(logged_in, make_product):
    make_product(sku="CF-9")
    response = logged_in.get("/", query_string={"page": "-5", "c": "abc"})
    assert response.status_code == 200 and 'data-sku="CF-9"' in response.get_data(as_text=True)


def _count_queries(app, client, url):
    engine = app.extensions["db_engine"]
    statements = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_queries_per_catalog_page_do_not_grow_with_products_shown(app, logged_in, make_product):
    make_product(sku="ONE-1")
    with_one = _count_queries(app, logged_in, "/")
    for n in range(60):
        make_product(f"Товар {n}", sku=f"MANY-{n}")
    with_fifty = _count_queries(app, logged_in, "/")
    assert with_one == with_fifty
    assert with_fifty <= 6


def test_a_page_past_the_end_is_empty_not_an_error(logged_in, make_product):
    make_product(sku="CF-1")
    response = logged_in.get("/?page=99")
    assert response.status_code == 200 and "Нічого не знайдено" in response.get_data(as_text=True)


UKRAINIAN_ORDER = ["Ананас", "Гречка", "Ґуава", "Єнот", "Іриски", "Їжак", "Йогурт", "Яблуко"]


def test_the_add_to_cart_field_keeps_a_decimal_comma_on_a_phone(logged_in, make_product):
    make_product("Сир твердий", sku="CH-1", unit="кг", pack="0.5")
    html = logged_in.get("/").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="quantity"[^>]*>', html).group(0)
    assert 'type="text"' in field and 'inputmode="decimal"' in field and 'value="0,5"' in field


@pytest.mark.parametrize("query", ["cf-10905", "CF10905", "cf 10905", "CF‑10905", "10905"])
def test_a_sku_is_found_whatever_its_case_spaces_and_hyphens(logged_in, make_product, query):
    make_product("Кава мелена Еспресо", sku="CF-10905")
    make_product("Какао", sku="CF-20001")
    html = logged_in.get("/", query_string={"q": query}).get_data(as_text=True)
    assert 'data-sku="CF-10905"' in html and 'data-sku="CF-20001"' not in html


def test_a_sku_typed_with_a_hyphen_finds_one_stored_without(logged_in, make_product):
    make_product("Чай зелений", sku="TE500")
    assert 'data-sku="TE500"' in logged_in.get("/", query_string={"q": "te-500"}).get_data(as_text=True)


def test_the_listing_is_in_ukrainian_alphabet_order(logged_in, make_product):
    for number, name in enumerate(["Ґуава", "Гречка", "Іриски", "Їжак", "Йогурт", "Єнот", "Яблуко", "Ананас"]):
        make_product(name, sku=f"AB-{number}")
    html = logged_in.get("/").get_data(as_text=True)
    assert re.findall(r'<div class="name"><a href="[^"]+">([^<]+)</a></div>', html) == UKRAINIAN_ORDER


def test_categories_are_in_ukrainian_alphabet_order(db, make_product):
    from core.catalog.services import category_tree

    db.add_all(Category(name=name) for name in ["Ґуава", "Гречка", "Іриски", "Їжак", "Йогурт", "Єнот", "Яблуко", "Ананас"])
    db.flush()
    names = [c.name for c in category_tree(db) if c.name in UKRAINIAN_ORDER]
    assert names == UKRAINIAN_ORDER


def test_the_listing_walks_the_sort_key_index_on_postgresql(app, db, make_product):
    from sqlalchemy import text

    from core.catalog.services import _listing_page
    from core.catalog.models import Product

    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    make_product("Кава", sku="CF-1")
    db.execute(text("SET LOCAL enable_seqscan = off"))
    stmt = _listing_page(1, [], [Product.name_sort, Product.id], offset=0, limit=51)
    compiled = stmt.compile(dialect=db.get_bind().dialect, compile_kwargs={"literal_binds": True})
    plan = "\n".join(row[0] for row in db.execute(text(f"EXPLAIN {compiled}")))
    # The order comes from the index (its "C" collation is the key's order), never from sorting the table.
    assert "ix_product_name_sort_id" in plan
    assert not any(line.strip().startswith("Sort") for line in plan.splitlines())
    # The page is chosen on product alone; only its rows are then joined to their price and stock.
    assert plan.index("Limit") > plan.index("Nested Loop")


def test_units_are_translated_on_english_pages(logged_in, make_product, confirmed_order, customer, db):
    """#10.21: the catalog stores units in Ukrainian; an English reader sees English ones."""
    make_product("Цукор", unit="кг")
    make_product("Серветки", unit="уп")
    make_product("Ящик води", unit="ящ")
    make_product("Невідома одиниця", unit="бух")
    order = confirmed_order(customer)
    db.commit()
    logged_in.get("/lang/en")
    html = logged_in.get("/").get_data(as_text=True)
    for english in ("/ kg", "/ pack", "/ box", "/ pcs"):
        assert english in html
    assert "/ кг" not in html and "/ уп" not in html and "/ шт" not in html
    assert "/ бух" in html  # a unit staff typed that we do not know is shown as typed
    assert " pcs</td>" in logged_in.get(f"/orders/{order.id}").get_data(as_text=True)
    logged_in.get("/lang/uk")
    assert "/ кг" in logged_in.get("/").get_data(as_text=True)


def test_the_pager_walks_a_search_page_by_page(app, logged_in, make_product):
    app.config["CATALOG_PAGE_SIZE"] = 2
    try:
        for n in range(5):
            make_product(f"Кава «100% & більше» {n}", sku=f"CF-{n}")
        category = make_product.category.id
        query = 'кава «100% & більше»'
        seen, url = [], f"/?{urlencode({'q': query, 'c': category})}"
        while url:
            html = logged_in.get(url).get_data(as_text=True)
            seen += re.findall(r'data-sku="([^"]+)"', html)
            onward = re.search(r'<a class="button secondary" href="([^"]+)">Далі →</a>', html)
            url = onward and onward.group(1).replace("&amp;", "&")
            if url:
                with app.test_request_context():
                    page = int(parse_qs(urlsplit(url).query)["page"][0])
                    assert url == url_for("portal.catalog", q=query, c=category, page=page)
        assert sorted(seen) == [f"CF-{n}" for n in range(5)] and len(seen) == 5
        assert '">← Назад</a>' in html
    finally:
        app.config["CATALOG_PAGE_SIZE"] = PortalSettings.CATALOG_PAGE_SIZE
