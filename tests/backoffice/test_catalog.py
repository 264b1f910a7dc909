from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.catalog.models import Price, PriceType, Product, Stock


def product_count(db):
    return db.scalar(select(func.count()).select_from(Product))


@pytest.fixture
def product_form(make_product):
    return {
        "sku": "TEA-GRN-100",
        "name": "Чай ЗЕЛЕНИЙ Сенча 100 г",
        "barcode": "4820000000017",
        "unit": "уп",
        "pack_multiple": "12",
        "vat_rate": "20.00",
        "category_id": make_product.category.id,
        "is_active": "y",
    }


@pytest.mark.parametrize("role", ["manager", "head_of_sales", "lawyer", "accountant"])
def test_only_admin_edits_the_catalog(client, db, as_staff, make_product, product_form, role):
    product = make_product("Кава", sku="KEEP-1")
    as_staff(role)
    for url in ("/staff/catalog/products", "/staff/catalog/products/new", f"/staff/catalog/products/{product.id}", "/staff/catalog/price-types"):
        assert client.get(url).status_code == 403, url
    assert client.post("/staff/catalog/products/new", data=product_form).status_code == 403
    assert client.post(f"/staff/catalog/products/{product.id}", data={**product_form, "sku": "CHANGED"}).status_code == 403
    assert client.post("/staff/catalog/price-types", data={"code": "vip", "name": "VIP"}).status_code == 403
    db.refresh(product)
    assert product.sku == "KEEP-1" and product_count(db) == 1
    assert db.scalar(select(PriceType).where(PriceType.code == "vip")) is None


def test_create_a_product(client, db, as_staff, product_form):
    as_staff("admin")
    response = client.post("/staff/catalog/products/new", data=product_form)
    assert response.status_code == 302
    product = db.scalar(select(Product).where(Product.sku == "TEA-GRN-100"))
    assert response.headers["Location"] == f"/staff/catalog/products/{product.id}"
    assert (product.name, product.barcode, product.unit) == ("Чай ЗЕЛЕНИЙ Сенча 100 г", "4820000000017", "уп")
    assert product.pack_multiple == Decimal("12") and product.vat_rate == Decimal("20.00") and product.is_active
    assert product.search_text == "чай зелений сенча 100 г tea-grn-100 4820000000017 teagrn100"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"sku": "DUP-1"}, "Товар з таким артикулом вже є."),
        ({"sku": "TEA 1"}, "Артикул не може містити пробілів"),
        ({"pack_multiple": "0"}, "Кратність упаковки має бути більшою за нуль."),
        ({"pack_multiple": "-2"}, "Кратність упаковки має бути більшою за нуль."),
        ({"pack_multiple": "шість"}, "Вкажіть число"),
        ({"pack_multiple": "0,0001"}, "до трьох знаків після коми"),
        ({"barcode": "48200ABC"}, "Штрихкод — лише цифри"),
        ({"vat_rate": "13.00"}, None),
        ({"category_id": "999999"}, None),
        ({"name": ""}, "Вкажіть назву."),
    ],
)
def test_bad_product_input_creates_nothing(client, db, as_staff, make_product, product_form, change, message):
    make_product(sku="DUP-1")
    as_staff("admin")
    before = product_count(db)
    response = client.post("/staff/catalog/products/new", data={**product_form, **change})
    assert response.status_code == 400
    if message:
        assert message in response.get_data(as_text=True)
    assert product_count(db) == before


def test_edit_refreshes_the_search_text(client, db, as_staff, make_product, product_form):
    product = make_product("Кава мелена", sku="COF-9")
    as_staff("admin")
    form = {**product_form, "sku": "COF-9", "name": "Какао Преміум", "barcode": "", "is_active": ""}
    assert client.post(f"/staff/catalog/products/{product.id}", data=form).status_code == 302
    db.refresh(product)
    assert product.name == "Какао Преміум" and product.barcode is None and not product.is_active
    assert product.search_text == "какао преміум cof-9 cof9"
    found = client.get("/staff/catalog/products?q=ПРЕМІУМ").get_data(as_text=True)
    assert f"/staff/catalog/products/{product.id}" in found


def test_a_bad_edit_changes_nothing(client, db, as_staff, make_product, product_form):
    product = make_product("Кава мелена", sku="COF-9")
    make_product(sku="TAKEN-1")
    as_staff("admin")
    response = client.post(f"/staff/catalog/products/{product.id}", data={**product_form, "sku": "TAKEN-1", "name": "Інше"})
    assert response.status_code == 400
    db.refresh(product)
    assert (product.sku, product.name) == ("COF-9", "Кава мелена")


def test_search_ignores_case_in_cyrillic_and_matches_sku(client, as_staff, make_product):
    coffee = make_product("Кава зернова Арабіка", sku="ARB-1")
    tea = make_product("Чай чорний", sku="BLK-2")
    as_staff("admin")
    by_word = client.get("/staff/catalog/products?q=арабіка").get_data(as_text=True)
    assert f"/staff/catalog/products/{coffee.id}" in by_word and f"/staff/catalog/products/{tea.id}\"" not in by_word
    by_sku = client.get("/staff/catalog/products?q=blk-2").get_data(as_text=True)
    assert f"/staff/catalog/products/{tea.id}" in by_sku and f"/staff/catalog/products/{coffee.id}\"" not in by_sku


def prices_of(db, product):
    rows = db.execute(select(PriceType.code, Price.amount).join(Price, Price.price_type_id == PriceType.id).where(Price.product_id == product.id))
    return dict(rows.all())


def stock_of(db, product):
    return dict(db.execute(select(Stock.warehouse_id, Stock.quantity).where(Stock.product_id == product.id)).all())


def test_edit_prices_and_stock(client, db, as_staff, make_product, price_types, warehouses):
    product = make_product()
    as_staff("admin")
    kyiv, lviv = warehouses
    form = {
        f"price_{price_types['retail'].id}": "125,50",
        f"price_{price_types['wholesale'].id}": "1 100",
        f"price_{price_types['key'].id}": "",  # no price at this type any more
        f"stock_{kyiv.id}": "7,5",
        f"stock_{lviv.id}": "",
    }
    page = client.get(f"/staff/catalog/products/{product.id}").get_data(as_text=True)
    assert f'name="price_{price_types["key"].id}"' in page and f'name="stock_{lviv.id}"' in page
    assert client.post(f"/staff/catalog/products/{product.id}/numbers", data=form).status_code == 302
    assert prices_of(db, product) == {"retail": Decimal("125.50"), "wholesale": Decimal("1100.00")}
    assert stock_of(db, product) == {kyiv.id: Decimal("7.5")}


@pytest.mark.parametrize(
    "price, stock, message",
    [
        ("-1", "5", "Значення не може бути від'ємним."),
        ("12,345", "5", "не більше двох знаків після коми"),
        ("дорого", "5", "Вкажіть число"),
        ("10", "-3", "Значення не може бути від'ємним."),
    ],
)
def test_bad_prices_or_stock_change_nothing(client, db, as_staff, make_product, price_types, warehouses, price, stock, message):
    product = make_product()
    as_staff("admin")
    before = (prices_of(db, product), stock_of(db, product))
    form = {f"price_{pt.id}": "50" for pt in price_types.values()}
    form |= {f"stock_{w.id}": "1" for w in warehouses}
    form[f"price_{price_types['retail'].id}"] = price
    form[f"stock_{warehouses[0].id}"] = stock
    response = client.post(f"/staff/catalog/products/{product.id}/numbers", data=form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.expire_all()
    assert (prices_of(db, product), stock_of(db, product)) == before


def test_unknown_product_is_404(client, as_staff):
    as_staff("admin")
    assert client.get("/staff/catalog/products/999999").status_code == 404
    assert client.post("/staff/catalog/products/999999/numbers", data={}).status_code == 404


def test_price_types_list_and_create(client, db, as_staff, price_types):
    as_staff("admin")
    listing = client.get("/staff/catalog/price-types").get_data(as_text=True)
    assert "wholesale" in listing
    assert client.post("/staff/catalog/price-types", data={"code": "horeca", "name": "HoReCa"}).status_code == 302
    assert db.scalar(select(PriceType.name).where(PriceType.code == "horeca")) == "HoReCa"
    duplicate = client.post("/staff/catalog/price-types", data={"code": "horeca", "name": "Інша"})
    assert duplicate.status_code == 400 and "Тип ціни з таким кодом вже є." in duplicate.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(PriceType).where(PriceType.code == "horeca")) == 1
