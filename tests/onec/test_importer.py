"""#12.1 CommerceML packages into the catalog: by 1C's Ид, in one transaction per file,
unchanged on a second import, with skipped items and their reasons on the run."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import event, func, select

from core.catalog.models import Category, Price, PriceChange, PriceType, Product, Stock, Warehouse
from core.catalog.search import matching, product_search_text, search_words
from core.orders.models import Order, OrderLine
from core.outbox import OutboxEvent
from emulators.onec.commerceml import write_catalog, write_offers
from notify.price_digest import raise_digests
from onec.importer import import_files
from onec.importer.catalog import UNGROUPED
from onec.models import ExchangeRun, ProductBarcode, ProductImage, ProductProperty

HEAD = '<?xml version="1.0" encoding="{encoding}"?>\n<КоммерческаяИнформация ВерсияСхемы="2.08">'
G_DRINKS, G_JUICE = "10000000-0000-0000-0000-000000000001", "10000000-0000-0000-0000-000000000002"
P_JUICE, P_WATER = "20000000-0000-0000-0000-000000000001", "20000000-0000-0000-0000-000000000002"
PT_OPT, WH_KYIV = "30000000-0000-0000-0000-000000000001", "40000000-0000-0000-0000-000000000001"


def write(path: Path, body: str, encoding: str = "utf-8") -> Path:
    path.write_bytes((HEAD.format(encoding=encoding) + body + "</КоммерческаяИнформация>").encode(encoding))
    return path


def catalog(tmp_path: Path, juice_name: str = "Сік яблучний 1 л", encoding: str = "utf-8") -> Path:
    return write(tmp_path / "import.xml", f"""
<Классификатор><Ид>cl</Ид><Наименование>Класифікатор</Наименование>
 <Группы><Группа><Ид>{G_DRINKS}</Ид><Наименование>Напої</Наименование>
  <Группы><Группа><Ид>{G_JUICE}</Ид><Наименование>Соки</Наименование></Группа></Группы></Группа></Группы>
 <Свойства><Свойство><Ид>brand</Ид><Наименование>Виробник</Наименование><ТипЗначений>Справочник</ТипЗначений>
  <ВариантыЗначений><Справочник><ИдЗначения>b1</ИдЗначения><Значение>Сандора</Значение></Справочник>
  </ВариантыЗначений></Свойство></Свойства>
</Классификатор>
<Каталог СодержитТолькоИзменения="false"><Ид>cat</Ид><ИдКлассификатора>cl</ИдКлассификатора><Наименование>К</Наименование>
<Товары>
 <Товар><Ид>{P_JUICE}</Ид><Штрихкод>4820000000011</Штрихкод><Штрихкод>4820000000028</Штрихкод>
  <Артикул>СК-1</Артикул><Наименование>{juice_name}</Наименование>
  <БазоваяЕдиница Код="112" НаименованиеПолное="Літр">л</БазоваяЕдиница>
  <Группы><Ид>{G_JUICE}</Ид></Группы><Картинка>import_files/20/juice.jpg</Картинка>
  <ЗначенияСвойств><ЗначенияСвойства><Ид>brand</Ид><Значение>b1</Значение></ЗначенияСвойства></ЗначенияСвойств>
  <СтавкиНалогов><СтавкаНалога><Наименование>НДС</Наименование><Ставка>7</Ставка></СтавкаНалога></СтавкиНалогов>
  <ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>Кратность</Наименование><Значение>6</Значение>
  </ЗначениеРеквизита></ЗначенияРеквизитов></Товар>
 <Товар><Ид>{P_WATER}</Ид><Артикул>ВД-2</Артикул><Наименование>Вода 0,5 л</Наименование></Товар>
 <Товар><Артикул>БЕЗ-ИД</Артикул><Наименование>Без Ид</Наименование></Товар>
</Товары></Каталог>""", encoding)


def offers(tmp_path: Path, juice_price: str = "42.50", changes_only: bool = False, name: str = "offers.xml",
           extra: str = "") -> Path:
    return write(tmp_path / name, f"""
<ПакетПредложений СодержитТолькоИзменения="{str(changes_only).lower()}"><Ид>p</Ид><Наименование>П</Наименование>
<ТипыЦен><ТипЦены><Ид>{PT_OPT}</Ид><Наименование>Оптова</Наименование><Валюта>UAH</Валюта></ТипЦены></ТипыЦен>
<Склады><Склад><Ид>{WH_KYIV}</Ид><Наименование>Київ</Наименование></Склад></Склады>
<Предложения>
 <Предложение><Ид>{P_JUICE}</Ид><Цены><Цена><ИдТипаЦены>{PT_OPT}</ИдТипаЦены><ЦенаЗаЕдиницу>{juice_price}</ЦенаЗаЕдиницу>
  <Валюта>UAH</Валюта></Цена></Цены><Остатки><Остаток><Склад><Ид>{WH_KYIV}</Ид><Количество>12</Количество></Склад>
  </Остаток></Остатки></Предложение>
 {extra}
</Предложения></ПакетПредложений>""")


@contextmanager
def writes(db: Any) -> Any:
    """The INSERT and UPDATE statements the block sends."""
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "COPY")):
            sent.append(statement)

    engine = db.get_bind().engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def product(db: Any, guid: str) -> Product:
    db.expire_all()
    return db.scalar(select(Product).where(Product.onec_guid == guid))


def test_a_package_lands_in_the_catalog_by_1c_ids(db: Any, tmp_path: Path) -> None:
    cat_run, offers_run = import_files(db, [offers(tmp_path), catalog(tmp_path)])

    assert (cat_run.entity, cat_run.status, cat_run.created, cat_run.skipped) == ("catalog", "success", 4, 1)
    assert cat_run.skipped_items[0]["reason"] == "missing_id"
    juice = product(db, P_JUICE)
    assert (juice.sku, juice.name, juice.unit, juice.barcode) == ("СК-1", "Сік яблучний 1 л", "л", "4820000000011")
    assert (juice.pack_multiple, juice.vat_rate, juice.is_active) == (Decimal(6), Decimal(7), True)
    assert juice.search_text == product_search_text(juice.name, juice.sku, juice.barcode)
    assert juice.search_words == search_words(juice.name, juice.sku, juice.barcode)
    found = matching(db, "яблучного")  # another form of a word of the name, through the database's own index
    assert db.scalars(select(Product.id).where(found.where)).all() == [juice.id]
    assert juice.category.name == "Соки" and juice.category.parent.onec_guid == G_DRINKS
    assert db.scalars(select(ProductBarcode.barcode).where(ProductBarcode.product_id == juice.id)).all() == \
        ["4820000000028"]
    assert db.execute(select(ProductProperty.name, ProductProperty.value)
                      .where(ProductProperty.product_id == juice.id)).all() == [("Виробник", "Сандора")]
    assert db.scalar(select(ProductImage.path).where(ProductImage.product_id == juice.id)) == "import_files/20/juice.jpg"
    water = product(db, P_WATER)
    assert (water.unit, water.pack_multiple, water.vat_rate) == ("шт", Decimal(1), Decimal("20.00"))

    assert (offers_run.entity, offers_run.status, offers_run.created) == ("offers", "success", 3)
    opt = db.scalar(select(PriceType).where(PriceType.onec_guid == PT_OPT))
    kyiv = db.scalar(select(Warehouse).where(Warehouse.onec_guid == WH_KYIV))
    assert db.get(Price, (opt.id, juice.id)).amount == Decimal("42.50")
    assert db.get(Stock, (kyiv.id, juice.id)).quantity == Decimal(12)
    assert db.scalar(select(ExchangeRun.file_sha256).where(ExchangeRun.id == offers_run.id))


def test_the_same_package_again_writes_nothing_but_its_runs(db: Any, tmp_path: Path) -> None:
    files = [catalog(tmp_path), offers(tmp_path)]
    import_files(db, files)

    with writes(db) as sent:
        cat_run, offers_run = import_files(db, files)

    assert (cat_run.created, cat_run.updated, cat_run.unchanged) == (0, 0, 4)
    assert (offers_run.created, offers_run.updated, offers_run.unchanged) == (0, 0, 3)
    assert all("exchange_run" in statement for statement in sent), sent


@pytest.mark.parametrize(("version", "encoding", "split"), [
    ("2.03", "windows-1251", False), ("2.08", "utf-8", True), ("2.10", "windows-1251", True), ("3.1", "utf-8", False),
])
def test_generated_packages_of_each_form_import_whole(db: Any, tmp_path: Path, version: str, encoding: str,
                                                      split: bool) -> None:
    target = tmp_path if split else None
    written = write_catalog(target or tmp_path / "import.xml", products=120, version=version, encoding=encoding,
                            split=split, seed=7)
    prices = write_offers(target or tmp_path / "offers.xml", products=120, version=version, encoding=encoding,
                          split=split, seed=7)
    files = sorted(tmp_path.glob("*.xml"), reverse=True)  # the importer orders them

    runs = import_files(db, files)

    assert {run.status for run in runs} == {"success"}
    products = db.scalar(select(func.count()).select_from(Product).where(Product.onec_guid.is_not(None)))
    assert products == written.products - written.deleted
    imported = db.scalar(select(func.sum(Price.amount)).join(PriceType).where(PriceType.onec_guid.is_not(None)))
    variants = sum(item["reason"] == "characteristic" for run in runs for item in run.skipped_items)
    assert variants > 0 and prices.offers - variants < products
    assert imported > 0 and imported < prices.price_total
    assert db.scalar(select(func.count()).select_from(Category).where(Category.onec_guid.is_not(None))) >= written.groups


def test_a_changes_only_package_changes_what_it_names_and_the_digest_hears_of_it_once(
        app: Any, db: Any, tmp_path: Path, make_company: Any) -> None:
    import_files(db, [catalog(tmp_path), offers(tmp_path)])
    juice = product(db, P_JUICE)
    opt = db.scalar(select(PriceType).where(PriceType.onec_guid == PT_OPT))
    buyer = make_company()
    buyer.price_type_id = opt.id
    order = Order(company_id=buyer.id, status="confirmed", channel="portal", idempotency_key=uuid4().hex,
                  total=Decimal("42.50"), vat_total=Decimal("2.78"), created_at=datetime.now(timezone.utc) - timedelta(days=1))
    db.add(order)
    db.flush()
    db.add(OrderLine(order_id=order.id, product_id=juice.id, sku=juice.sku, name=juice.name, unit="л",
                     quantity=Decimal(1), price=Decimal("42.50"), vat_rate=Decimal(7), amount=Decimal("42.50")))
    db.flush()
    change = write(tmp_path / "offers___change.xml", f"""
<ПакетПредложений СодержитТолькоИзменения="true"><Ид>p</Ид><Наименование>П</Наименование><Предложения>
 <Предложение><Ид>{P_JUICE}</Ид><Цены><Цена><ИдТипаЦены>{PT_OPT}</ИдТипаЦены><ЦенаЗаЕдиницу>44,00</ЦенаЗаЕдиницу>
  <Валюта>UAH</Валюта></Цена></Цены></Предложение>
</Предложения></ПакетПредложений>""")
    names_only = write(tmp_path / "import___change.xml", f"""
<Каталог СодержитТолькоИзменения="true"><Ид>cat</Ид><Наименование>К</Наименование><Товары>
 <Товар><Ид>{P_WATER}</Ид><Наименование>Вода негазована 0,5 л</Наименование></Товар></Товары></Каталог>""")

    (names_run,) = import_files(db, [names_only])
    (run,) = import_files(db, [change])
    (again,) = import_files(db, [change])

    assert (names_run.updated, names_run.unchanged) == (1, 0)
    assert product(db, P_WATER).name == "Вода негазована 0,5 л" and product(db, P_WATER).sku == "ВД-2"
    assert product(db, P_JUICE).name == "Сік яблучний 1 л"
    assert (run.updated, run.unchanged, again.updated, again.unchanged) == (1, 0, 0, 1)
    assert db.get(Price, (opt.id, juice.id)).amount == Decimal("44.00")
    kyiv = db.scalar(select(Warehouse.id).where(Warehouse.onec_guid == WH_KYIV))
    assert db.get(Stock, (kyiv, juice.id)).quantity == Decimal(12)
    assert db.execute(select(PriceChange.old_amount, PriceChange.new_amount)).all() == \
        [(Decimal("42.50"), Decimal("44.00"))]
    with app.app_context():
        later = datetime.now(timezone.utc) + timedelta(hours=1)
        assert raise_digests(db, now=later) == 1
        assert raise_digests(db, now=later) == 0
    raised = db.scalars(select(OutboxEvent.payload).where(OutboxEvent.topic == "prices.changed")).all()
    assert [(p["company_id"], p["lines"][0]["new"]) for p in raised] == [(buyer.id, "44.00")]


@pytest.mark.parametrize("cut", [0.5, 0.95])
def test_a_truncated_file_commits_nothing_and_the_run_says_why(db: Any, tmp_path: Path, cut: float) -> None:
    whole = tmp_path / "whole" / "offers.xml"
    whole.parent.mkdir()
    write_catalog(tmp_path / "import.xml", products=300, seed=3)
    write_offers(whole, products=300, seed=3)
    data = whole.read_bytes()
    (tmp_path / "offers.xml").write_bytes(data[: int(len(data) * cut)])
    import_files(db, [tmp_path / "import.xml"])

    (run,) = import_files(db, [tmp_path / "offers.xml"])

    assert (run.status, run.created, run.updated, run.skipped) == ("failed", 0, 0, 0)
    assert run.error.startswith("truncated: ")
    assert db.scalar(select(func.count()).select_from(Price)) == 0
    assert db.scalar(select(func.count()).select_from(PriceType).where(PriceType.onec_guid.is_not(None))) == 0


def test_a_malformed_catalog_commits_nothing(db: Any, tmp_path: Path) -> None:
    broken = catalog(tmp_path)
    broken.write_bytes(broken.read_bytes().replace("</Товар>".encode(), b"</Tovar>", 1))

    (run,) = import_files(db, [broken])

    assert run.status == "failed" and run.error.startswith("malformed_xml: ")
    assert db.scalar(select(func.count()).select_from(Product).where(Product.onec_guid.is_not(None))) == 0
    assert db.scalar(select(func.count()).select_from(Category).where(Category.onec_guid.is_not(None))) == 0


def test_items_that_cannot_be_taken_are_skipped_with_reasons_and_the_rest_imports(db: Any, tmp_path: Path) -> None:
    unknown = "50000000-0000-0000-0000-000000000009"
    extra = f"""
 <Предложение><Ид>{P_WATER}</Ид><Цены><Цена><ИдТипаЦены>{PT_OPT}</ИдТипаЦены><ЦенаЗаЕдиницу>-3</ЦенаЗаЕдиницу>
  <Валюта>UAH</Валюта></Цена></Цены></Предложение>
 <Предложение><Ид>{unknown}</Ид><Цены><Цена><ИдТипаЦены>{PT_OPT}</ИдТипаЦены><ЦенаЗаЕдиницу>5</ЦенаЗаЕдиницу>
  <Валюта>UAH</Валюта></Цена></Цены></Предложение>
 <Предложение><Ид>{P_WATER}#60000000-0000-0000-0000-000000000001</Ид><Цены><Цена><ИдТипаЦены>{PT_OPT}</ИдТипаЦены>
  <ЦенаЗаЕдиницу>5</ЦенаЗаЕдиницу><Валюта>USD</Валюта></Цена></Цены></Предложение>"""
    import_files(db, [catalog(tmp_path)])

    (run,) = import_files(db, [offers(tmp_path, extra=extra)])

    assert run.status == "success"
    reasons = {(item["ref"], item["reason"]) for item in run.skipped_items}
    assert (unknown, "unknown_product") in reasons
    assert any(reason == "negative_price" for _, reason in reasons)
    assert any(reason in ("currency_not_accepted", "characteristic") for _, reason in reasons)
    assert run.skipped == len(run.skipped_items)
    juice = product(db, P_JUICE)
    assert db.scalar(select(Price.amount).where(Price.product_id == juice.id)) == Decimal("42.50")


def test_a_product_staff_made_is_taken_over_by_its_sku_and_another_products_sku_is_refused(
        db: Any, tmp_path: Path, make_product: Any) -> None:
    made = make_product("Сік (внесений вручну)", sku="СК-1")
    other = Product(sku="ВД-2", name="Чужа вода", category_id=made.category_id, onec_guid=str(uuid4()))
    db.add(other)
    db.flush()

    (run,) = import_files(db, [catalog(tmp_path)])

    assert product(db, P_JUICE).id == made.id and product(db, P_JUICE).name == "Сік яблучний 1 л"
    assert (P_WATER, "duplicate_sku") in {(item["ref"], item["reason"]) for item in run.skipped_items}
    assert product(db, P_WATER) is None


def test_windows_1251_reads_the_same(db: Any, tmp_path: Path) -> None:
    (run,) = import_files(db, [catalog(tmp_path, encoding="windows-1251")])

    assert run.status == "success"
    assert product(db, P_JUICE).name == "Сік яблучний 1 л"


def test_an_id_longer_than_a_guid_is_skipped_not_cut(db: Any, tmp_path: Path) -> None:
    long_id = "7" * 40
    path = write(tmp_path / "import.xml", f"""
<Классификатор><Ид>cl</Ид><Наименование>К</Наименование><Группы><Группа><Ид>{long_id}</Ид>
 <Наименование>Задовга</Наименование></Группа></Группы></Классификатор>
<Каталог><Ид>cat</Ид><Наименование>К</Наименование><Товары>
 <Товар><Ид>{long_id}</Ид><Артикул>ДОВ-1</Артикул><Наименование>Задовгий Ид</Наименование></Товар>
 <Товар><Ид>{P_WATER}</Ид><Артикул>ВД-2</Артикул><Наименование>Вода 0,5 л</Наименование></Товар>
</Товары></Каталог>""")

    (run,) = import_files(db, [path])

    assert run.status == "success" and run.created == 1
    assert [(item["ref"], item["reason"]) for item in run.skipped_items] == [(long_id, "bad_id"), (long_id, "bad_id")]
    assert product(db, P_WATER).category.onec_guid == UNGROUPED


def test_a_price_or_stock_past_what_the_catalog_holds_is_skipped(db: Any, tmp_path: Path) -> None:
    extra = f"""
 <Предложение><Ид>{P_WATER}</Ид><Цены><Цена><ИдТипаЦены>{PT_OPT}</ИдТипаЦены>
  <ЦенаЗаЕдиницу>10000000000000</ЦенаЗаЕдиницу><Валюта>UAH</Валюта></Цена></Цены>
  <Остатки><Остаток><Склад><Ид>{WH_KYIV}</Ид><Количество>1000000000</Количество></Склад></Остаток></Остатки>
 </Предложение>"""
    import_files(db, [catalog(tmp_path)])

    (run,) = import_files(db, [offers(tmp_path, juice_price="12.345", extra=extra)])

    assert run.status == "success"
    assert [(item["ref"], item["reason"]) for item in run.skipped_items] == [
        (P_WATER, "price_too_large"), (P_WATER, "stock_too_large")]
    water, juice = product(db, P_WATER), product(db, P_JUICE)
    assert db.scalar(select(func.count()).select_from(Price).where(Price.product_id == water.id)) == 0
    assert db.scalar(select(Price.amount).where(Price.product_id == juice.id)) == Decimal("12.35")  # half up
