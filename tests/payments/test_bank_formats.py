"""Bank statement files: 1CClientBankExchange and CSV, in every encoding banks use,
and every defect refused whole, with the line, in Ukrainian and in English."""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import session

from payments.bank import StatementFormatError, parse_statement
from payments.bank.samples import build_1c_statement, build_csv_statement, iban

OURS = iban("300465", "26002012345678")  # Ощадбанк
OUR_SECOND = iban("300465", "26009098765432")


def _docs() -> list[dict[str, Any]]:
    return [
        dict(number="1542", date=date(2026, 11, 20), amount=Decimal("12500.00"), payer_name="ТОВ «Кава Плюс»",
             payer_tax_id="38457219", payer_account=iban("305299", "26001055500001"),
             purpose="Оплата за товар згідно рахунку № РФ-000123 від 18.11.2026, у т.ч. ПДВ 20% 2083,33 грн"),
        dict(number="87", date=date(2026, 11, 20), amount="3480,50", payer_name="ФОП Петренко Олена Іванівна",
             payer_tax_id="3012345678", payer_account=iban("322001", "26003000011122"),
             purpose=["Оплата за каву та чай згідно", "рах. № РФ-000131 від 19.11.2026,", "без ПДВ"]),
        dict(number="9001", date=date(2026, 11, 21), amount=Decimal("7200.00"), payer_name="ПП «Ресторан Їжак»",
             payer_tax_id="00123456", payer_account=iban("305299", "26005077700003"),
             purpose="Передоплата за рах. РФ-000140; у т.ч. ПДВ 1200,00"),
        dict(number="311", date=date(2026, 11, 21), amount=Decimal("4100.00"), payer_account=OURS,
             receiver_name="ТОВ «Швидка Логістика»", receiver_tax_id="41112223",
             receiver_account=iban("300528", "26007001234567"), purpose="Оплата за перевезення згідно рах. 77"),
        dict(number="15", date=date(2026, 11, 22), amount=Decimal("0.50"), payer_name="ФОП Іваненко Ґ. Є.",
             payer_tax_id="2987654321", payer_account=iban("305299", "26008000000009"),
             purpose="Оплата рах. РФ-000141 (доплата)"),
    ]


def _starts(content: bytes, encoding: str, marker: str = "СекцияДокумент=") -> list[int]:
    text = content.decode(encoding).lstrip("\ufeff")
    return [no for no, line in enumerate(text.split("\r\n"), 1) if line.startswith(marker)]


def _line_of(content: bytes, prefix: str, occurrence: int = 0, encoding: str = "cp1251") -> int:
    return _starts(content, encoding, prefix)[occurrence]


@pytest.fixture
def uk(app: Any) -> Any:
    with app.test_request_context():
        yield


@pytest.fixture
def en(app: Any) -> Any:
    with app.test_request_context():
        session["lang"] = "en"  # what /lang/en stores; core.i18n.select_locale reads it
        yield


# --- 1CClientBankExchange ---------------------------------------------------------------


def test_1c_windows_1251_statement(uk):
    content = build_1c_statement(_docs(), OURS)
    statement = parse_statement(content, "kl_to_1c.txt")

    assert (statement.format, statement.encoding, statement.account) == ("1c", "cp1251", OURS)
    assert [line.line_no for line in statement.lines] == _starts(content, "cp1251")
    first, fop, zeros, outgoing, small = statement.lines
    assert first.doc_number == "1542" and first.doc_date == date(2026, 11, 20)
    assert first.amount == Decimal("12500.00") and first.payer_name == "ТОВ «Кава Плюс»"
    assert first.payer_tax_id == "38457219" and first.payer_account == iban("305299", "26001055500001")
    assert first.incoming
    assert fop.amount == Decimal("3480.50") and fop.payer_tax_id == "3012345678"
    assert fop.purpose == "Оплата за каву та чай згідно рах. № РФ-000131 від 19.11.2026, без ПДВ"
    assert zeros.payer_tax_id == "00123456" and zeros.payer_name == "ПП «Ресторан Їжак»"
    assert not outgoing.incoming and outgoing.payer_account == OURS
    assert small.amount == Decimal("0.50") and str(small.amount) == "0.50"
    assert small.payer_name == "ФОП Іваненко Ґ. Є."


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_1c_utf8_with_or_without_bom_gives_the_same_lines(uk, encoding):
    expected = parse_statement(build_1c_statement(_docs(), OURS)).lines
    content = build_1c_statement(_docs(), OURS, encoding)
    assert "Кодировка=Windows".encode() in content  # the bytes win over what the header claims

    statement = parse_statement(content)

    assert statement.encoding == encoding
    assert statement.lines == expected


def test_1c_dos_encoding(uk):
    doc = dict(number="12", date=date(2026, 11, 3), amount=Decimal("990.00"), payer_name="ТОВ Кава Плюс",
               payer_tax_id="38457219", payer_account=iban("305299", "26001055500001"),
               purpose="Оплата по рахунку № РФ-000123, ПДВ 20% 165,00 грн")
    content = build_1c_statement([doc], OURS, "cp866")
    assert "Кодировка=DOS".encode("cp866") in content

    statement = parse_statement(content)

    assert statement.encoding == "cp866"
    assert statement.lines == parse_statement(build_1c_statement([doc], OURS)).lines


def test_1c_russian_style_keys_and_own_transfers(uk):
    text = "\r\n".join([
        "1CClientBankExchange", "ВерсияФормата=1.03", "Кодировка=Windows", f"РасчСчет={OURS}",
        "СекцияРасчСчет", f"РасчСчет={OUR_SECOND}", "КонецРасчСчет",
        "СекцияДокумент=Банковский ордер", "Номер=5", "Дата=02.11.2026", "Сумма=1 234,56",
        "ПлательщикРасчСчет=UA 42 305299 0000026001055500001", "Плательщик=ИНН 38457219 ТОВ «Кава Плюс»",
        "Плательщик1=ТОВ «Кава Плюс»", "ПлательщикИНН=38457219", f"ПолучательРасчСчет={OURS}",
        "НазначениеПлатежа=Оплата рах. 5", "НазначениеПлатежа1=Оплата рах. 5", "КонецДокумента",
        "СекцияДокумент=Платежное поручение", "Номер=6", "Дата=02.11.2026", "Сумма=100.00",
        f"ПлательщикСчет={OUR_SECOND}", "ПлательщикИНН=412345678901", f"ПолучательСчет={OURS}",
        "НазначениеПлатежа=Переказ власних коштів", "КонецДокумента", "КонецФайла", "",
    ])
    customer, own = parse_statement(text.encode("cp1251")).lines

    assert customer.payer_account == "UA423052990000026001055500001"
    assert (customer.payer_name, customer.payer_tax_id) == ("ТОВ «Кава Плюс»", "38457219")
    assert customer.amount == Decimal("1234.56") and customer.purpose == "Оплата рах. 5"
    assert customer.incoming
    assert own.payer_tax_id == ""  # a 12-digit ІПН is not a ЄДРПОУ
    assert not own.incoming  # between our own accounts: nobody paid us


def test_fingerprints_identify_a_document_across_files(uk):
    docs = _docs()
    lines = parse_statement(build_1c_statement(docs, OURS)).lines
    again = parse_statement(build_1c_statement(docs, OURS, "utf-8-sig")).lines
    wider = parse_statement(build_1c_statement([*_docs()[:1], *docs], OURS)).lines  # another period, other lines

    assert len({line.fingerprint for line in lines}) == len(lines)
    assert [line.fingerprint for line in again] == [line.fingerprint for line in lines]
    assert {line.fingerprint for line in wider} == {line.fingerprint for line in lines}
    docs[0]["amount"] = Decimal("12500.01")
    changed = parse_statement(build_1c_statement(docs, OURS)).lines
    assert changed[0].fingerprint != lines[0].fingerprint and changed[1:] == lines[1:]


def test_1c_statement_without_documents(uk):
    statement = parse_statement(build_1c_statement([], OURS))
    assert statement.lines == [] and statement.account == OURS


def test_parses_outside_any_flask_context():
    assert len(parse_statement(build_1c_statement(_docs(), OURS)).lines) == 5
    with pytest.raises(StatementFormatError, match="^файл порожній$"):
        parse_statement(b"")


# --- CSV ----------------------------------------------------------------------------------


def _csv_rows() -> list[dict[str, Any]]:
    rows = [doc for doc in _docs() if doc.get("payer_account") != OURS]
    for row in rows:
        row["purpose"] = row["purpose"] if isinstance(row["purpose"], str) else " ".join(row["purpose"])
    return rows


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_csv_in_every_encoding_and_delimiter(uk, encoding, delimiter):
    content = build_csv_statement(_csv_rows(), encoding, delimiter)
    statement = parse_statement(content, "vypyska.csv")

    assert (statement.format, statement.encoding, statement.account) == ("csv", encoding, "")
    assert [line.line_no for line in statement.lines] == [2, 3, 4, 5]
    first, fop, zeros, small = statement.lines
    assert (first.doc_number, first.doc_date, first.amount) == ("1542", date(2026, 11, 20), Decimal("12500.00"))
    assert (first.payer_name, first.payer_tax_id, first.payer_account) == ("ТОВ «Кава Плюс»", "38457219", "")
    assert fop.amount == Decimal("3480.50") and fop.purpose.startswith("Оплата за каву")
    assert zeros.payer_tax_id == "00123456" and small.amount == Decimal("0.50")
    assert all(line.incoming for line in statement.lines)
    reference = parse_statement(build_csv_statement(_csv_rows()))
    assert [line.fingerprint for line in statement.lines] == [line.fingerprint for line in reference.lines]


def test_csv_columns_are_found_by_header(uk):
    content = (
        "amount,Рахунок платника,purpose,date,payer_tax_id,Банк,payer_name,doc_number\n"
        '"1 234,56",UA423052990000026001055500001,"Оплата рах. РФ-1, у т.ч. ПДВ",2026-11-20,'
        "5432198,Приватбанк,ТОВ «Кава Плюс»,77\n"
        "\n"
        '1234.5,,"Оплата\nрах. РФ-2",20.11.2026 14:05,3012345678,Ощадбанк,"ФОП ""Зірка""",78\n'
        "10,,Оплата рах. РФ-3,20.11.2026,38457219,,Кафе,79\n"
    ).encode("utf-8")
    first, second, third = parse_statement(content).lines

    assert first.amount == Decimal("1234.56") and first.doc_date == date(2026, 11, 20)
    assert first.payer_account == "UA423052990000026001055500001"
    assert first.payer_tax_id == "05432198"  # the leading zero Excel dropped is back
    assert first.purpose == "Оплата рах. РФ-1, у т.ч. ПДВ"
    assert (second.line_no, second.purpose, second.payer_name) == (4, "Оплата рах. РФ-2", "ФОП \"Зірка\"")
    assert third.line_no == 6 and third.amount == Decimal("10.00")


def test_csv_with_only_a_header_is_an_empty_statement(uk):
    assert parse_statement(build_csv_statement([])).lines == []


# --- refused files --------------------------------------------------------------------------


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def _1c(edit: Callable[[str], str] = lambda text: text, encoding: str = "cp1251") -> bytes:
    return edit(build_1c_statement(_docs(), OURS).decode("cp1251")).encode(encoding)


BASE = build_1c_statement(_docs(), OURS)
DOC_STARTS = _starts(BASE, "cp1251")
LINES = BASE.decode("cp1251").split("\r\n")
LAST_LINE = len(LINES) - 1  # the file ends with CRLF


def _drop(prefix: str, occurrence: int) -> Callable[[str], str]:
    def edit(text: str) -> str:
        lines = text.split("\r\n")
        index = [i for i, line in enumerate(lines) if line.startswith(prefix)][occurrence]
        return "\r\n".join(lines[:index] + lines[index + 1:])

    return edit


def _set(key: str, value: str, occurrence: int = 1) -> Callable[[str], str]:
    def edit(text: str) -> str:
        found = list(re.finditer(rf"^{key}=[^\r\n]*", text, re.M))[occurrence]
        return text[: found.start()] + f"{key}={value}" + text[found.end():]

    return edit


def _csv(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


CSV_HEAD = "Номер документа;Дата;Сума;Платник;ЄДРПОУ платника;Призначення платежу\n"
CSV_ROW = "1;20.11.2026;100,00;ТОВ «Кава Плюс»;38457219;Оплата рах. РФ-1\n"

# (content, line, Ukrainian fragment, English fragment)
REFUSED = {
    "empty": (b"", None, "файл порожній", "file is empty"),
    "only blank lines": (b"\xef\xbb\xbf\r\n  \r\n", None, "файл порожній", "file is empty"),
    "a letter, not a statement": (
        "Добрий день!\nНадсилаю виписку.\n".encode(), 1, "це не виписка", "not a bank statement",
    ),
    "binary junk": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 3, "двійкові символи", "binary"),
    "xlsx uploaded by mistake": (_xlsx(), None, "схоже на Excel", "looks like Excel"),
    "1C without Номер": (_1c(_drop("Номер=", 1)), DOC_STARTS[1], "полів: Номер", "missing required fields: Номер"),
    "1C without Дата and Сумма": (
        _1c(lambda t: _drop("Сумма=", 2)(_drop("Дата=", 2)(t))), DOC_STARTS[2], "полів: Дата, Сумма",
        "Дата, Сумма",
    ),
    "1C bad date": (
        _1c(_set("Дата", "31.02.2026")), _line_of(BASE, "Дата=", 1), "дата «31.02.2026»", "date «31.02.2026»",
    ),
    "1C amount not a number": (
        _1c(_set("Сумма", "12.500,00")), _line_of(BASE, "Сумма=", 1), "сума «12.500,00» не є числом",
        "amount «12.500,00» is not a number",
    ),
    "1C zero amount": (
        _1c(_set("Сумма", "0.00", 2)), _line_of(BASE, "Сумма=", 2), "більшою за нуль", "greater than zero",
    ),
    "1C negative amount": (
        _1c(_set("Сумма", "-7200.00", 2)), _line_of(BASE, "Сумма=", 2), "більшою за нуль", "greater than zero",
    ),
    "1C fractions of a kopeck": (
        _1c(_set("Сумма", "1.234", 0)), _line_of(BASE, "Сумма=", 0), "більше двох знаків", "more than two decimal",
    ),
    "1C document not closed": (
        _1c(_drop("КонецДокумента", 1)), DOC_STARTS[1], "немає рядка «КонецДокумента»", "no «КонецДокумента»",
    ),
    "1C file cut inside a document": (
        _1c(lambda t: t[: t.rindex("НазначениеПлатежа")]), DOC_STARTS[-1], "«КонецДокумента»", "«КонецДокумента»",
    ),
    "1C without КонецФайла": (
        _1c(_drop("КонецФайла", 0)), LAST_LINE - 1, "немає рядка «КонецФайла»", "no «КонецФайла»",
    ),
    "1C without our account": (
        _1c(lambda t: t.replace(f"РасчСчет={OURS}", "РасчСчет=")), None, "немає нашого рахунку",
        "our account",
    ),
    "1C stray text in a document": (
        _1c(_set("Номер", "88\r\nза товар")), _line_of(BASE, "Номер=", 1) + 1, "«Ключ=Значення»",
        "«Key=Value»",
    ),
    "1C КонецРасчСчет without its section": (
        _1c(_drop("СекцияРасчСчет", 0)), _line_of(BASE, "КонецРасчСчет") - 1, "без початку", "without",
    ),
    "1C undecodable byte": (
        _1c().replace("рах. № РФ-000131".encode("cp1251"), b"\x98"), _line_of(BASE, "НазначениеПлатежа2"),
        "Windows-1251", "Windows-1251",
    ),
    "UTF-8 with BOM and a broken byte": (
        b"\xef\xbb\xbf" + _csv(CSV_HEAD + CSV_ROW) + b"2;20.11.2026;5;\xff;1;x\n", 3, "UTF-8", "UTF-8",
    ),
    "CSV unknown header": (
        _csv("Дата;Сума;Платник;Коментар\n" + CSV_ROW), 1,
        "немає колонок: ЄДРПОУ платника (payer_tax_id), Призначення платежу (purpose), Номер документа",
        "missing the columns: ЄДРПОУ платника (payer_tax_id)",
    ),
    "CSV wrong column count": (
        _csv(CSV_HEAD + CSV_ROW + "2;20.11.2026;5,00;Кафе;38457219\n"), 3, "колонок: 6, а є: 5",
        "expected 6 columns, found 5",
    ),
    "CSV bad date": (_csv(CSV_HEAD + CSV_ROW.replace("20.11.2026", "2026/11/20")), 2, "дата «2026/11/20»", "date"),
    "CSV bad amount": (
        _csv(CSV_HEAD + CSV_ROW + CSV_ROW.replace("100,00", "сто гривень"), "cp1251"), 3,
        "сума «сто гривень» не є числом", "is not a number",
    ),
    "CSV unclosed quote": (
        _csv(CSV_HEAD + CSV_ROW + '2;20.11.2026;5,00;Кафе;38457219;"Оплата\n' + CSV_ROW), 3, "лапки", "quote",
    ),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_refused_in_ukrainian(uk, case):
    content, line, ukrainian, _english = REFUSED[case]
    with pytest.raises(StatementFormatError) as raised:
        parse_statement(content)

    error = raised.value
    assert error.line_no == line
    assert ukrainian in str(error)
    assert str(error).startswith(f"Рядок {line}: ") if line else "Рядок" not in str(error)
    assert error.reason in str(error)


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_refused_in_english(en, case):
    content, line, _ukrainian, english = REFUSED[case]
    with pytest.raises(StatementFormatError) as raised:
        parse_statement(content)

    error = raised.value
    assert error.line_no == line
    assert english in str(error)
    assert str(error).startswith(f"Line {line}: ") if line else "Line" not in str(error)
