import re
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from core.orders.models import CartItem


def _xlsx(rows, title_rows=()):
    workbook = Workbook()
    sheet = workbook.active
    for row in (*title_rows, *rows):
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def _cart(db, user):
    return {i.product_id: i.quantity for i in db.scalars(select(CartItem).where(CartItem.user_id == user.id))}


def test_pasted_lines_are_checked_with_row_numbers_and_nothing_is_added_until_confirmed(
    logged_in, customer, make_product, db
):
    good = make_product(sku="CF-1", pack="6")
    make_product(sku="OLD-1", active=False)
    text = "CF-1 10\n\nNOPE-1 2\nOLD-1 1\nCF-1 abc\nCF-1\nCF-1 -2"
    html = logged_in.post("/quick-order/text", data={"lines": text}).get_data(as_text=True)
    assert 'data-row="3"' in html and "Артикул NOPE-1 не знайдено." in html
    assert 'data-row="4"' in html and "більше не продається" in html
    assert 'data-row="5"' in html and "Невірна кількість «abc»" in html
    assert 'data-row="6"' in html and 'data-row="7"' in html
    assert "округлено до упаковки" in html  # 10 -> 12
    assert _cart(db, customer) == {}
    confirm = logged_in.post("/quick-order/confirm", data={"items": f"{good.id}:12"})
    assert confirm.status_code == 302
    assert _cart(db, customer) == {good.id: Decimal("12")}


def test_excel_columns_are_found_by_header_not_position(logged_in, customer, make_product):
    make_product(sku="CF-1")
    make_product(sku="TE-2", pack="12")
    upload = _xlsx(
        [("Назва", "Кількість, шт", "Ціна", "Артикул"), ("Кава", 3, 100, "CF-1"), ("Чай", "2,5", 50, "TE-2"),
         ("Щось", 1, 1, "ZZ-404"), (None, None, None, None)],
        title_rows=[("Бланк замовлення ТОВ «Кафе»",), ()],
    )
    html = logged_in.post(
        "/quick-order/upload", data={"file": (upload, "order.xlsx")}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "Додати 2 позицій у кошик" in html
    assert 'data-row="6"' in html and "ZZ-404" in html  # Excel row number, after two title rows


def test_numeric_sku_cells_are_read_as_text(logged_in, make_product):
    make_product(sku="10234")
    upload = _xlsx([("Код", "Кількість"), (10234, 2)])
    html = logged_in.post(
        "/quick-order/upload", data={"file": (upload, "o.xlsx")}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "Додати 1 позицій у кошик" in html


def test_malformed_files_are_refused_with_a_reason(logged_in, customer, db):
    cases = [
        (io.BytesIO(b"not a zip at all"), "order.xlsx", "не вдалося прочитати"),
        (io.BytesIO("Артикул;Кількість\nCF-1;2".encode("cp1251")), "order.csv", "у форматі .xlsx"),
        (_xlsx([("Товар", "Скільки")]), "order.xlsx", "не знайдено колонок"),
        (_xlsx([("Артикул", "Кількість")]), "order.xlsx", "немає рядків"),
    ]
    for stream, name, reason in cases:
        response = logged_in.post(
            "/quick-order/upload", data={"file": (stream, name)}, content_type="multipart/form-data"
        )
        assert response.status_code == 400, name
        assert reason in response.get_data(as_text=True), name
    missing = logged_in.post("/quick-order/upload", data={}, content_type="multipart/form-data")
    assert missing.status_code == 400 and "Оберіть файл." in missing.get_data(as_text=True)
    assert _cart(db, customer) == {}


def test_tampered_confirm_changes_nothing(logged_in, customer, make_product, db):
    product = make_product()
    inactive = make_product(active=False)
    for items in ("garbage", f"{product.id}:-1", f"{product.id}:x", f"{product.id}:2 {inactive.id}:1"):
        response = logged_in.post("/quick-order/confirm", data={"items": items})
        assert response.status_code == 302
    assert _cart(db, customer) == {}


def test_a_500_line_form_is_checked(logged_in, make_product):
    products = [make_product(f"Товар {n}", sku=f"BULK-{n}") for n in range(50)]
    rows = [("Артикул", "Кількість")] + [(products[n % 50].sku, n % 7 + 1) for n in range(500)]
    html = logged_in.post(
        "/quick-order/upload", data={"file": (_xlsx(rows), "big.xlsx")}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "Додати 500 позицій у кошик" in html


def _checked(client, text):
    response = client.post("/quick-order/text", data={"lines": text})
    return response.status_code, response.get_data(as_text=True)


def test_skus_match_whatever_their_case_spaces_and_hyphens_and_lines_are_understood(logged_in, customer, make_product, db):
    product = make_product("Кава мелена", sku="CF-10905")
    lines = [
        "cf-10905 3", "CF10905 3", "cf 10905 3", "CF-10905, 3", "CF-10905 3 шт", "CF-10905\t3", "CF-10905;3",
        "cf-10905 x 3", "CF‑10905 3шт.",
    ]
    status, html = _checked(logged_in, "\n".join(lines))
    assert status == 200 and "bad-lines" not in html, html
    assert f"Додати {len(lines)} позицій у кошик" in html
    confirm = re.search(r'name="items" type="hidden" value="([^"]+)"', html).group(1)
    assert set(confirm.split()) == {f"{product.id}:3.000"}


def test_an_excel_form_finds_skus_in_any_spelling(logged_in, make_product):
    make_product(sku="CF-10905")
    upload = _xlsx([("Артикул", "Кількість"), ("cf 10905", 2), ("CF10905", "1")])
    html = logged_in.post(
        "/quick-order/upload", data={"file": (upload, "o.xlsx")}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "Додати 2 позицій у кошик" in html


@pytest.mark.parametrize(("typed", "expected"), [("0,5", "0.5"), ("0.5", "0.5"), (" 0,5 ", "0.5"), ("1 000", "1000")])
def test_pasted_weighed_quantities_with_a_decimal_comma(logged_in, make_product, typed, expected):
    product = make_product("Сир твердий", sku="CH-1", unit="кг", pack="0.5")
    status, html = _checked(logged_in, f"CH-1 {typed}")
    assert status == 200 and "bad-lines" not in html, html
    assert f'value="{product.id}:{Decimal(expected) * 1:.3f}"' in html


@pytest.mark.parametrize("typed", ["abc", "-1", "0", "1e9", "1e2", "NaN"])
def test_pasted_bad_quantities_are_listed_and_nothing_is_added(logged_in, customer, make_product, db, typed):
    make_product("Сир твердий", sku="CH-1", unit="кг", pack="0.5")
    status, html = _checked(logged_in, f"CH-1 {typed}")
    assert status == 200 and f"Невірна кількість «{typed}»." in html
    assert "confirm-quick" not in html and _cart(db, customer) == {}


def test_excel_quantities_as_text_with_a_comma_or_as_numbers(logged_in, make_product):
    product = make_product("Сир твердий", sku="CH-1", unit="кг", pack="0.5")
    other = make_product("Сир м'який", sku="CH-2", unit="кг", pack="0.5")
    upload = _xlsx([("Артикул", "Кількість"), ("CH-1", "0,5"), ("CH-2", 1.5), ("CH-1", " 0,5 "), ("CH-2", "1 000"),
                    ("CH-1", "abc"), ("CH-1", -1), ("CH-1", 0), ("CH-1", 1e9), ("CH-1", "NaN")])
    html = logged_in.post(
        "/quick-order/upload", data={"file": (upload, "o.xlsx")}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "Додати 4 позицій у кошик" in html
    confirm = re.search(r'name="items" type="hidden" value="([^"]+)"', html).group(1).split()
    assert confirm == [f"{product.id}:0.500", f"{other.id}:1.500", f"{product.id}:0.500", f"{other.id}:1000.000"]
    assert all(f'data-row="{row}"' in html for row in range(6, 11))
