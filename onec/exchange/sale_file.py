"""type=sale&mode=file: 1C sends its orders back (CommerceML documents) with their state;
the statuses are applied through the kernel's transition table, in one transaction.

What moves an order, the furthest of these (a deletion mark or "Отменен" cancels it):
"Статус заказа" (our "[code] name" or a 1C status name), "Проведен" (confirmed), "Дата
отгрузки по 1С" (shipped). An order goes forward one allowed step at a time; a step the
table or the order's terms refuse ends its moves with a reason on the run, never a 500.
A payment 1C reports ("Номер/Дата оплаты по 1С") is noted on the run, not booked: 1C's
payments reach the ledger with their allocations through the web service pull.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.orders import states
from core.orders.models import Order
from onec.commerceml import SCHEMA_VERSIONS, CommerceMLError
from onec.exchange.sale_status import status_from_value
from onec.importer.common import Tally
from onec.importer.run import sha256_of
from onec.models import ExchangeRun
from onec.order_moves import PATH, move_to

ROOT = "КоммерческаяИнформация"
_TRUE = frozenset({"true", "истина", "1", "так", "да"})
MAX_ORDER_ID = 2**31 - 1
_TRUNCATION_CODES = frozenset({3, 5, 6, 20})  # expat: input ends inside the document


@dataclass
class OrderState:
    """What one of 1C's documents says of an order."""

    ref: str
    number: str
    tax_ids: set[str] = field(default_factory=set)
    values: dict[str, str] = field(default_factory=dict)

    def flag(self, name: str) -> bool:
        return self.values.get(name, "").strip().lower() in _TRUE

    def target(self) -> str | None:
        if self.flag("ПометкаУдаления") or self.flag("Отменен"):
            return states.CANCELLED
        named = status_from_value(self.values.get("Статус заказа", ""))
        if named == states.CANCELLED:
            return named
        candidates = [named] if named in PATH else []
        if self.flag("Проведен"):
            candidates.append(states.CONFIRMED)
        if self.values.get("Дата отгрузки по 1С", "").strip():
            candidates.append(states.SHIPPED)
        return max(candidates, key=PATH.index) if candidates else None


def is_complete(path: Path) -> bool:
    """Whether the file ends its root element: a document 1C splits by file_limit comes in
    several POSTs, and only the last closes it."""
    with open(path, "rb") as stream:
        stream.seek(max(0, path.stat().st_size - 512))
        tail = stream.read().rstrip()
    return any(tail.endswith(f"</{ROOT}>".encode(encoding)) for encoding in ("utf-8", "windows-1251"))


def apply_file(session: Session, path: Path) -> ExchangeRun:
    """All of the file's changes commit together, or (a file that cannot be read, even
    half way) none do and the run says why."""
    run = ExchangeRun(direction="in", entity="orders", source="commerceml", started_at=utcnow(),
                      file_name=path.name[-255:], file_sha256=sha256_of(path))
    tally = Tally()
    try:
        for order_state in read_documents(path):
            _apply(session, order_state, tally)
    except CommerceMLError as error:
        session.rollback()
        run.status, run.error = "failed", f"{error.code}: {error.detail}"[:4000]
    else:
        run.status = "success"
        run.updated, run.unchanged = tally.updated, tally.unchanged
        run.skipped, run.skipped_items = tally.skipped, tally.skipped_items
    run.finished_at = utcnow()
    session.add(run)
    session.commit()
    return run


def read_documents(path: Path) -> Iterator[OrderState]:
    events = iterparse(str(path), events=("start", "end"), forbid_dtd=True)
    try:
        _, root = next(events)
        if _local(root.tag) != ROOT:
            raise CommerceMLError("not_commerceml", f"the root element is {_local(root.tag)[:60]}, not {ROOT}")
        version = root.get("ВерсияСхемы", "")
        if version not in SCHEMA_VERSIONS:
            raise CommerceMLError("unknown_version", f"ВерсияСхемы «{version[:20]}» is none of {sorted(SCHEMA_VERSIONS)}")
        for event, element in events:
            if event == "end" and _local(element.tag) == "Документ":
                yield _order_state(element)
                element.clear()
    except ParseError as error:
        code = "truncated" if error.code in _TRUNCATION_CODES else "malformed_xml"
        raise CommerceMLError(code, str(error)) from error
    except DefusedXmlException as error:
        raise CommerceMLError("forbidden_dtd", str(error)) from error
    except StopIteration as error:
        raise CommerceMLError("empty", "the file has no XML") from error


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: Element, name: str) -> str:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def _order_state(document: Element) -> OrderState:
    found = OrderState(ref=_child(document, "Ид"), number=_child(document, "Номер"))
    for child in document:
        name = _local(child.tag)
        if name in ("ПометкаУдаления", "Проведен"):
            found.values[name] = (child.text or "").strip()
    for element in document.iter():
        name = _local(element.tag)
        if name == "Контрагент":
            found.tax_ids |= {code for code in (_child(element, tag) for tag in ("ОКПО", "КодПоЕДРПОУ", "ИНН")) if code}
        elif name == "ЗначениеРеквизита":
            found.values[_child(element, "Наименование")] = _child(element, "Значение")
    return found


def _find(session: Session, order_state: OrderState) -> Order | None:
    """Our order by the Ид we sent (our id); by our number only when there is no Ид, and
    then written exactly as we write it: a document 1C made itself has a GUID for Ид and a
    number of 1C's own series (0000000123 is not our 000123)."""
    ref = order_state.ref or order_state.number
    # ASCII digits only ("²" is a digit int() refuses) and within the id column's range (a
    # larger number is an error on PostgreSQL's integer, not "no such order").
    if not (ref.isascii() and ref.isdigit()) or int(ref) > MAX_ORDER_ID:
        return None
    order = session.get(Order, int(ref))
    if order is not None and not order_state.ref and order.number != order_state.number:
        return None
    return order


def _apply(session: Session, order_state: OrderState, tally: Tally) -> None:
    ref = order_state.ref or order_state.number or None
    order = _find(session, order_state)
    if order is None:
        tally.skip(ref, "unknown_order", "no order of the portal has this Ид or number")
        return
    if order_state.tax_ids and order.company.tax_id not in order_state.tax_ids:
        tally.skip(ref, "other_company_order", f"the order is of another company than {sorted(order_state.tax_ids)}")
        return
    paid_number = order_state.values.get("Номер оплаты по 1С", "").strip()
    if paid_number:
        tally.skip(ref, "payment_not_booked", f"1C payment {paid_number[:40]} of "
                   f"{order_state.values.get('Дата оплаты по 1С', '')[:20]}: payments from 1C are booked by the pull")
    target = order_state.target()
    moved = False if target is None else move_to(session, order, target, "1С", tally, ref=ref)
    if moved is True:
        tally.updated += 1
    elif moved is False:
        tally.unchanged += 1


