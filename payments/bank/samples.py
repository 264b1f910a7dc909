"""Statement files as banks write them, for the tests, the demo and the benchmark.

A document/row is a plain dict:
    number, date (date or "dd.mm.yyyy"), amount (Decimal, or a str written as is),
    payer_name, payer_tax_id, payer_account, purpose (str, or a list written as
    НазначениеПлатежа1..N); 1C only: receiver_name, receiver_tax_id,
    receiver_account (default: us), kind (default "Платежное поручение").
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

OUR_NAME = "ТОВ «Оптовий Дім Смаку»"
OUR_TAX_ID = "41234567"


def iban(mfo: str, account: str) -> str:
    """A Ukrainian IBAN with real check digits: UA, 2 check digits, МФО, account to 19 digits."""
    bban = mfo + account.zfill(19)
    check = 98 - int(bban + "301000") % 97  # "UA00" moved to the end, U=30, A=10
    return f"UA{check:02d}{bban}"


def _day(value: date | str) -> str:
    return value.strftime("%d.%m.%Y") if isinstance(value, date) else value


def _sortable(day: str) -> str:
    return day[6:] + day[3:5] + day[:2]


def _total(doc: dict[str, Any]) -> Decimal:
    # Tests feed deliberately broken amounts; the balance lines need not add up then.
    try:
        return Decimal(str(doc["amount"]).replace(",", ".").replace(" ", ""))
    except ArithmeticError:
        return Decimal(0)


def _amount(value: Decimal | str, comma: bool = False) -> str:
    if isinstance(value, str):
        return value
    text = f"{value:.2f}"
    return text.replace(".", ",") if comma else text


def build_1c_statement(docs: Iterable[dict[str, Any]], our_account: str, encoding: str = "cp1251") -> bytes:
    docs = list(docs)
    days = [_day(doc["date"]) for doc in docs] or ["01.11.2026"]
    first, last = min(days, key=_sortable), max(days, key=_sortable)
    incoming = sum(_total(d) for d in docs if d.get("payer_account") != our_account)
    outgoing = sum(_total(d) for d in docs if d.get("payer_account") == our_account)
    out = [
        "1CClientBankExchange", "ВерсияФормата=1.03",
        # Banks keep saying Windows even when the file is re-saved as UTF-8.
        f"Кодировка={'DOS' if encoding == 'cp866' else 'Windows'}",
        "Отправитель=Приват24 для бізнесу", "Получатель=1С:Бухгалтерія для України",
        f"ДатаСоздания={last}", "ВремяСоздания=09:15:00", f"ДатаНачала={first}", f"ДатаКонца={last}",
        f"РасчСчет={our_account}", "Документ=Платежное поручение",
        "СекцияРасчСчет", f"ДатаНачала={first}", f"ДатаКонца={last}", f"РасчСчет={our_account}",
        "НачальныйОстаток=250000.00", f"ВсегоПоступило={incoming:.2f}", f"ВсегоСписано={outgoing:.2f}",
        f"КонечныйОстаток={Decimal('250000.00') + incoming - outgoing:.2f}", "КонецРасчСчет",
    ]
    for doc in docs:
        out += _document(doc, our_account)
    out.append("КонецФайла")
    # DOS (cp866) has no і, ґ or «»: a bank exporting in it loses them the same way.
    return ("\r\n".join(out) + "\r\n").encode(encoding, errors="replace")


def _document(doc: dict[str, Any], our_account: str) -> list[str]:
    payer_account = doc.get("payer_account", "")
    receiver_account = doc.get("receiver_account", our_account)
    ours = payer_account == our_account
    day = _day(doc["date"])
    lines = [
        f"СекцияДокумент={doc.get('kind', 'Платежное поручение')}",
        f"Номер={doc['number']}", f"Дата={day}", f"Сумма={_amount(doc['amount'])}",
        f"ПлательщикСчет={payer_account}", f"Плательщик={doc.get('payer_name', OUR_NAME if ours else '')}",
        f"ПлательщикОКПО={doc.get('payer_tax_id', OUR_TAX_ID if ours else '')}", f"ПлательщикМФО={payer_account[4:10]}",
        "ПлательщикБанк1=АТ КБ «ПРИВАТБАНК»",
        f"ПолучательСчет={receiver_account}", f"Получатель={doc.get('receiver_name', OUR_NAME)}",
        f"ПолучательОКПО={doc.get('receiver_tax_id', OUR_TAX_ID)}", f"ПолучательМФО={receiver_account[4:10]}",
        "ПолучательБанк1=АТ «Ощадбанк»",
        f"{'ДатаСписано' if ours else 'ДатаПоступило'}={day}",
    ]
    purpose = doc.get("purpose", "")
    if isinstance(purpose, str):
        lines.append(f"НазначениеПлатежа={purpose}")
    else:
        lines += [f"НазначениеПлатежа{n}={part}" for n, part in enumerate(purpose, 1)]
    return lines + ["КонецДокумента"]


CSV_HEADERS = {
    "uk": ("Номер документа", "Дата", "Сума", "Платник", "ЄДРПОУ платника", "Призначення платежу"),
    "en": ("doc_number", "date", "amount", "payer_name", "payer_tax_id", "purpose"),
}


RECEIVER_HEADER = {"uk": "Рахунок отримувача", "en": "receiver_account"}


def build_csv_statement(
    rows: Iterable[dict[str, Any]], encoding: str = "utf-8", delimiter: str = ";", header: str = "uk",
    our_account: str | None = None,
) -> bytes:
    """Ukrainian headers write dd.mm.yyyy and decimal commas, English ones ISO dates and dots.
    With `our_account`, a receiver column names it on every row (`receiver_account` of a row overrides)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    receiver = (RECEIVER_HEADER[header],) if our_account is not None else ()
    writer.writerow(CSV_HEADERS[header] + receiver)
    for row in rows:
        day = row["date"]
        if isinstance(day, date):
            day = day.strftime("%d.%m.%Y") if header == "uk" else day.isoformat()
        writer.writerow((
            row.get("number", ""), day, _amount(row["amount"], comma=header == "uk"), row.get("payer_name", ""),
            row.get("payer_tax_id", ""), row.get("purpose", ""),
        ) + ((row.get("receiver_account", our_account),) if receiver else ()))
    return buffer.getvalue().encode(encoding)
