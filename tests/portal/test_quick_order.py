import io
import re
import time
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from core.files.services import read_file
from core.orders.models import CartItem, Order, OrderFormUpload
from tests.conftest import login


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


def test_the_uploaded_form_is_kept_and_staff_open_it_from_the_order(
    app, client, logged_in, customer, make_product, make_staff, db
):
    product = make_product(sku="CF-1")
    company_id, user_id, point = customer.company_id, customer.id, customer.company.delivery_points[0].id
    upload = _xlsx([("Артикул", "Кількість"), ("CF-1", 3), ("ZZ-404", 1)])
    sent = upload.getvalue()
    html = logged_in.post(
        "/quick-order/upload", data={"file": (upload, "бланк грудень.xlsx")}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    kept = db.scalars(select(OrderFormUpload)).one()
    assert (kept.company_id, kept.user_id, kept.lines_good, kept.lines_bad) == (company_id, user_id, 1, 1)
    with app.app_context():  # not held across requests: they would share its `g`
        assert (kept.file.name, kept.file.size, read_file(kept.file)) == ("бланк грудень.xlsx", len(sent), sent)
    assert f'name="upload" type="hidden" value="{kept.id}"' in html

    logged_in.post("/quick-order/confirm", data={"items": f"{product.id}:3", "upload": str(kept.id)})
    order_url = logged_in.post("/checkout", data={"idempotency_key": "form-1", "delivery_point": point}).headers["Location"]
    db.expire_all()
    order = db.scalars(select(Order).where(Order.company_id == company_id)).one()
    assert order_url.endswith(f"/orders/{order.id}") and kept.order_id == order.id

    staff = make_staff("manager")
    db.commit()
    login(client, staff.email, staff=True)
    page = client.get(f"/staff/orders/{order.id}").get_data(as_text=True)
    assert "бланк грудень.xlsx" in page and f"/staff/orders/{order.id}/forms/{kept.id}" in page
    download = client.get(f"/staff/orders/{order.id}/forms/{kept.id}")
    assert download.data == sent and "attachment" in download.headers["Content-Disposition"]
    assert client.get(f"/staff/orders/{order.id + 1}/forms/{kept.id}").status_code == 404


def test_a_refused_form_is_not_kept_and_a_foreign_upload_id_marks_nothing(
    logged_in, customer, make_company, make_user, make_product, db, app
):
    product = make_product(sku="CF-1")
    refused = logged_in.post("/quick-order/upload", data={"file": (io.BytesIO(b"not a zip"), "o.xlsx")},
                             content_type="multipart/form-data")
    assert refused.status_code == 400 and db.scalars(select(OrderFormUpload)).all() == []
    other = make_user(make_company("ТОВ «Інший»"))
    from core.orders.order_forms import keep_order_form
    from core.orders.quick_order import QuickOrderResult

    with app.app_context():
        foreign = keep_order_form(db, other, _xlsx([("Артикул", "Кількість")]).getvalue(), "їхній.xlsx",
                                  QuickOrderResult(good=[], bad=[]))
    db.commit()
    for value in (str(foreign.id), "x1", "-5"):
        logged_in.post("/quick-order/confirm", data={"items": f"{product.id}:1", "upload": value})
    db.expire_all()
    assert foreign.added_to_cart_at is None and _cart(db, customer) == {product.id: Decimal("3")}


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


# --- hostile and oversized files (built here, small on the wire) ---------------------------------


def _rezipped(sheet_xml):
    """A real workbook whose first sheet is replaced by `sheet_xml` (bytes)."""
    original = zipfile.ZipFile(_xlsx([("Артикул", "Кількість"), ("CF-1", 1)]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as rebuilt:
        for item in original.infolist():
            data = sheet_xml if item.filename == "xl/worksheets/sheet1.xml" else original.read(item.filename)
            rebuilt.writestr(item.filename, data)
    buffer.seek(0)
    return buffer


_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _sheet(rows_xml, dimension=b"A1:B2", padding=0):
    return (
        _SHEET_HEAD + b'<dimension ref="' + dimension + b'"/><sheetData>' + rows_xml + b" " * padding
        + b"</sheetData></worksheet>"
    )


_HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Артикул</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Кількість</t></is></c></row>'
).encode()


def _upload(client, stream, name="order.xlsx"):
    response = client.post("/quick-order/upload", data={"file": (stream, name)}, content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(app, logged_in, customer, make_product, db, monkeypatch):
    make_product(sku="CF-1")
    # 3 MB of padding packs to a few kilobytes: a ratio no order form has.
    bomb = _rezipped(_sheet(_HEADER_ROW, padding=3 * 1024 * 1024))
    assert len(bomb.getvalue()) < 64 * 1024
    status, html = _upload(logged_in, bomb)
    assert status == 400 and "розпаковується" in html and "confirm-quick" not in html
    # The unpacked total is judged too, whatever the ratio.
    monkeypatch.setitem(app.config, "XLSX_MAX_RATIO", 10_000)
    monkeypatch.setitem(app.config, "XLSX_MAX_UNPACKED_MB", 2)
    status, html = _upload(logged_in, _rezipped(_sheet(_HEADER_ROW, padding=3 * 1024 * 1024)))
    assert status == 400 and "розпаковується" in html
    assert _cart(db, customer) == {}


def test_millions_of_empty_rows_stop_at_the_row_limit_quickly(app, logged_in, make_product):
    make_product(sku="CF-1")
    # Three million rows in a few hundred bytes: a header, then one cell far below, and a
    # declared dimension of every column Excel has.
    far = b'<row r="3000000"><c r="A3000000" t="inlineStr"><is><t>CF-1</t></is></c><c r="B3000000"><v>1</v></c></row>'
    started = time.monotonic()
    status, html = _upload(logged_in, _rezipped(_sheet(_HEADER_ROW + far, dimension=b"A1:XFD3000000")))
    assert status == 400 and f"понад {app.config['XLSX_MAX_ROWS']} рядків" in html
    assert time.monotonic() - started < 5


def test_a_declared_dimension_is_not_trusted(logged_in, make_product):
    make_product(sku="CF-1")
    rows = _HEADER_ROW + b'<row r="2"><c r="A2" t="inlineStr"><is><t>CF-1</t></is></c><c r="B2"><v>2</v></c></row>'
    status, html = _upload(logged_in, _rezipped(_sheet(rows, dimension=b"A1:XFD1048576")))
    assert status == 200 and "Додати 1 позицій у кошик" in html


def test_the_size_limit_the_page_states_is_the_one_enforced(app, logged_in):
    limit = app.config["ORDER_FORM_MAX_MB"]
    assert limit == 5
    assert f"до {limit} МБ" in logged_in.get("/quick-order").get_data(as_text=True)
    status, html = _upload(logged_in, io.BytesIO(b"x" * (limit * 1024 * 1024 + 1)))
    assert status == 400 and f"Файл завеликий: до {limit} МБ." in html
    status, html = _upload(logged_in, io.BytesIO(b"x" * (limit * 1024 * 1024)))
    assert status == 400 and "не вдалося прочитати" in html  # within the limit: read, and refused as not Excel
    assert app.config["MAX_CONTENT_LENGTH"] < 16 * 1024 * 1024
