"""#12.1 The CommerceML 2 reader, against hand-written files and the emulator's generator.

The generator (emulators/onec/commerceml.py) and the reader (onec/commerceml/) share no
code, so a round trip is a real check of one against the other.
"""
from __future__ import annotations

import ast
import io
import tracemalloc
import zipfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from stdnum import ean

from emulators.onec import commerceml as onec_emulator
from emulators.onec.commerceml import VERSIONS, write_catalog, write_offers, zip_package
from onec.commerceml import (
    SCHEMA_VERSIONS, CatalogHeader, CommerceMLError, Group, Offer, OffersHeader, Package, PriceType, Product,
    PropertyDef, Skipped, Stock, Unit, Warehouse,
)

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация ВерсияСхемы="{version}">'


def read(source, **options) -> tuple[Package, list]:
    with Package(source, **options) as package:
        return package, list(package)


def of(records: list, kind: type) -> list:
    return [r for r in records if isinstance(r, kind)]


def xml(body: str, version: str = "2.08", encoding: str = "utf-8") -> io.BytesIO:
    head = HEAD.format(version=version).replace("UTF-8", "windows-1251" if encoding != "utf-8" else "UTF-8")
    return io.BytesIO(f"{head}{body}</КоммерческаяИнформация>".encode(encoding))


def offers_xml(offers: str, **options) -> io.BytesIO:
    return xml("<ПакетПредложений><Ид>p</Ид><ТипыЦен><ТипЦены><Ид>opt</Ид><Наименование>Оптова</Наименование>"
               f"<Валюта>UAH</Валюта></ТипЦены></ТипыЦен><Предложения>{offers}</Предложения></ПакетПредложений>",
               **options)


def price(value: str, currency: str = "UAH") -> str:
    return f"<Цены><Цена><ИдТипаЦены>opt</ИдТипаЦены><ЦенаЗаЕдиницу>{value}</ЦенаЗаЕдиницу>" \
           f"<Валюта>{currency}</Валюта></Цена></Цены>"


def totals(records: list) -> tuple[int, int, Decimal, Decimal]:
    offers = of(records, Offer)
    return (len(offers), sum(len(o.prices) for o in offers), sum((p.value for o in offers for p in o.prices), Decimal(0)),
            sum((o.quantity for o in offers if o.quantity is not None), Decimal(0)))


def test_the_generator_writes_every_version_the_reader_accepts() -> None:
    assert set(VERSIONS) == SCHEMA_VERSIONS == {"2.03", "2.04", "2.05", "2.07", "2.08", "2.09", "2.10", "3.1"}


@pytest.mark.parametrize("version", VERSIONS)
def test_every_schema_version_reads_back_what_was_written(tmp_path: Path, version: str) -> None:
    catalog = write_catalog(tmp_path / "import.xml", products=40, groups=6, version=version, seed=7)
    offers = write_offers(tmp_path / "offers.xml", products=40, price_types=3, warehouses=2, version=version, seed=7)

    package, records = read(tmp_path / "import.xml")
    assert (package.kind, package.version, package.changes_only) == ("catalog", version, False)
    products = of(records, Product)
    assert len(products) == catalog.products and len(of(records, Group)) == catalog.groups == 6
    properties = {p.id: p for p in of(records, PropertyDef)}
    assert len(properties) == catalog.properties
    assert len(properties["prop-manufacturer"].values) == len(onec_emulator.BRANDS)  # both forms of variants
    assert properties["prop-manufacturer"].value_type == "Справочник"
    assert len(of(records, Unit)) == catalog.units
    units = {p.unit.code for p in products if p.unit}
    assert units == {"796", "166", "112", "778"}
    assert sum(p.deleted for p in products) == catalog.deleted
    assert not of(records, Skipped)

    package, records = read(tmp_path / "offers.xml")
    assert (package.kind, package.version) == ("offers", version)
    assert totals(records) == (offers.offers, offers.prices, offers.price_total, offers.stock_total)
    assert len(of(records, PriceType)) == 3 and len(of(records, Warehouse)) == 2


def test_a_product_carries_what_1c_sent() -> None:
    _, records = read(xml(
        "<Классификатор><Ид>c</Ид><Группы><Группа><Ид>g1</Ид><Наименование>Напої</Наименование><Группы><Группа>"
        "<Ид>g2</Ид><Наименование>Соки</Наименование></Группа></Группы></Группа></Группы>"
        "<Свойства><Свойство><Ид>brand</Ид><Наименование>Виробник</Наименование><ТипЗначений>Справочник"
        "</ТипЗначений><ВариантыЗначений><Справочник><ИдЗначения>v1</ИдЗначения><Значение>Сандора</Значение>"
        "</Справочник></ВариантыЗначений></Свойство></Свойства></Классификатор>"
        "<Каталог><Ид>cat</Ид><ИдКлассификатора>c</ИдКлассификатора><Товары><Товар><Ид>a1#b1</Ид>"
        "<Штрихкод>4820000000017</Штрихкод><Артикул>ВК-1</Артикул><Наименование>Сік яблучний 1 л</Наименование>"
        '<БазоваяЕдиница Код="112" НаименованиеПолное="Літр" МеждународноеСокращение="LTR">л</БазоваяЕдиница>'
        "<Группы><Ид>g2</Ид></Группы><Описание>Без цукру</Описание><Картинка>import_files/a1.jpg</Картинка>"
        "<ЗначенияСвойств><ЗначенияСвойства><Ид>brand</Ид><Значение>v1</Значение></ЗначенияСвойства>"
        "</ЗначенияСвойств><СтавкиНалогов><СтавкаНалога><Наименование>ПДВ</Наименование><Ставка>7</Ставка>"
        "</СтавкаНалога></СтавкиНалогов><ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>Кратність"
        "</Наименование><Значение>12</Значение></ЗначениеРеквизита></ЗначенияРеквизитов></Товар>"
        "<Товар><Ид>gone</Ид><Статус>Удален</Статус></Товар>"
        "<Товар><Ид>marked</Ид><ПометкаУдаления>true</ПометкаУдаления></Товар></Товары></Каталог>"))
    assert of(records, Group) == [Group("g1", "Напої", None), Group("g2", "Соки", "g1")]
    assert of(records, PropertyDef)[0].values == (("v1", "Сандора"),)
    assert of(records, CatalogHeader) == [CatalogHeader("cat", "c", None, False)]
    juice, gone, marked = of(records, Product)
    assert (juice.product_id, juice.characteristic_id, juice.sku, juice.barcodes) == ("a1", "b1", "ВК-1",
                                                                                        ("4820000000017",))
    assert (juice.unit.code, juice.unit.name, juice.unit.full_name, juice.unit.international) == (
        "112", "л", "Літр", "LTR")
    assert (juice.group_ids, juice.images, juice.properties) == (("g2",), ("import_files/a1.jpg",),
                                                                 (("brand", "v1"),))
    assert (juice.vat_rate, juice.pack_multiple, juice.description, juice.deleted) == (Decimal(7), Decimal(12),
                                                                                       "Без цукру", False)
    assert gone.deleted and marked.deleted and gone.characteristic_id is None


def test_windows_1251_with_ukrainian_letters() -> None:
    name = "Ґудзик їжачок «Єва» і Ї Є Ґ І"
    _, records = read(xml(f"<Каталог><Товары><Товар><Ид>x</Ид><Наименование>{name}</Наименование></Товар>"
                          "</Товары></Каталог>", encoding="windows-1251"))
    assert of(records, Product)[0].name == name


def test_the_generator_in_windows_1251_reads_as_its_utf8_twin(tmp_path: Path) -> None:
    write_catalog(tmp_path / "utf.xml", products=30, seed=3)
    write_catalog(tmp_path / "cp.xml", products=30, seed=3, encoding="windows-1251")
    assert b"windows-1251" in (tmp_path / "cp.xml").read_bytes()[:60]
    assert read(tmp_path / "utf.xml")[1] == read(tmp_path / "cp.xml")[1]


@pytest.mark.parametrize("bom", [True, False])
def test_a_leading_bom_or_none(tmp_path: Path, bom: bool) -> None:
    write_catalog(tmp_path / "import.xml", products=5, seed=3, bom=bom)
    assert (tmp_path / "import.xml").read_bytes().startswith(b"\xef\xbb\xbf") is bom
    assert len(of(read(tmp_path / "import.xml")[1], Product)) == 5


def test_split_files_read_with_their_kinds(tmp_path: Path) -> None:
    catalog = write_catalog(tmp_path, products=25, groups=5, version="3.1", split=True, seed=5)
    offers = write_offers(tmp_path, products=25, price_types=2, version="3.1", split=True, seed=5)
    names = sorted(p.name.split("___")[0] for p in catalog.files + offers.files)
    assert names == ["groups", "import", "offers", "prices", "propertiesGoods", "rests"]

    found, kinds = [], {}
    for path in catalog.files + offers.files:
        package, records = read(path)
        kinds[path.name.split("___")[0]] = package.kind
        found += records
    assert kinds == {"groups": "catalog", "propertiesGoods": "catalog", "import": "catalog", "offers": "offers",
                     "prices": "prices", "rests": "rests"}
    assert len(of(found, Product)) == catalog.products and len(of(found, Group)) == 5
    offers_records = [r for r in found if isinstance(r, Offer)]
    assert sum(len(o.prices) for o in offers_records) == offers.prices
    assert sum((p.value for o in offers_records for p in o.prices), Decimal(0)) == offers.price_total
    assert sum((o.quantity for o in offers_records if o.quantity is not None), Decimal(0)) == offers.stock_total
    # the offers file itself names the offers and says nothing of their stock
    assert len(offers_records) == 3 * offers.offers


def test_a_stream_gets_its_kind_from_the_filename_it_came_as() -> None:
    assert read(offers_xml(""), filename="rests___0b2c.xml")[0].kind == "rests"
    assert read(offers_xml(""), filename="prices___0b2c.xml")[0].kind == "prices"
    assert read(offers_xml(""))[0].kind == "offers"


@pytest.mark.parametrize("version", ["2.08", "3.1"])  # an attribute in 2.x, an element in 3.1
def test_changes_only_packages(tmp_path: Path, version: str) -> None:
    write_catalog(tmp_path / "import.xml", products=3, version=version, changes_only=True, seed=2)
    write_offers(tmp_path / "offers.xml", products=3, version=version, changes_only=True, seed=2)
    for name, header in (("import.xml", CatalogHeader), ("offers.xml", OffersHeader)):
        package, records = read(tmp_path / name)
        headers = of(records, header)
        assert len(headers) == 1 and headers[0].changes_only and package.changes_only
        first_item = next(i for i, r in enumerate(records) if isinstance(r, (Product, Offer)))
        assert records.index(headers[0]) < first_item


def test_characteristics_keep_both_ids() -> None:
    _, records = read(offers_xml(f"<Предложение><Ид>p-1#ch-2</Ид>{price('10')}</Предложение>"))
    offer = of(records, Offer)[0]
    assert (offer.id, offer.product_id, offer.characteristic_id) == ("p-1#ch-2", "p-1", "ch-2")


def test_every_stock_form_in_the_wild() -> None:
    _, records = read(offers_xml(
        "<Предложение><Ид>total</Ид><Количество>7</Количество></Предложение>"
        '<Предложение><Ид>attrs</Ид><Количество>5</Количество><Склад ИдСклада="w1" КоличествоНаСкладе="2"/>'
        '<Склад ИдСклада="w2" КоличествоНаСкладе="3,5"/></Предложение>'
        "<Предложение><Ид>rests</Ид><Остатки><Остаток><Склад><Ид>w1</Ид><Количество>4</Количество></Склад>"
        "</Остаток><Остаток><Склад><Ид>w2</Ид><Количество>1.25</Количество></Склад></Остаток></Остатки>"
        "</Предложение>"
        "<Предложение><Ид>rest-total</Ид><Остатки><Остаток><Количество>9</Количество></Остаток></Остатки>"
        "</Предложение>"
        "<Предложение><Ид>silent</Ид></Предложение>"))
    by_id = {o.id: o for o in of(records, Offer)}
    assert by_id["total"].stocks == (Stock(None, Decimal(7)),)
    assert by_id["attrs"].stocks == (Stock(None, Decimal(5)), Stock("w1", Decimal(2)), Stock("w2", Decimal("3.5")))
    assert by_id["attrs"].quantity == Decimal(5)
    assert by_id["rests"].stocks == (Stock("w1", Decimal(4)), Stock("w2", Decimal("1.25")))
    assert by_id["rests"].quantity == Decimal("5.25")
    assert by_id["rest-total"].quantity == Decimal(9)
    assert by_id["silent"].quantity is None


def test_bad_items_are_skipped_with_reasons_and_the_rest_reads() -> None:
    _, records = read(offers_xml(
        f"<Предложение><Наименование>Без ид</Наименование>{price('1')}</Предложение>"
        f"<Предложение><Ид>neg</Ид>{price('1')}<Количество>-3</Количество></Предложение>"
        f"<Предложение><Ид>usd</Ид>{price('10', 'USD')}</Предложение>"
        f"<Предложение><Ид>word</Ид>{price('дешево')}</Предложение>"
        f"<Предложение><Ид>below</Ид>{price('-1')}</Предложение>"
        "<Предложение><Ид>nan-stock</Ид><Количество>багато</Количество></Предложение>"
        f"<Предложение><Ид>comma</Ид>{price('12,50', 'грн')}<Количество>1,5</Количество></Предложение>"
        f"<Предложение><Ид>code</Ид>{price('3', '980')}</Предложение>"
        "<Предложение><Ид>type-currency</Ид><Цены><Цена><ИдТипаЦены>opt</ИдТипаЦены><ЦенаЗаЕдиницу>4"
        "</ЦенаЗаЕдиницу></Цена></Цены></Предложение>"))
    skipped = {(s.ref, s.reason_code) for s in of(records, Skipped)}
    assert skipped == {("Без ид", "missing_id"), ("neg", "negative_stock"), ("usd", "currency_not_accepted"),
                       ("word", "bad_number"), ("below", "negative_price"), ("nan-stock", "bad_number")}
    assert all(s.detail for s in of(records, Skipped))
    offers = {o.id: o for o in of(records, Offer)}
    assert set(offers) == {"comma", "code", "type-currency"}
    assert offers["comma"].prices[0].value == Decimal("12.50") and offers["comma"].quantity == Decimal("1.5")
    assert offers["type-currency"].prices[0].currency == "UAH"


def test_a_package_is_read_once() -> None:
    package, _ = read(offers_xml(""))
    with pytest.raises(RuntimeError):
        iter(package)


def test_the_accepted_currencies_are_configurable() -> None:
    source = offers_xml(f"<Предложение><Ид>usd</Ид>{price('10', 'USD')}</Предложение>")
    _, records = read(source, currencies={"UAH", "USD"})
    assert of(records, Offer)[0].prices[0].currency == "USD"


def test_a_product_without_id_is_skipped_and_the_next_reads() -> None:
    _, records = read(xml("<Каталог><Товары><Товар><Артикул>A-1</Артикул></Товар><Товар><Ид>ok</Ид>"
                          "<ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>Кратность</Наименование>"
                          "<Значение>0</Значение></ЗначениеРеквизита></ЗначенияРеквизитов></Товар>"
                          "<Товар><Ид>fine</Ид></Товар></Товары></Каталог>"))
    assert [(s.ref, s.reason_code) for s in of(records, Skipped)] == [("A-1", "missing_id"), ("ok", "bad_number")]
    assert [p.id for p in of(records, Product)] == ["fine"]


def _refused(source, **options) -> str:
    with pytest.raises(CommerceMLError) as raised:
        read(source, **options)
    assert raised.value.detail
    return raised.value.code


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.999])
def test_a_truncated_file_is_refused(tmp_path: Path, cut: float) -> None:
    write_catalog(tmp_path / "import.xml", products=50, seed=1)
    data = (tmp_path / "import.xml").read_bytes()
    assert _refused(io.BytesIO(data[: int(len(data) * cut)])) == "truncated"


@pytest.mark.parametrize(("body", "code"), [
    ("<Каталог><Товары><Товар><Ид>x</Ид></Товары></Каталог>", "malformed_xml"),
    ("<Каталог><Товары><Товар><Ид>x & y</Ид></Товар></Товары></Каталог>", "malformed_xml"),
    ("<Каталог>&nbsp;</Каталог>", "malformed_xml"),
    ("<Документ><Ид>1</Ид></Документ>", "unsupported_content"),
    ("", "no_content"),
])
def test_a_broken_file_is_refused_with_its_code(body: str, code: str) -> None:
    assert _refused(xml(body)) == code


def test_items_before_the_break_are_read_then_it_raises() -> None:
    """The importer commits nothing from such a file; raising mid-stream is therefore fine."""
    with Package(xml("<Каталог><Товары><Товар><Ид>1</Ид></Товар><Товар><Ид>2</Ид></Товар></Товары>"
                     "</Каталог><Каталог></Кат>")) as package:
        seen = []
        with pytest.raises(CommerceMLError) as raised:
            for record in package:
                seen.append(record)
    assert raised.value.code == "malformed_xml" and len(of(seen, Product)) == 2


@pytest.mark.parametrize("version", ["2.02", "2.11", "3.0", "4.0", ""])
def test_an_unknown_version_is_refused(version: str) -> None:
    assert _refused(xml("<Каталог/>", version=version)) == "unknown_version"


def test_no_version_at_all_is_refused() -> None:
    assert _refused(io.BytesIO("<КоммерческаяИнформация><Каталог/></КоммерческаяИнформация>".encode())) \
        == "unknown_version"


def test_a_wrong_root_is_refused() -> None:
    assert _refused(io.BytesIO(b'<?xml version="1.0"?><html><body>404</body></html>')) == "not_commerceml"


def test_an_empty_file_is_refused() -> None:
    assert _refused(io.BytesIO(b"")) == "empty"
    assert _refused(io.BytesIO(b"\xef\xbb\xbf  \n")) == "empty"


BOMB = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE КоммерческаяИнформация [\n<!ENTITY a "ааааааааааааа">\n'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">\n]>\n'
        '<КоммерческаяИнформация ВерсияСхемы="2.08"><Каталог><Товары><Товар><Ид>1</Ид><Наименование>&c;'
        '</Наименование></Товар></Товары></Каталог></КоммерческаяИнформация>')
EXTERNAL = ('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
            '<КоммерческаяИнформация ВерсияСхемы="2.08"><Каталог><Товары><Товар><Ид>&x;</Ид></Товар></Товары>'
            '</Каталог></КоммерческаяИнформация>')


@pytest.mark.parametrize("document", [BOMB, EXTERNAL, '<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://x/r.dtd">'
                                      '<КоммерческаяИнформация ВерсияСхемы="2.08"/>'])
def test_a_doctype_or_entity_declaration_is_refused_unexpanded(document: str) -> None:
    assert _refused(io.BytesIO(document.encode())) == "forbidden_dtd"


def test_memory_stays_flat_on_a_large_file(tmp_path: Path) -> None:
    """A tree of this file would take tens of MB; the reader holds one product at a time."""
    path = tmp_path / "import.xml"
    summary = write_catalog(path, products=3000, groups=40, seed=11)
    assert path.stat().st_size > 5_000_000
    tracemalloc.start()
    try:
        count = 0
        with Package(path) as package:
            for record in package:
                count += isinstance(record, Product)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == summary.products
    assert peak < 1_500_000, f"reading took {peak / 1e6:.1f} MB at its peak"


def test_the_generator_is_deterministic_by_seed() -> None:
    first, second, other = io.BytesIO(), io.BytesIO(), io.BytesIO()
    write_offers(first, products=20, seed=4)
    write_offers(second, products=20, seed=4)
    write_offers(other, products=20, seed=5)
    assert first.getvalue() == second.getvalue() != other.getvalue()


def test_generated_products_are_realistic(tmp_path: Path) -> None:
    write_catalog(tmp_path / "import.xml", products=300, seed=9)
    products = [p for p in of(read(tmp_path / "import.xml")[1], Product) if not p.deleted]
    assert all(len(p.barcodes) == 1 and ean.is_valid(p.barcodes[0]) for p in products)
    assert {p.unit.name for p in products} == {"шт", "кг", "л", "уп"}
    assert {p.vat_rate for p in products} == {Decimal(20), Decimal(7), Decimal(0)}
    assert len({p.pack_multiple for p in products}) > 3 and len({p.sku for p in products}) == len(products)
    assert any(ch in p.name for p in products for ch in "іїєґ")


def test_offers_with_a_decimal_comma_read_to_the_same_totals() -> None:
    stream = io.BytesIO()
    summary = write_offers(stream, products=30, seed=8, decimal_comma=True)
    assert b"<\xd0\xa6\xd0\xb5\xd0\xbd\xd0\xb0\xd0\x97" in stream.getvalue()  # "<ЦенаЗ..." is there
    stream.seek(0)
    assert totals(read(stream)[1])[1:3] == (summary.prices, summary.price_total)


def test_a_zipped_package_holds_the_files_side_by_side(tmp_path: Path) -> None:
    files = write_catalog(tmp_path, products=10, split=True, seed=3).files + \
        write_offers(tmp_path, products=10, split=True, seed=3).files
    zip_package(files, tmp_path / "package.zip")
    with zipfile.ZipFile(tmp_path / "package.zip") as archive:
        assert sorted(archive.namelist()) == sorted(p.name for p in files)
        kinds = Counter()
        for name in archive.namelist():
            with archive.open(name) as member:
                kinds[read(member, filename=name)[0].kind] += 1
    assert kinds == {"catalog": 3, "offers": 1, "prices": 1, "rests": 1}


def test_the_emulator_shares_no_code_with_the_reader() -> None:
    tree = ast.parse(Path(onec_emulator.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.split(".")[0] in {"onec", "core"}}
