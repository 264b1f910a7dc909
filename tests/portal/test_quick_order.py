import io
from decimal import Decimal

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
