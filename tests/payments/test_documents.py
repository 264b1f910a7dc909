"""The invoice and statement documents, checked in the bytes a customer downloads.

The PDF text is read back by a small reader below (fpdf2 writes each line as one `Tj` of
two-byte glyph codes, and a ToUnicode map per font), so no PDF library is needed.
"""
from __future__ import annotations

import io
import re
import zlib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import payments.documents
from core.money_words import amount_in_words_uk
from payments.documents import (
    DocLine,
    InvoiceDocument,
    Party,
    StatementEntry,
    StatementOfAccount,
    render_invoice_pdf,
    render_statement_pdf,
    render_statement_xlsx,
)
from core.money import format_money
from payments.documents.formatting import date_uk
from payments.documents.invoice_pdf import payment_purpose
from payments.documents.pdf_base import FONT_DIR

D = Decimal

# ---- a minimal reader for the PDFs fpdf2 writes ---------------------------------------------

_OBJ = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.S)


def _objects(data: bytes) -> dict[int, bytes]:
    return {int(m.group(1)): m.group(2) for m in _OBJ.finditer(data)}


def _stream(body: bytes) -> bytes:
    raw = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S).group(1)  # type: ignore[union-attr]
    return zlib.decompress(raw) if b"/FlateDecode" in body else raw


def _ref(body: bytes, key: bytes) -> int:
    return int(re.search(rb"/" + key + rb"\s+(\d+) 0 R", body).group(1))  # type: ignore[union-attr]


def _to_unicode(cmap: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            for offset in range(int(hi, 16) - int(lo, 16) + 1):
                mapping[int(lo, 16) + offset] = chr(int(dst, 16) + offset)
    return mapping


def _unescape(literal: bytes) -> bytes:
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}

    def one(m: re.Match[bytes]) -> bytes:
        token = m.group(1)
        if token[:1].isdigit():
            return bytes([int(token, 8)])
        return escapes.get(token, token)

    return re.sub(rb"\\([0-7]{1,3}|.)", one, literal, flags=re.S)


_TEXT_OP = re.compile(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", re.S)


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page, one line per `Tj`, no-break spaces read as spaces."""
    objects = _objects(data)
    fonts: dict[bytes, dict[int, str]] = {}
    for body in objects.values():
        for name, number in re.findall(rb"/(F\d+)\s+(\d+) 0 R", body):
            fonts[name] = _to_unicode(_stream(objects[_ref(objects[int(number)], b"ToUnicode")]))
    pages_body = next(b for b in objects.values() if re.search(rb"/Type\s*/Pages\b", b))
    kids = [int(n) for n in re.findall(rb"(\d+) 0 R", re.search(rb"/Kids\s*\[(.*?)\]", pages_body, re.S).group(1))]  # type: ignore[union-attr]
    pages = []
    for kid in kids:
        content = _stream(objects[_ref(objects[kid], b"Contents")])
        font: dict[int, str] = {}
        lines = []
        for m in _TEXT_OP.finditer(content):
            if m.group(1):
                font = fonts[m.group(1)]
                continue
            raw = _unescape(m.group(2))
            codes = [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]
            lines.append("".join(font[c] for c in codes).replace("\u00a0", " "))
        pages.append("\n".join(lines))
    return pages


def flat(text: str) -> str:
    """Wrapped lines joined back into running text, to look for a phrase wherever it broke."""
    return re.sub(r"\s+", " ", text)


def plain(text: str) -> str:
    return text.replace("\u00a0", " ")


def page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", data))


# ---- sample documents -----------------------------------------------------------------------

SUPPLIER = Party(
    name="ТОВ «ГоРеКа Постач»",
    tax_id="32855961",
    address="04073, м. Київ, просп. Степана Бандери, 21, офіс 305",
    iban="UA213223130000026007233566001",
    bank_name="АТ КБ «ПриватБанк»",
    mfo="305299",
    phone="+380 44 123 45 67",
    vat_payer_id="328559626543",
)
BUYER = Party(
    name="ФОП Коваленко Олена Петрівна",
    tax_id="3012345671",
    address="79000, м. Львів, вул. Городоцька, 15",
    phone="+380 67 555 12 34",
)
LONG_NAME = (
    "Серветки паперові двошарові білі 33×33 см, 250 шт. в упаковці, для закладів "
    "ресторанного господарства, зручні для сервірування"
)
SAMPLES = [
    ("Цукор білий кристалічний, мішок 50 кг", "кг", D("12.500"), D("45.10")),
    (LONG_NAME, "уп", D("100"), D("3.99")),
    ("Кава в зернах Арабіка 100 % 1 кг", "шт", D("3.000"), D("1789.00")),
]


def make_lines(count: int) -> list[DocLine]:
    lines = []
    for no in range(1, count + 1):
        name, unit, quantity, price = SAMPLES[(no - 1) % len(SAMPLES)]
        lines.append(DocLine(no, f"SKU-{1000 + no}", name, unit, quantity, price, (quantity * price).quantize(D("0.01"))))
    return lines


def make_invoice(count: int = 3, **changes: object) -> InvoiceDocument:
    lines = make_lines(count)
    total = sum((line.amount for line in lines), D("0.00"))
    fields: dict[str, object] = dict(
        number="000123",
        issued_on=date(2025, 3, 5),
        due_on=date(2025, 3, 12),
        supplier=SUPPLIER,
        buyer=BUYER,
        lines=lines,
        total=total,
        vat_total=(total / 6).quantize(D("0.01")),
        vat_rate_label="20 %",
        kind_label="Передоплата 100 %",
        basis="Замовлення № 000123",
        pay_url="https://portal.example.ua/pay/abc123",
        discount_note=None,
    )
    fields.update(changes)
    return InvoiceDocument(**fields)  # type: ignore[arg-type]


def make_statement(opening: Decimal = D("1500.00"), entries: list[StatementEntry] | None = None,
                   closing: Decimal | None = None) -> StatementOfAccount:
    if entries is None:
        entries = [
            StatementEntry(date(2025, 1, 10), "Видаткова накладна № 101 від 10.01.2025", debit=D("12345.60")),
            StatementEntry(date(2025, 1, 15), "Оплата, платіжна інструкція № 77", credit=D("10000.00")),
            StatementEntry(date(2025, 2, 3), "Видаткова накладна № 140 від 03.02.2025", debit=D("2154.40")),
        ]
    if closing is None:
        closing = opening + sum((e.debit - e.credit for e in entries), D("0.00"))
    return StatementOfAccount(SUPPLIER, BUYER, date(2025, 1, 1), date(2025, 3, 31), opening, entries, closing)


@pytest.fixture(scope="module")
def invoice_pdf() -> bytes:
    return render_invoice_pdf(make_invoice())


@pytest.fixture(scope="module")
def long_invoice_pdf() -> bytes:
    return render_invoice_pdf(make_invoice(120))


# ---- formatting -----------------------------------------------------------------------------


def test_date_format() -> None:
    assert date_uk(date(2025, 3, 5)) == "05.03.2025"


# ---- fonts ----------------------------------------------------------------------------------


def test_fonts_ship_with_the_package() -> None:
    package = Path(payments.documents.__file__).parent
    assert FONT_DIR == package / "fonts"
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE"):
        assert (FONT_DIR / name).is_file()
    assert "Bitstream" in (FONT_DIR / "LICENSE").read_text()


# ---- invoice --------------------------------------------------------------------------------


def test_invoice_is_a_pdf_with_dejavu_embedded(invoice_pdf: bytes) -> None:
    assert invoice_pdf.startswith(b"%PDF-")
    assert invoice_pdf.rstrip().endswith(b"%%EOF")
    assert re.search(rb"/BaseFont /\w+\+DejaVuSans", invoice_pdf)
    assert b"/FontFile2" in invoice_pdf  # embedded, not merely named
    assert page_count(invoice_pdf) == 1


def test_invoice_content(invoice_pdf: bytes) -> None:
    doc = make_invoice()
    [page] = pdf_pages(invoice_pdf)
    text = flat(page)
    assert "Рахунок на оплату № 000123 від 05.03.2025" in text
    assert "Передоплата 100 %" in text
    for phrase in (
        "Постачальник:", "ТОВ «ГоРеКа Постач»", "код за ЄДРПОУ 32855961, ІПН 328559626543",
        "IBAN UA213223130000026007233566001 в АТ КБ «ПриватБанк», МФО 305299",
        "Покупець:", "ФОП Коваленко Олена Петрівна", "РНОКПП 3012345671", "вул. Городоцька, 15",
        "Підстава: Замовлення № 000123",
    ):
        assert phrase in text, phrase
    for heading in ("№", "Артикул", "Товар", "Од.", "Кількість", "Ціна з ПДВ", "Сума з ПДВ"):
        assert heading in page.splitlines()
    assert LONG_NAME in text  # wrapped over several lines, all of it printed
    assert "12,5" in page.splitlines() and "100" in page.splitlines()
    assert "1 789,00" in page.splitlines() and "5 367,00" in page.splitlines()
    total = plain(format_money(doc.total, "uk", currency=False))
    assert f"Всього: {total}" in text
    assert f"У тому числі ПДВ (20 %): {plain(format_money(doc.vat_total, 'uk', currency=False))}" in text
    assert f"Всього до сплати: {total} грн ({amount_in_words_uk(doc.total)})" in text
    assert doc.total == D("6329.75")
    assert "(Шість тисяч триста двадцять дев'ять гривень 75 копійок)" in text
    assert "Сплатити до 12.03.2025" in text
    assert "Оплатити карткою: https://portal.example.ua/pay/abc123" in text
    assert "Виписав(ла):" in text
    assert plain(payment_purpose(doc)) in text


def test_invoice_without_vat_due_date_or_pay_link() -> None:
    supplier = Party("ФОП Шевченко Тарас", "2345678901", "м. Київ", iban="UA213223130000026007233566001")
    doc = make_invoice(1, supplier=supplier, vat_total=D("0.00"), vat_rate_label="", due_on=None, pay_url=None,
                       kind_label="", discount_note="Знижка 3 % врахована в цінах")
    text = flat("\n".join(pdf_pages(render_invoice_pdf(doc))))
    assert "Без ПДВ" in text
    assert "у т.ч. ПДВ" not in text and "ІПН" not in text
    assert "Сплатити до" not in text
    assert "Оплатити карткою" not in text
    assert "Знижка 3 % врахована в цінах" in text
    assert "Всього до сплати: 563,75 грн (П'ятсот шістдесят три гривні 75 копійок)" in text


def test_long_invoice_breaks_across_pages_with_the_heading_repeated(long_invoice_pdf: bytes) -> None:
    pages = pdf_pages(long_invoice_pdf)
    assert len(pages) == page_count(long_invoice_pdf) > 2
    for number, page in enumerate(pages, start=1):
        assert page.splitlines().count("Артикул") == 1, number
        assert f"сторінка {number} з {len(pages)}" in flat(page)
    printed = [sku for page in pages for sku in re.findall(r"SKU-\d+", page)]
    assert printed == [f"SKU-{1000 + n}" for n in range(1, 121)]
    # The totals never stand alone on the last sheet: the last lines go with them.
    assert "SKU-1120" in pages[-1] and "SKU-1119" in pages[-1]
    assert "Всього до сплати:" in flat(pages[-1])
    assert "Рахунок на оплату № 000123" in pages[0].splitlines()[0]


# 1: one short table; 20: the totals would be cut in two by the page end; 24: the table ends
# on page 1 with no room for the totals under it; 29: the table itself runs over to page 2.
@pytest.mark.parametrize("count", [1, 20, 24, 29])
def test_totals_keep_the_last_lines_at_any_length(count: int) -> None:
    pages = pdf_pages(render_invoice_pdf(make_invoice(count)))
    assert f"SKU-{1000 + count}" in pages[-1]
    assert "Виписав(ла):" in pages[-1]


# ---- statement of account -------------------------------------------------------------------


def test_statement_pdf_content() -> None:
    s = make_statement()
    data = render_statement_pdf(s)
    assert data.startswith(b"%PDF-") and re.search(rb"DejaVuSans", data)
    [page] = pdf_pages(data)
    lines = page.splitlines()
    text = flat(page)
    assert "Акт звірки взаєморозрахунків" in lines
    assert "за період з 01.01.2025 по 31.03.2025" in lines
    assert "ТОВ «ГоРеКа Постач»" in text and "ФОП Коваленко Олена Петрівна" in text
    for heading in ("Дата", "Документ", "Дебет", "Кредит"):
        assert heading in lines
    assert "Сальдо на 01.01.2025" in lines and "1 500,00" in lines
    assert "10.01.2025" in lines and "Видаткова накладна № 101 від 10.01.2025" in lines
    assert "12 345,60" in lines and "10 000,00" in lines
    assert "Обороти за період" in lines and "14 500,00" in lines
    assert "Сальдо на 31.03.2025" in lines and "6 000,00" in lines
    assert (
        "Станом на 31.03.2025 заборгованість на користь ТОВ «ГоРеКа Постач» становить "
        "6 000,00 грн (Шість тисяч гривень 00 копійок)."
    ) in text
    assert "Від постачальника:" in lines and "Від покупця:" in lines
    assert lines.count("М.П.") == 2


def test_statement_in_favour_of_the_buyer() -> None:
    s = make_statement(opening=D("-250.00"), entries=[
        StatementEntry(date(2025, 2, 1), "Оплата, платіжна інструкція № 90", credit=D("1000.00")),
    ])
    assert s.closing_balance == D("-1250.00")
    text = flat(pdf_pages(render_statement_pdf(s))[0])
    assert (
        "заборгованість на користь покупця ФОП Коваленко Олена Петрівна становить "
        "1 250,00 грн (Одна тисяча двісті п'ятдесят гривень 00 копійок)"
    ) in text


def test_statement_with_no_debt() -> None:
    s = make_statement(opening=D("0.00"), entries=[
        StatementEntry(date(2025, 1, 10), "Видаткова накладна № 5", debit=D("700.00")),
        StatementEntry(date(2025, 1, 11), "Оплата LiqPay № 12", credit=D("700.00")),
    ])
    text = flat(pdf_pages(render_statement_pdf(s))[0])
    assert "Станом на 31.03.2025 заборгованість відсутня." in text
    assert "на користь" not in text


def test_statement_refuses_a_closing_balance_that_does_not_add_up() -> None:
    with pytest.raises(ValueError, match="closing balance"):
        make_statement(closing=D("6000.01"))


def test_long_statement_repeats_its_heading() -> None:
    entries = [StatementEntry(date(2025, 1, 1 + n % 28), f"Видаткова накладна № {n}", debit=D("10.00")) for n in range(90)]
    pages = pdf_pages(render_statement_pdf(make_statement(entries=entries)))
    assert len(pages) > 1
    assert all(page.splitlines().count("Документ") == 1 for page in pages)
    assert "Від покупця:" in pages[-1]


def _read_xlsx(data: bytes) -> openpyxl.worksheet.worksheet.Worksheet:
    return openpyxl.load_workbook(io.BytesIO(data)).active


def _row_of(ws: openpyxl.worksheet.worksheet.Worksheet, label: str) -> int:
    return next(cell.row for cell in ws["A"] if cell.value == label)


def _money(value: object) -> Decimal:
    assert isinstance(value, (int, float)), value  # a number, not text
    return D(str(value)).quantize(D("0.01"))


def test_statement_xlsx_numbers_dates_and_balances() -> None:
    s = make_statement()
    ws = _read_xlsx(render_statement_xlsx(s))
    assert ws["A1"].value == "Акт звірки взаєморозрахунків"
    assert ws["A2"].value == "за період з 01.01.2025 по 31.03.2025"
    header = _row_of(ws, "Дата")
    assert [c.value for c in ws[header]] == ["Дата", "Документ", "Дебет", "Кредит"]

    opening = header + 1
    assert ws.cell(opening, 1).value == "Сальдо на 01.01.2025"
    assert _money(ws.cell(opening, 3).value) == D("1500.00") and ws.cell(opening, 4).value is None

    for offset, entry in enumerate(s.entries, start=1):
        row = [c.value for c in ws[opening + offset]]
        assert isinstance(row[0], datetime) and row[0].date() == entry.on
        assert ws.cell(opening + offset, 1).number_format == "DD.MM.YYYY"
        assert row[1] == entry.document
        assert (_money(row[2]) if row[2] is not None else D("0")) == entry.debit
        assert (_money(row[3]) if row[3] is not None else D("0")) == entry.credit

    turnover = _row_of(ws, "Обороти за період")
    assert _money(ws.cell(turnover, 3).value) == D("14500.00")
    assert _money(ws.cell(turnover, 4).value) == D("10000.00")
    closing = _row_of(ws, "Сальдо на 31.03.2025")
    assert _money(ws.cell(closing, 3).value) == D("6000.00")
    for column in (3, 4):
        assert ws.cell(closing, column).number_format == "#,##0.00"
    assert ws.column_dimensions["B"].width >= 40

    texts = [c.value for c in ws["A"] if isinstance(c.value, str)]
    assert any("заборгованість на користь ТОВ «ГоРеКа Постач» становить 6\u00a0000,00\u00a0грн" in t for t in texts)
    assert "Від постачальника:" in texts


def test_statement_xlsx_negative_and_zero_balances() -> None:
    negative = make_statement(opening=D("-250.00"), entries=[])
    ws = _read_xlsx(render_statement_xlsx(negative))
    opening = _row_of(ws, "Сальдо на 01.01.2025")
    assert ws.cell(opening, 3).value is None and _money(ws.cell(opening, 4).value) == D("250.00")
    closing = _row_of(ws, "Сальдо на 31.03.2025")
    assert _money(ws.cell(closing, 4).value) == D("250.00")
    assert any("на користь покупця" in str(c.value) for c in ws["A"])

    zero = _read_xlsx(render_statement_xlsx(make_statement(opening=D("0.00"), entries=[])))
    assert any(c.value == "Станом на 31.03.2025 заборгованість відсутня." for c in zero["A"])
