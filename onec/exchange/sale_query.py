"""type=sale&mode=query: the orders 1C has not taken yet, as a CommerceML document per
order ("Заказ товара"), written by an XML writer (every text escaped)."""
from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from xml.sax.saxutils import XMLGenerator

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from core.catalog.models import Product
from core.clock import kyiv_now
from core.customers.models import Company
from core.money import vat_included
from core.orders import states
from core.orders.models import Order
from onec.commerceml import SCHEMA_VERSIONS
from onec.exchange.sale_status import status_value
from onec.models import SaleExport

# The version the document declares when 1C names none (or one the reader does not know).
DEFAULT_VERSION = "2.08"
VAT = "ПДВ"
TERMS = {"prepayment": "Передоплата", "deferred": "Відстрочка платежу", "advance": "Аванс"}
# An order a manager has not decided on yet (on hold) waits; one cancelled before 1C ever
# took it never goes. One 1C took and that is cancelled since goes again, so 1C cancels it too.
_NOT_YET = (states.ON_HOLD, states.CANCELLED)
# What XML 1.0 has no place for even escaped (C0 controls but tab and line breaks, lone
# surrogates, U+FFFE/FFFF): XMLGenerator writes them as they are, and one such character
# in a comment or a company's name would make the whole document unreadable to 1C, the
# order staying pending and blocking every query after it.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def pending_orders(session: Session, limit: int) -> list[Order]:
    stmt = (
        select(Order)
        .outerjoin(SaleExport, SaleExport.order_id == Order.id)
        .where(or_(
            and_(SaleExport.order_id.is_(None), Order.status.not_in(_NOT_YET)),
            and_(Order.status == states.CANCELLED, SaleExport.status != states.CANCELLED),
        ))
        .order_by(Order.id)
        .limit(limit)
        .options(joinedload(Order.company), joinedload(Order.delivery_point), selectinload(Order.lines),
                 selectinload(Order.discounts))
    )
    return list(session.scalars(stmt).unique())


def schema_version(requested: str | None) -> str:
    return requested if requested in SCHEMA_VERSIONS else DEFAULT_VERSION


def write_orders(session: Session, orders: Sequence[Order], *, version: str, encoding: str) -> bytes:
    product_ids = {line.product_id for order in orders for line in order.lines}
    guids = dict(session.execute(select(Product.id, Product.onec_guid).where(Product.id.in_(product_ids))).all()) \
        if product_ids else {}
    buffer = io.BytesIO()
    xml = _Writer(XMLGenerator(buffer, encoding=encoding, short_empty_elements=True))
    xml.out.startDocument()
    xml.open("КоммерческаяИнформация", {"ВерсияСхемы": version,
                                         "ДатаФормирования": kyiv_now().replace(microsecond=0, tzinfo=None).isoformat()})
    # 3.1 wraps each document in a container of its own.
    for order in orders:
        if version == "3.1":
            xml.open("Контейнер")
        _document(xml, order, guids)
        if version == "3.1":
            xml.close("Контейнер")
    xml.close("КоммерческаяИнформация")
    xml.out.endDocument()
    return buffer.getvalue()


class _Writer:
    def __init__(self, out: XMLGenerator) -> None:
        self.out = out

    def open(self, name: str, attrs: dict[str, str] | None = None) -> None:
        self.out.startElement(name, {key: xml_text(value) for key, value in (attrs or {}).items()})

    def close(self, name: str) -> None:
        self.out.endElement(name)

    def text(self, name: str, value: object, attrs: dict[str, str] | None = None) -> None:
        self.open(name, attrs)
        self.out.characters(xml_text(str(value)))
        self.close(name)

    def requisites(self, values: Sequence[tuple[str, object]]) -> None:
        self.open("ЗначенияРеквизитов")
        for name, value in values:
            self.open("ЗначениеРеквизита")
            self.text("Наименование", name)
            self.text("Значение", value)
            self.close("ЗначениеРеквизита")
        self.close("ЗначенияРеквизитов")

    def tax(self, amount: Decimal) -> None:
        self.open("Налоги")
        self.open("Налог")
        self.text("Наименование", VAT)
        self.text("УчтеноВСумме", "true")
        self.text("Сумма", _money(amount))
        self.close("Налог")
        self.close("Налоги")


def xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _quantity(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


def _kyiv(moment: datetime) -> datetime:
    return kyiv_now(moment).replace(microsecond=0)


def _document(xml: _Writer, order: Order, guids: dict[int, str | None]) -> None:
    created = _kyiv(order.created_at)
    xml.open("Документ")
    xml.text("Ид", order.id)
    xml.text("Номер", order.number)
    xml.text("Дата", created.date().isoformat())
    xml.text("ХозОперация", "Заказ товара")
    xml.text("Роль", "Продавец")
    xml.text("Валюта", "UAH")
    xml.text("Курс", "1")
    xml.text("Сумма", _money(order.total))
    _counterparty(xml, order.company)
    xml.text("Время", created.time().isoformat())
    xml.text("Комментарий", order.comment or "")
    xml.tax(order.vat_total)
    if order.discounts:
        xml.open("Скидки")
        for discount in order.discounts:
            xml.open("Скидка")
            xml.text("Наименование", discount.name)
            xml.text("Сумма", _money(discount.amount))
            xml.text("УчтеноВСумме", "true")
            xml.close("Скидка")
        xml.close("Скидки")
    xml.open("Товары")
    for line in order.lines:
        xml.open("Товар")
        xml.text("Ид", guids.get(line.product_id) or line.sku)
        xml.text("Артикул", line.sku)
        xml.text("Наименование", line.name)
        xml.text("БазоваяЕдиница", line.unit)
        xml.text("ЦенаЗаЕдиницу", _money(line.price))
        xml.text("Количество", _quantity(line.quantity))
        xml.text("Сумма", _money(line.amount))
        xml.open("СтавкиНалогов")
        xml.open("СтавкаНалога")
        xml.text("Наименование", VAT)
        xml.text("Ставка", _quantity(line.vat_rate))
        xml.close("СтавкаНалога")
        xml.close("СтавкиНалогов")
        xml.tax(vat_included(line.amount, line.vat_rate))
        xml.requisites([("ВидНоменклатуры", "Товар"), ("ТипНоменклатуры", "Товар")])
        xml.close("Товар")
    xml.close("Товары")
    company = order.company
    values: list[tuple[str, object]] = [
        ("Статус заказа", status_value(order.status)),
        ("Дата изменения статуса", _kyiv(order.updated_at).replace(tzinfo=None).isoformat(sep=" ")),
        ("Метод оплаты", TERMS.get(company.payment_terms, company.payment_terms)),
        # Released on prepayment terms means paid in full; other terms release before payment.
        ("Заказ оплачен", "true" if order.released_at is not None and company.payment_terms == "prepayment" else "false"),
        ("Отменен", "true" if order.status == states.CANCELLED else "false"),
        ("Канал", order.channel),
    ]
    if order.delivery_point is not None:
        values.append(("Адрес доставки", order.delivery_point.address))
    if order.desired_date is not None:
        values.append(("Бажана дата доставки", order.desired_date.isoformat()))
    xml.requisites(values)
    xml.close("Документ")


def _counterparty(xml: _Writer, company: Company) -> None:
    xml.open("Контрагенты")
    xml.open("Контрагент")
    # 1C finds the counterparty by its own Ид once it sent one, else by the code.
    xml.text("Ид", company.onec_guid or company.tax_id)
    xml.text("Наименование", company.name)
    xml.text("ПолноеНаименование", company.name)
    xml.text("ОфициальноеНаименование", company.name)
    xml.text("Роль", "Покупатель")
    # Ukrainian configurations keep ЄДРПОУ (a sole proprietor's РНОКПП) where the Russian
    # schema has ОКПО, and read a person's РНОКПП as ИНН as well.
    xml.text("ОКПО", company.tax_id)
    xml.text("КодПоЕДРПОУ", company.tax_id)
    if company.kind == "sole":
        xml.text("ИНН", company.tax_id)
    xml.close("Контрагент")
    xml.close("Контрагенты")
