"""#12.1 /1c/exchange, the sale side: orders out as CommerceML (query), taken by 1C
(success), and their statuses back from 1C's file through the transition table."""
from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from core.catalog.models import Product
from core.orders import states
from core.orders.models import Order, OrderStatusChange
from core.orders.services import SYSTEM, Actor, change_status, submit_order
from core.outbox import OutboxEvent
from onec.models import ExchangeRun, SaleExport
from tests.onec.exchange_support import OneC, exchange_app  # noqa: F401

@pytest.fixture
def one_c(exchange_app: Any) -> OneC:
    client = OneC(exchange_app.test_client(use_cookies=False))
    client.checkauth("sale")
    client.init("sale")
    return client


@pytest.fixture
def make_order(exchange_app: Any, db: Any, make_company: Any, make_user: Any, make_product: Any) -> Any:
    def make(company: Any = None, *, comment: str = "", lines: tuple[tuple[str, str], ...] = (("100.00", "3"),),
             **company_fields: Any) -> Order:
        company = company or make_company(**company_fields)
        user = make_user(company)
        items = [(make_product(prices={"wholesale": price}, vat="20.00").id, Decimal(qty)) for price, qty in lines]
        with exchange_app.test_request_context():
            order = submit_order(db, company, items, actor=Actor.of(user), idempotency_key=f"k{time.monotonic_ns()}",
                                 delivery_point_id=company.delivery_points[0].id, comment=comment).order
            db.flush()
        return order

    return make


def query(one_c: OneC, **params: str) -> ElementTree.Element:
    response = one_c.http.get("/1c/exchange", query_string={"type": "sale", "mode": "query", **params},
                              headers={"Cookie": f"{one_c.cookie[0]}={one_c.cookie[1]}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return ElementTree.fromstring(response.data)


def documents(root: ElementTree.Element) -> dict[str, ElementTree.Element]:
    return {doc.findtext("Ид"): doc for doc in root.iter("Документ")}


def requisites(element: ElementTree.Element) -> dict[str, str]:
    return {r.findtext("Наименование"): r.findtext("Значение")
            for r in element.findall("ЗначенияРеквизитов/ЗначениеРеквизита")}


def test_orders_are_asked_for_unzipped(exchange_app: Any) -> None:
    client = OneC(exchange_app.test_client(use_cookies=False))
    client.checkauth("sale")
    assert client.init("sale")["zip"] == "no"


def test_query_sends_the_orders_as_1c_documents(one_c: OneC, make_order: Any, db: Any) -> None:
    order = make_order(comment='Після 14:00 <дзвоніть> & "чекайте"', lines=(("100.00", "3"), ("12.34", "2")))
    root = query(one_c)
    assert root.tag == "КоммерческаяИнформация" and root.get("ВерсияСхемы") == "2.08"
    doc = documents(root)[str(order.id)]
    assert doc.findtext("Номер") == order.number and doc.findtext("ХозОперация") == "Заказ товара"
    assert doc.findtext("Сумма") == f"{order.total:.2f}"
    assert doc.findtext("Комментарий") == 'Після 14:00 <дзвоніть> & "чекайте"'  # escaped, read back whole
    company = order.company
    party = doc.find("Контрагенты/Контрагент")
    assert (party.findtext("Наименование"), party.findtext("ОКПО"), party.findtext("Роль")) == \
        (company.name, company.tax_id, "Покупатель")
    assert doc.findtext("Налоги/Налог/Сумма") == f"{order.vat_total:.2f}"
    goods = doc.findall("Товары/Товар")
    assert [(g.findtext("Артикул"), g.findtext("ЦенаЗаЕдиницу"), g.findtext("Количество"), g.findtext("Сумма"))
            for g in goods] == [(line.sku, f"{line.price:.2f}", format(line.quantity.normalize(), "f"), f"{line.amount:.2f}")
                                for line in order.lines]
    assert goods[1].findtext("Количество") == "2"  # not "2.000"
    assert goods[0].findtext("СтавкиНалогов/СтавкаНалога/Ставка") == "20"
    assert goods[0].findtext("Налоги/Налог/Сумма") == "50.00"  # 300.00 with 20 % VAT in it
    values = requisites(doc)
    assert values["Статус заказа"] == "[submitted] Нове" and values["Отменен"] == "false"
    assert values["Метод оплаты"] == "Передоплата"
    run = db.scalars(select(ExchangeRun).order_by(ExchangeRun.id.desc())).first()
    assert (run.direction, run.entity, run.source, run.status, run.created) == ("out", "orders", "commerceml", "success", 1)


def test_a_products_1c_id_is_sent_when_it_has_one(one_c: OneC, make_order: Any, db: Any) -> None:
    order = make_order()
    db.get(Product, order.lines[0].product_id).onec_guid = "50000000-0000-0000-0000-000000000001"
    db.flush()
    doc = documents(query(one_c))[str(order.id)]
    assert doc.findtext("Товары/Товар/Ид") == "50000000-0000-0000-0000-000000000001"


def test_success_marks_what_the_query_sent_and_nothing_newer(one_c: OneC, make_order: Any, db: Any) -> None:
    first = make_order()
    assert set(documents(query(one_c))) == {str(first.id)}
    later = make_order()  # submitted between the query and the success
    assert one_c.call("sale", "success") == (200, ["success"])
    assert [row.order_id for row in db.scalars(select(SaleExport))] == [first.id]
    assert set(documents(query(one_c))) == {str(later.id)}
    assert one_c.call("sale", "success") == (200, ["success"])
    assert documents(query(one_c)) == {}
    # A second success of the same query marks nothing more.
    assert one_c.call("sale", "success") == (200, ["success"])
    assert len(list(db.scalars(select(SaleExport)))) == 2
    # 1C asking again and again with nothing new keeps one row of it, the newest.
    assert documents(query(one_c)) == {}
    sent = [run.created for run in db.scalars(select(ExchangeRun).where(
        ExchangeRun.direction == "out", ExchangeRun.entity == "orders").order_by(ExchangeRun.id))]
    assert sent == [1, 1, 0]


def test_windows_1251_and_version_3_1_documents(one_c: OneC, exchange_app: Any, make_order: Any) -> None:
    exchange_app.config["ONEC_EXCHANGE_SALE_ENCODING"] = "windows-1251"
    order = make_order(name="ТОВ «Їжачок і Ґанок»")
    response = one_c.http.get("/1c/exchange", query_string={"type": "sale", "mode": "query", "version": "3.1"},
                              headers={"Cookie": f"{one_c.cookie[0]}={one_c.cookie[1]}"})
    assert response.data.startswith(b'<?xml version="1.0" encoding="windows-1251"?>')
    assert "ТОВ «Їжачок і Ґанок»".encode("windows-1251") in response.data
    root = ElementTree.fromstring(response.data)
    assert root.get("ВерсияСхемы") == "3.1"
    assert root.find("Контейнер/Документ").findtext("Ид") == str(order.id)


def test_an_order_on_hold_waits_and_one_cancelled_after_export_goes_again(
        one_c: OneC, exchange_app: Any, make_order: Any, db: Any) -> None:
    taken, never_sent = make_order(), make_order()
    with exchange_app.test_request_context():
        change_status(db, never_sent, states.CANCELLED, SYSTEM)
        db.flush()
    assert set(documents(query(one_c))) == {str(taken.id)}
    one_c.call("sale", "success")
    with exchange_app.test_request_context():
        change_status(db, taken, states.CANCELLED, SYSTEM)
        db.flush()
    doc = documents(query(one_c))[str(taken.id)]
    assert requisites(doc)["Отменен"] == "true"
    one_c.call("sale", "success")
    assert documents(query(one_c)) == {}


def sale_file(path: Path, docs: str, encoding: str = "utf-8", version: str = "2.08") -> Path:
    path.write_bytes(f'<?xml version="1.0" encoding="{encoding}"?>\n<КоммерческаяИнформация ВерсияСхемы="{version}">'
                     f'{docs}</КоммерческаяИнформация>\n'.encode(encoding))
    return path


def doc(order: Order, values: dict[str, str], tax_id: str | None = None, extra: str = "") -> str:
    requisite = "".join(f"<ЗначениеРеквизита><Наименование>{k}</Наименование><Значение>{v}</Значение></ЗначениеРеквизита>"
                        for k, v in values.items())
    party = f"<Контрагенты><Контрагент><ОКПО>{tax_id or order.company.tax_id}</ОКПО></Контрагент></Контрагенты>"
    return (f"<Документ><Ид>{order.id}</Ид><Номер>{order.number}</Номер><ХозОперация>Заказ товара</ХозОперация>"
            f"{party}{extra}<ЗначенияРеквизитов>{requisite}</ЗначенияРеквизитов></Документ>")


def history(db: Any, order: Order) -> list[tuple[str | None, str, str]]:
    """The moves (not the release for shipment, which keeps the status)."""
    return [(h.from_status, h.to_status, h.actor_name) for h in db.scalars(
        select(OrderStatusChange).where(OrderStatusChange.order_id == order.id).order_by(OrderStatusChange.id))
        if h.from_status != h.to_status]


def last_run(db: Any) -> ExchangeRun:
    return db.scalars(select(ExchangeRun).order_by(ExchangeRun.id.desc())).first()


def test_statuses_from_1c_move_orders_through_the_transition_table(
        one_c: OneC, make_order: Any, db: Any, tmp_path: Path) -> None:
    confirmed, cancelled, deferred, unpaid = make_order(), make_order(), \
        make_order(payment_terms="deferred", deferral_days=14, credit_limit=Decimal("100000.00")), make_order()
    path = sale_file(tmp_path / "orders.xml", "".join([
        doc(confirmed, {"Проведен": "true", "Статус заказа": "[confirmed] Підтверджене"}),
        doc(cancelled, {"ПометкаУдаления": "true"}),
        doc(deferred, {"Дата отгрузки по 1С": "2026-12-07 10:00:00"}),
        doc(unpaid, {"Статус заказа": "Отгружен"}),  # prepayment not paid: may not be assembled
    ]), encoding="windows-1251")
    assert one_c.send(path, exchange_type="sale", limit=700) > 1
    for order in (confirmed, cancelled, deferred, unpaid):
        db.refresh(order)
    assert (confirmed.status, cancelled.status, deferred.status, unpaid.status) == (
        states.CONFIRMED, states.CANCELLED, states.SHIPPED, states.CONFIRMED)
    assert history(db, deferred)[-3:] == [(states.SUBMITTED, states.CONFIRMED, "1C"),
                                          (states.CONFIRMED, states.ASSEMBLING, "1C"),
                                          (states.ASSEMBLING, states.SHIPPED, "1C")]
    run = last_run(db)
    assert (run.direction, run.entity, run.status, run.updated) == ("in", "orders", "success", 4)
    assert [(i["ref"], i["reason"]) for i in run.skipped_items] == [(str(unpaid.id), "order_not_released")]
    topics = set(db.scalars(select(OutboxEvent.topic)))
    assert {"order.confirmed", "order.cancelled", "order.shipped"} <= topics
    # The same file again changes nothing.
    one_c.send(path, exchange_type="sale")
    assert (last_run(db).updated, last_run(db).unchanged) == (0, 3)


def test_documents_that_are_not_ours_are_skipped_with_reasons(
        one_c: OneC, make_order: Any, make_company: Any, db: Any, tmp_path: Path) -> None:
    order, other = make_order(), make_company()
    stranger = Order(id=987654)
    stranger.company = other
    path = sale_file(tmp_path / "orders.xml", "".join([
        doc(order, {"Проведен": "true"}, tax_id=other.tax_id),  # another company's code on our order
        doc(stranger, {"Проведен": "true"}).replace("<Номер>987654</Номер>", "<Номер>УТ-0001</Номер>"),
        # 1C's own document: a GUID for Ид and a number that happens to be our order's id.
        doc(order, {"Проведен": "true"}).replace(f"<Ид>{order.id}</Ид>", "<Ид>6a0e1f2c-0000-4000-8000-000000000001</Ид>"),
        doc(order, {"Статус заказа": "щось незрозуміле", "Номер оплаты по 1С": "ПП-17", "Дата оплаты по 1С": "2026-12-07"}),
        # Digits int() refuses, and a number past the id column's range.
        doc(order, {"Проведен": "true"}).replace(f"<Ид>{order.id}</Ид>", "<Ид>²</Ид>"),
        doc(order, {"Проведен": "true"}).replace(f"<Ид>{order.id}</Ид>", "<Ид>99999999999</Ид>"),
        # No Ид, and a number of 1C's own series that reads as our id: not our number as we write it.
        doc(order, {"Проведен": "true"}).replace(f"<Ид>{order.id}</Ид><Номер>{order.number}</Номер>",
                                                 f"<Номер>{order.id:010d}</Номер>"),
    ]))
    assert one_c.send(path, exchange_type="sale") == 1
    db.refresh(order)
    assert order.status == states.SUBMITTED
    assert [i["reason"] for i in last_run(db).skipped_items] == ["other_company_order", "unknown_order", "unknown_order",
                                                                 "payment_not_booked", "unknown_order", "unknown_order",
                                                                 "unknown_order"]
    # Our number as we write it finds the order when there is no Ид.
    path = sale_file(tmp_path / "by-number.xml", doc(order, {"Проведен": "true"}).replace(f"<Ид>{order.id}</Ид>", ""))
    one_c.send(path, exchange_type="sale")
    db.refresh(order)
    assert order.status == states.CONFIRMED


@pytest.mark.parametrize("content, code", [
    ("cut", "malformed_xml"), ("<Документ><Ид>1</Ид></Документ><<", "malformed_xml")])
def test_a_broken_sale_file_commits_nothing(one_c: OneC, make_order: Any, db: Any, tmp_path: Path,
                                            content: str, code: str) -> None:
    first, second = make_order(), make_order()
    if content == "cut":
        path = sale_file(tmp_path / "orders.xml", doc(first, {"Проведен": "true"}) + doc(second, {"Проведен": "true"}))
        data = path.read_bytes()
        # The first document whole, the second cut: the file still "ends" as a whole one would.
        cut = data.index("<Документ>".encode(), 60) + 40
        path.write_bytes(data[:cut] + "</КоммерческаяИнформация>".encode())
    else:
        path = sale_file(tmp_path / "orders.xml", doc(first, {"Проведен": "true"}) + content)
    status, answer = one_c.call("sale", "file", body=path.read_bytes(), filename="orders.xml")
    assert status == 200 and answer[0] == "failure"
    db.refresh(first)
    assert first.status == states.SUBMITTED
    assert last_run(db).status == "failed" and last_run(db).error.split(":")[0] == code


def test_a_sale_file_of_an_unknown_version_is_a_failure(one_c: OneC, make_order: Any, db: Any, tmp_path: Path) -> None:
    order = make_order()
    path = sale_file(tmp_path / "orders.xml", doc(order, {"Проведен": "true"}), version="1.5")
    status, answer = one_c.call("sale", "file", body=path.read_bytes(), filename="orders.xml")
    assert answer[0] == "failure" and answer[1].startswith("unknown_version")
    db.refresh(order)
    assert order.status == states.SUBMITTED


def test_sale_needs_its_cookie(exchange_app: Any, db: Any) -> None:
    client = OneC(exchange_app.test_client(use_cookies=False))
    assert client.call("sale", "query")[0] == 401
    assert client.call("sale", "file", body=b"<x/>", filename="orders.xml")[0] == 401


def test_an_import_call_after_the_file_answers_its_run_and_applies_one_not_yet_whole(
        one_c: OneC, make_order: Any, db: Any, tmp_path: Path) -> None:
    first, second = make_order(), make_order()
    path = sale_file(tmp_path / "orders.xml", doc(first, {"Проведен": "true"}))
    one_c.send(path, exchange_type="sale")
    assert one_c.call("sale", "import", filename="orders.xml") == (200, ["success"])
    # A file that never closed its root (1C cut short): applied by the import call, refused whole.
    data = sale_file(tmp_path / "second.xml", doc(second, {"Проведен": "true"})).read_bytes()
    assert one_c.call("sale", "file", body=data[:-40], filename="second.xml") == (200, ["success"])
    db.refresh(second)
    assert second.status == states.SUBMITTED
    status, answer = one_c.call("sale", "import", filename="second.xml")
    assert answer[0] == "failure" and answer[1].startswith("truncated")
    db.refresh(first), db.refresh(second)
    assert (first.status, second.status) == (states.CONFIRMED, states.SUBMITTED)
    assert one_c.call("sale", "import", filename="second.xml")[0] == 404


def test_characters_xml_has_no_place_for_leave_the_document_well_formed(
        one_c: OneC, exchange_app: Any, make_order: Any, db: Any) -> None:
    # Typed or pasted into the portal's forms: control characters (PostgreSQL keeps no NUL).
    order = make_order(name="ТОВ \x01«Ріг\x0bи ґ€»", comment="дзвоніть\x1f <b>&amp; 😀\tпісля 14:00")
    order.delivery_point.address = "вул. Січових Стрільців\x08, 5"
    db.flush()
    doc = documents(query(one_c))[str(order.id)]  # parsed: well-formed
    assert doc.findtext("Контрагенты/Контрагент/Наименование") == "ТОВ «Ріги ґ€»"
    assert doc.findtext("Комментарий") == "дзвоніть <b>&amp; 😀\tпісля 14:00"
    assert requisites(doc)["Адрес доставки"] == "вул. Січових Стрільців, 5"
    # In windows-1251 what it lacks (the emoji; not ґ nor €) is a character reference, still well-formed.
    exchange_app.config["ONEC_EXCHANGE_SALE_ENCODING"] = "windows-1251"
    response = one_c.http.get("/1c/exchange", query_string={"type": "sale", "mode": "query"},
                              headers={"Cookie": f"{one_c.cookie[0]}={one_c.cookie[1]}"})
    assert b"&#128512;" in response.data and "Ріги ґ€".encode("windows-1251") in response.data
    assert documents(ElementTree.fromstring(response.data))[str(order.id)].findtext("Комментарий") == \
        "дзвоніть <b>&amp; 😀\tпісля 14:00"


def test_a_sale_file_with_a_doctype_is_a_failure(one_c: OneC, make_order: Any, db: Any) -> None:
    order = make_order()
    body = (f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE x [<!ENTITY s "{order.id}">]>\n'
            f'<КоммерческаяИнформация ВерсияСхемы="2.08"><Документ><Ид>&s;</Ид></Документ></КоммерческаяИнформация>')
    status, answer = one_c.call("sale", "file", body=body.encode(), filename="orders.xml")
    assert answer[0] == "failure" and answer[1].startswith("forbidden_dtd")
    db.refresh(order)
    assert order.status == states.SUBMITTED


def test_1c_cannot_bring_a_cancelled_order_back_nor_move_one_backwards(
        one_c: OneC, exchange_app: Any, make_order: Any, db: Any, tmp_path: Path) -> None:
    cancelled, shipped = make_order(), make_order(payment_terms="deferred", deferral_days=14,
                                                  credit_limit=Decimal("100000.00"))
    with exchange_app.test_request_context():
        change_status(db, cancelled, states.CANCELLED, SYSTEM)
        for step in (states.CONFIRMED, states.ASSEMBLING, states.SHIPPED):
            change_status(db, shipped, step, SYSTEM)
        db.flush()
    path = sale_file(tmp_path / "orders.xml", "".join([
        doc(cancelled, {"Проведен": "true", "Статус заказа": "[shipped] Відвантажене", "Дата отгрузки по 1С": "2026-12-07"}),
        doc(shipped, {"Проведен": "true", "Статус заказа": "[confirmed] Підтверджене"}),
        doc(shipped, {"Статус заказа": "[submitted] Нове"}),
    ]))
    assert one_c.send(path, exchange_type="sale") == 1
    db.refresh(cancelled), db.refresh(shipped)
    assert (cancelled.status, shipped.status) == (states.CANCELLED, states.SHIPPED)
    run = last_run(db)
    assert (run.status, run.updated, run.unchanged) == ("success", 0, 2)
    assert [(i["ref"], i["reason"]) for i in run.skipped_items] == [(str(cancelled.id), "status_not_allowed")]


def test_a_sale_file_of_a_huge_root_is_a_short_failure(one_c: OneC) -> None:
    body = f'<{"Я" * 30_000}>'.encode()
    status, answer = one_c.call("sale", "file", body=body, filename="orders.xml")
    assert (status, answer) == (200, ["success"])  # not closed yet: more parts to come
    status, answer = one_c.call("sale", "import", filename="orders.xml")
    assert answer[0] == "failure" and answer[1].startswith("not_commerceml") and len(answer[1]) < 300
