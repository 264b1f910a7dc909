
import pytest
from sqlalchemy import event

from core.catalog.models import Category


def test_catalog_shows_the_companys_own_price_unit_pack_and_availability(logged_in, make_product):
    make_product("Кава зернова Арабіка 1 кг", sku="CF-1", pack="6", prices={"wholesale": "455.50", "retail": "520.00"},
                 stock=("40", "0"))
    make_product("Чай чорний Ассам 100 пак.", sku="TE-1", stock=("3", "0"), pack="1")
    make_product("Вершки 33% 1 л", sku="DA-1", stock=("0", "0"))
    html = logged_in.get("/").get_data(as_text=True)
    assert "455,50" in html and "520,00" not in html  # wholesale price type, not retail
    assert "упаковка 6" in html
    assert "В наявності" in html and "Закінчується" in html and "Немає" in html


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
