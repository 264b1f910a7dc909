"""Bank statement files -> statement lines. Pure Python, no database.

Two formats reach the accountant: the 1C "Клиент-банк" exchange file
(1CClientBankExchange, what Ukrainian banks export for 1C/BAS) and a plain CSV.
A file is taken whole or not at all: any defect raises StatementFormatError naming
the line, so an import never stores half a statement.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Callable, TypeVar

from flask_babel import gettext as _

from core.money import CENT, in_whole_cents

ONE_C_MARKER = "1CClientBankExchange"
T = TypeVar("T")


@dataclass(frozen=True)
class StatementLine:
    line_no: int  # the file line where the document/row starts (1-based)
    doc_number: str
    doc_date: date
    amount: Decimal  # > 0, two places
    payer_name: str
    payer_tax_id: str  # digits only, '' if absent
    payer_account: str  # IBAN when the file has one
    purpose: str
    incoming: bool  # False for our own outgoing payments
    fingerprint: str  # the same bank document gives the same value in any file


@dataclass(frozen=True)
class Statement:
    format: str  # "1c" | "csv"
    encoding: str
    account: str  # our account: the 1C header's, a CSV's receiver column; '' if the file names none
    lines: list[StatementLine]
    # Every account the file says it is a statement of (1C: header and sections; CSV:
    # the receiver column). The importer takes the file only if all are ours.
    accounts: tuple[str, ...] = ()


class StatementFormatError(Exception):
    def __init__(self, line_no: int | None, reason: str) -> None:
        self.line_no = line_no
        self.reason = reason
        super().__init__(_("Рядок %(line)s: %(reason)s", line=line_no, reason=reason) if line_no else reason)


def parse_statement(content: bytes, filename: str = "") -> Statement:
    """The format and the encoding are read from the content, never from `filename`:
    banks name CSV exports .xls and 1C files anything at all."""
    if not content.strip(b"\xef\xbb\xbf \t\r\n\x1a"):
        raise StatementFormatError(None, _("файл порожній"))
    _refuse_binary(content)
    is_1c = content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(ONE_C_MARKER.encode())
    text, encoding = _decode(content, is_1c)
    text = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\x1a")
    return _parse_1c(text, encoding) if is_1c else _parse_csv(text, encoding)


# --- bytes to text ---------------------------------------------------------------

_BINARY_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")
# Control characters never occur in a text statement; \x1a is the DOS end-of-file mark.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x19\x1b-\x1f\x7f]")


def _refuse_binary(content: bytes) -> None:
    # An .xlsx uploaded by mistake would otherwise "decode" as cp1251 garbage.
    if content.startswith(_BINARY_MAGIC):
        raise StatementFormatError(
            None,
            _("це не текстовий файл виписки (схоже на Excel, PDF чи архів): завантажте виписку 1С (.txt) або CSV"),
        )


def _decode(content: bytes, is_1c: bool) -> tuple[str, str]:
    """UTF-8 when the bytes say so (BOM or a clean decode), else the 1C header's
    Кодировка (DOS = cp866), else Windows-1251, the banks' default."""
    if content.startswith(b"\xef\xbb\xbf"):
        encoding, data = "utf-8-sig", content
    else:
        try:
            return _checked(content.decode("utf-8")), "utf-8"
        except UnicodeDecodeError:
            data = content
            head = content[:4096]
            dos = is_1c and any("Кодировка=DOS".encode(enc) in head for enc in ("cp866", "cp1251"))
            encoding = "cp866" if dos else "cp1251"
    try:
        return _checked(data.decode(encoding)), encoding
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        shown = {"utf-8-sig": "UTF-8", "cp1251": "Windows-1251", "cp866": "DOS (CP866)"}[encoding]
        raise StatementFormatError(
            line, _("файл містить байти, які не читаються в кодуванні %(encoding)s", encoding=shown)
        ) from None


def _checked(text: str) -> str:
    found = _CONTROL.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        raise StatementFormatError(line, _("файл містить двійкові символи: це не текстова виписка"))
    return text


# --- field values shared by both formats ------------------------------------------

_AMOUNT = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_NON_DIGITS = re.compile(r"\D")
_SPACES = str.maketrans("", "", " \u00a0\u202f'")
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
_DATE_DMY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})" + _TIME)
_DATE_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})" + _TIME)


def parse_amount(value: str, line: int) -> Decimal:
    cleaned = value.translate(_SPACES)
    if not _AMOUNT.fullmatch(cleaned):
        raise StatementFormatError(line, _("сума «%(value)s» не є числом", value=value))
    amount = Decimal(cleaned.replace(",", "."))
    if amount <= 0:
        raise StatementFormatError(line, _("сума «%(value)s» має бути більшою за нуль", value=value))
    if not in_whole_cents(amount):
        # "1.234" is a thousands separator read the wrong way: rounding it would book a
        # thousandth of the payment.
        raise StatementFormatError(line, _("сума «%(value)s» має більше двох знаків після коми", value=value))
    return amount.quantize(CENT)


def parse_date(value: str, line: int) -> date:
    if found := _DATE_DMY.fullmatch(value):
        day, month, year = found.groups()
    elif found := _DATE_ISO.fullmatch(value):
        year, month, day = found.groups()
    if found:
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            pass
    raise StatementFormatError(line, _("дата «%(value)s» не у форматі ДД.ММ.РРРР або РРРР-ММ-ДД", value=value))


def tax_id(value: str) -> str:
    digits = value if value.isdigit() else _NON_DIGITS.sub("", value)
    if 0 < len(digits) < 8:
        # ЄДРПОУ may start with zeros (00032129) that Excel and some banks drop.
        return digits.zfill(8)
    return digits


def account_id(value: str) -> str:
    return "".join(value.split()).upper() if " " in value or "\t" in value else value.strip().upper()


def clean_text(value: str) -> str:
    return " ".join(value.split())


def fingerprint(number: str, doc_date: date, amount: Decimal, account: str, payer_tax_id: str, purpose: str) -> str:
    # Only what the bank put in the document: re-exports over another period move
    # it to another line, and another encoding decodes to the same text.
    key = "\x1f".join((number, doc_date.isoformat(), str(amount), account, payer_tax_id, purpose))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _line(line_no: int, number: str, doc_date: date, amount: Decimal, payer_name: str, payer_tax_id: str,
          payer_account: str, purpose: str, incoming: bool) -> StatementLine:
    return StatementLine(
        line_no=line_no, doc_number=number, doc_date=doc_date, amount=amount, payer_name=payer_name,
        payer_tax_id=payer_tax_id, payer_account=payer_account, purpose=purpose, incoming=incoming,
        fingerprint=fingerprint(number, doc_date, amount, payer_account, payer_tax_id, purpose),
    )


# --- 1CClientBankExchange ----------------------------------------------------------

_REQUIRED_1C = ("Номер", "Дата", "Сумма")
Document = dict[str, str]


def _parse_1c(content: str, encoding: str) -> Statement:
    lines = content.split("\n")
    accounts, docs = _read_1c(lines)
    if not accounts:
        raise StatementFormatError(None, _("у заголовку виписки немає нашого рахунку (РасчСчет)"))
    ours = set(accounts)
    return Statement(
        "1c", encoding, accounts[0], [_document(start, doc, ours, lines) for start, doc in docs],
        tuple(dict.fromkeys(accounts)),
    )


def _read_1c(lines: list[str]) -> tuple[list[str], list[tuple[int, Document]]]:
    """Our accounts (header and СекцияРасчСчет) and the raw documents with their first line."""
    accounts: list[str] = []
    docs: list[tuple[int, Document]] = []
    doc: Document | None = None
    doc_start = section_start = 0
    seen_marker = False
    for no, raw in enumerate(lines, 1):
        entry = raw.strip()
        if doc is not None:  # the hot path: ~20 key=value lines per document
            key, sep, value = entry.partition("=")
            if sep and key != "СекцияДокумент":
                doc[key] = value
            elif entry == "КонецДокумента":
                docs.append((doc_start, doc))
                doc = None
            elif sep or entry in ("КонецФайла", "СекцияРасчСчет", "КонецРасчСчет"):
                raise _unclosed_document(doc_start)
            elif entry:
                raise _not_key_value(no, entry)
            continue
        if not entry:
            continue
        if not seen_marker:
            seen_marker = True
            if entry != ONE_C_MARKER:
                raise StatementFormatError(no, _("перший рядок має бути «1CClientBankExchange»"))
            continue
        key, sep, value = entry.partition("=")
        if section_start and (key == "СекцияДокумент" or entry in ("КонецФайла", "СекцияРасчСчет")):
            raise StatementFormatError(
                section_start, _("секцію «СекцияРасчСчет» не закрито: немає рядка «КонецРасчСчет»")
            )
        if entry == "КонецФайла":
            return accounts, docs
        if key == "СекцияДокумент":
            doc, doc_start = {}, no
        elif entry == "СекцияРасчСчет":
            section_start = no
        elif entry == "КонецРасчСчет" and section_start:
            section_start = 0
        elif entry in ("КонецРасчСчет", "КонецДокумента"):
            raise StatementFormatError(no, _("рядок «%(value)s» без початку своєї секції", value=entry))
        elif not sep:
            raise _not_key_value(no, entry)
        elif key == "РасчСчет" and value.strip():
            accounts.append(account_id(value))
    if doc is not None:
        raise _unclosed_document(doc_start)
    # Banks always close the file; without the mark a cut-off download would be
    # imported as if its first half were the whole statement.
    last = max((no for no, raw in enumerate(lines, 1) if raw.strip()), default=1)
    raise StatementFormatError(last, _("файл обірвано: немає рядка «КонецФайла»"))


def _unclosed_document(line: int) -> StatementFormatError:
    return StatementFormatError(line, _("документ не закрито: немає рядка «КонецДокумента»"))


def _not_key_value(line: int, entry: str) -> StatementFormatError:
    return StatementFormatError(line, _("очікувався запис «Ключ=Значення», а є «%(value)s»", value=entry[:60]))


def _first(doc: Document, *keys: str) -> str:
    for key in keys:
        value = doc.get(key)
        if value:
            return value.strip()
    return ""


def _document(start: int, doc: Document, ours: set[str], lines: list[str]) -> StatementLine:
    missing = [key for key in _REQUIRED_1C if not doc.get(key, "").strip()]
    if missing:
        raise StatementFormatError(start, _("у документі немає обов'язкових полів: %(keys)s", keys=", ".join(missing)))
    number = doc["Номер"].strip()
    doc_date = _checked_field(doc, "Дата", parse_date, start, lines)
    amount = _checked_field(doc, "Сумма", parse_amount, start, lines)
    payer_account = account_id(_first(doc, "ПлательщикIBAN", "ПлательщикСчет", "ПлательщикРасчСчет"))
    receiver_accounts = {
        account_id(doc[key]) for key in ("ПолучательIBAN", "ПолучательСчет", "ПолучательРасчСчет") if key in doc
    }
    # A transfer between two of our own accounts is not a customer's payment.
    incoming = not receiver_accounts.isdisjoint(ours) and payer_account not in ours
    # The Ukrainian variant keeps ЄДРПОУ/РНОКПП in ОКПО; ИНН there is the 12-digit
    # VAT number, usable only when a bank put the ЄДРПОУ into it instead.
    payer_tax_id = tax_id(doc.get("ПлательщикОКПО", "").strip())
    if not payer_tax_id:
        inn = tax_id(doc.get("ПлательщикИНН", "").strip())
        payer_tax_id = inn if len(inn) in (8, 10) else ""
    return _line(
        start, number, doc_date, amount, clean_text(_first(doc, "Плательщик1", "Плательщик")), payer_tax_id,
        payer_account, _purpose(doc), incoming,
    )


def _checked_field(doc: Document, key: str, parse: Callable[[str, int], T], start: int, lines: list[str]) -> T:
    try:
        return parse(doc[key].strip(), start)
    except StatementFormatError as error:
        # Line numbers of single keys are found only when needed: keeping them for
        # every key would slow down every good file.
        prefix = key + "="
        line = next((no for no in range(start, len(lines) + 1) if lines[no - 1].lstrip().startswith(prefix)), start)
        raise StatementFormatError(line, error.reason) from None


def _purpose(doc: Document) -> str:
    whole = doc.get("НазначениеПлатежа")
    if whole:
        return clean_text(whole)
    # Split purposes are numbered from 1, one key per printed line.
    parts = []
    while (part := doc.get(f"НазначениеПлатежа{len(parts) + 1}")) is not None:
        parts.append(part)
    return clean_text(" ".join(parts))


# --- CSV ----------------------------------------------------------------------------

# field -> (shown name, accepted headers after _header_key)
_CSV_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "date": ("Дата (date)", ("дата", "дата операції", "дата документа", "date")),
    "amount": ("Сума (amount)", ("сума", "сума, грн", "сума грн", "amount")),
    "payer_name": ("Платник (payer_name)", ("платник", "найменування платника", "payer name", "payer")),
    "payer_tax_id": (
        "ЄДРПОУ платника (payer_tax_id)",
        ("єдрпоу платника", "код платника", "код єдрпоу платника", "payer tax id", "payer edrpou"),
    ),
    "purpose": ("Призначення платежу (purpose)", ("призначення платежу", "призначення", "purpose")),
    "doc_number": (
        "Номер документа (doc_number)",
        ("номер документа", "номер", "№ документа", "№", "doc number", "document number"),
    ),
}
_CSV_OPTIONAL = {
    "payer_account": ("рахунок платника", "iban платника", "payer account", "payer iban"),
    # Our account the money came to: what makes the file a statement of one of ours.
    "receiver_account": (
        "рахунок отримувача", "iban отримувача", "наш рахунок", "receiver account", "receiver iban", "our account",
    ),
}


def _header_key(cell: str) -> str:
    return " ".join(cell.replace("_", " ").strip(" \"'\ufeff").casefold().split())


def _csv_columns(header: list[str], line: int) -> dict[str, int]:
    aliases = {alias: field for field, (_shown, names) in _CSV_COLUMNS.items() for alias in names}
    aliases.update({alias: field for field, names in _CSV_OPTIONAL.items() for alias in names})
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        field = aliases.get(_header_key(cell))
        if field and field not in columns:
            columns[field] = index
    missing = [shown for field, (shown, _names) in _CSV_COLUMNS.items() if field not in columns]
    if len(missing) == len(_CSV_COLUMNS):
        raise StatementFormatError(
            line,
            _("це не виписка: очікувався файл 1CClientBankExchange або CSV з колонками %(columns)s",
              columns=", ".join(shown for shown, _names in _CSV_COLUMNS.values())),
        )
    if missing:
        raise StatementFormatError(line, _("у заголовку CSV немає колонок: %(columns)s", columns=", ".join(missing)))
    return columns


def _sniff_delimiter(text: str) -> str:
    header = next((line for line in text.split("\n", 20) if line.strip()), "")
    return max(";,\t", key=header.count)


def _parse_csv(text: str, encoding: str) -> Statement:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text), strict=True)
    columns: dict[str, int] | None = None
    width = 0
    result: list[StatementLine] = []
    accounts: dict[str, None] = {}
    consumed = 0
    while True:
        start = consumed + 1
        try:
            row = next(reader, None)
        except csv.Error:
            raise StatementFormatError(start, _("незакриті або зайві лапки в рядку CSV")) from None
        if row is None:
            break
        consumed = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if columns is None:
            columns, width = _csv_columns(row, start), len(row)
            continue
        if len(row) != width:
            raise StatementFormatError(
                start, _("очікувалося колонок: %(expected)s, а є: %(found)s", expected=width, found=len(row))
            )
        result.append(_csv_row(start, row, columns))
        if "receiver_account" in columns and (account := account_id(row[columns["receiver_account"]])):
            accounts[account] = None
    if columns is None:
        raise StatementFormatError(None, _("файл порожній"))
    return Statement("csv", encoding, next(iter(accounts), ""), result, tuple(accounts))


def _csv_row(start: int, row: list[str], columns: dict[str, int]) -> StatementLine:
    def cell(field: str) -> str:
        return row[columns[field]].strip() if field in columns else ""

    return _line(
        start, cell("doc_number"), parse_date(cell("date"), start), parse_amount(cell("amount"), start),
        clean_text(cell("payer_name")), tax_id(cell("payer_tax_id")), account_id(cell("payer_account")),
        clean_text(cell("purpose")), True,
    )
