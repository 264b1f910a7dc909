"""CommerceML 2 packages as 1C:Enterprise / BAS "exchange with website" writes them, for the
tests, the demo and the benchmarks.

Deterministic by seed: the same arguments write the same bytes, and `write_offers` with
the catalog's seed and product count offers exactly the catalog's products. Written as a
stream (one product in memory at a time), so 50,000 products cost no more than 50.
Shares no code with `onec/` (the reader): a test of one against the other is meaningful.

    summary = write_catalog(path, products=1000, version="2.08", encoding="windows-1251")
    summary = write_offers(path, products=1000, price_types=3, warehouses=2)
    zip_package([...files], "package.zip")   # what 1C sends when the site answers zip=yes
"""
from __future__ import annotations

import contextlib
import io
import os
import random
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, TextIO
from xml.sax.saxutils import escape, quoteattr

VERSIONS = ("2.03", "2.04", "2.05", "2.07", "2.08", "2.09", "2.10", "3.1")
ENCODINGS = ("utf-8", "windows-1251")
NAMESPACE = "urn:1C.ru:commerceml_2"
CENT = Decimal("0.01")

# (short name, code, full name, international) as 1C's classifier of units has them
UNITS = (("шт", "796", "Штука", "PCE"), ("кг", "166", "Кілограм", "KGM"), ("л", "112", "Літр", "LTR"),
         ("уп", "778", "Упаковка", "NMP"))
PACK_MULTIPLES = (1, 1, 1, 6, 10, 12, 20, 24)
VAT_RATES = ("20", "20", "20", "7", "0")
GOODS = (
    ("Сік яблучний", "л"), ("Сок томатный", "л"), ("Олія соняшникова", "л"), ("Масло подсолнечное", "л"),
    ("Цукор білий", "кг"), ("Сахар-песок", "кг"), ("Борошно пшеничне", "кг"), ("Гречка ядриця", "кг"),
    ("Макарони ріжки", "уп"), ("Печенье овсяное", "уп"), ("Чай чорний", "уп"), ("Кава мелена", "уп"),
    ("Мило рідке", "шт"), ("Зубна паста", "шт"), ("Серветки паперові", "уп"), ("Ґудзики швейні", "уп"),
    ("Їжачок іграшковий", "шт"), ("Єгипетська сіль", "кг"), ("Шампунь для волосся", "шт"), ("Вода мінеральна", "л"),
)
BRANDS = ("Сандора", "Олейна", "Галичина", "Ярмарка", "Повна чаша", "Їжа та Ко", "Гетьман", "Добриня",
          "Rud", "Prestige", "Домашній", "Єва")
SIZES = {"л": ("0,5 л", "1 л", "1,5 л", "2 л"), "кг": ("0,5 кг", "1 кг", "2 кг", "5 кг"),
         "уп": ("200 г", "400 г", "25 пак.", "10 шт"), "шт": ("100 мл", "250 мл", "500 мл", "75 мл")}
COUNTRIES = ("Україна", "Польща", "Туреччина", "Німеччина")
PRICE_TYPE_NAMES = ("Оптова", "Дрібний опт", "Роздрібна")
WAREHOUSE_NAMES = ("Основний склад (Київ)", "Склад Львів")
MANUFACTURER = "prop-manufacturer"
COUNTRY = "prop-country"
WEIGHT = "prop-weight"


@dataclass
class Summary:
    """What was written, for a round trip: counts and the totals a reader must find again."""
    files: list[Path] = field(default_factory=list)
    groups: int = 0
    properties: int = 0
    units: int = 0
    products: int = 0
    deleted: int = 0
    price_types: int = 0
    warehouses: int = 0
    offers: int = 0
    prices: int = 0
    price_total: Decimal = Decimal(0)
    stock_total: Decimal = Decimal(0)


def guid(*parts: object) -> str:
    """A stable GUID, as 1C's Ид, derived from the seed and what it names."""
    return str(uuid.UUID(int=random.Random(":".join(map(str, parts))).getrandbits(128), version=4))


def ean13(rng: random.Random) -> str:
    body = "482" + "".join(str(rng.randrange(10)) for _ in range(9))
    odd_even = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - odd_even % 10) % 10)


def write_catalog(target: str | os.PathLike | BinaryIO, *, products: int = 100, groups: int = 10,
                  version: str = "2.08", encoding: str = "utf-8", split: bool = False,
                  changes_only: bool = False, seed: int = 1, bom: bool = True) -> Summary:
    """import.xml; with `split`, `target` is a folder that gets groups___, propertiesGoods___ and import___ files."""
    _check(version, encoding)
    summary = Summary(groups=groups, properties=3, units=len(UNITS) if version == "3.1" else 0)
    catalog_id, classifier_id = guid(seed, "catalog"), guid(seed, "classifier")
    parts = (("groups", _groups_section), ("propertiesGoods", _properties_section),
             ("import", _catalog_section)) if split else (("import", _whole_catalog),)
    for prefix, section in parts:
        with _document(target, prefix, split, seed, version, encoding, bom, summary) as out:
            section(out, summary, seed=seed, products=products, groups=groups, version=version,
                    changes_only=changes_only, catalog_id=catalog_id, classifier_id=classifier_id)
    return summary


def write_offers(target: str | os.PathLike | BinaryIO, *, products: int = 100, price_types: int = 2,
                 warehouses: int = 2, version: str = "2.08", encoding: str = "utf-8", split: bool = False,
                 changes_only: bool = False, seed: int = 1, bom: bool = True,
                 decimal_comma: bool = False) -> Summary:
    """offers.xml for the catalog of the same seed and product count; with `split`, `target` is a
    folder that gets offers___ (the offers), prices___ (their prices) and rests___ (their stock)."""
    _check(version, encoding)
    if not 1 <= price_types <= len(PRICE_TYPE_NAMES) or not 1 <= warehouses <= len(WAREHOUSE_NAMES):
        raise ValueError("1-3 price types and 1-2 warehouses")
    summary = Summary(price_types=price_types, warehouses=warehouses)
    options = dict(seed=seed, products=products, price_types=price_types, warehouses=warehouses,
                   version=version, changes_only=changes_only, decimal_comma=decimal_comma)
    parts = (("offers", ("names",)), ("prices", ("prices",)), ("rests", ("stock",))) if split \
        else (("offers", ("names", "prices", "stock")),)
    for prefix, contents in parts:
        with _document(target, prefix, split, seed, version, encoding, bom, summary) as out:
            _offers_section(out, summary, contents=contents, **options)
    return summary


def zip_package(files: Sequence[str | os.PathLike], target: str | os.PathLike | BinaryIO) -> None:
    """The files side by side at the archive's root, as 1C packs an exchange when zip=yes."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in files:
            archive.write(name, arcname=Path(name).name)


def _check(version: str, encoding: str) -> None:
    if version not in VERSIONS:
        raise ValueError(f"version {version} is not one of {VERSIONS}")
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding {encoding} is not one of {ENCODINGS}")


@contextlib.contextmanager
def _document(target, prefix: str, split: bool, seed: int, version: str, encoding: str, bom: bool,
              summary: Summary) -> Iterator[TextIO]:
    if split:
        if not isinstance(target, (str, os.PathLike)):
            raise ValueError("a split package is written to a folder")
        path = Path(target) / f"{prefix}___{guid(seed, prefix)}.xml"
    elif isinstance(target, (str, os.PathLike)):
        path = Path(target)
    else:
        path = None
    raw = open(path, "wb") if path is not None else target  # noqa: SIM115 - closed in the finally below
    if encoding == "utf-8" and bom:
        raw.write(b"\xef\xbb\xbf")  # 1C's XMLWriter starts UTF-8 files with a BOM
    out = io.TextIOWrapper(raw, encoding=encoding, newline="\n", write_through=False)
    declared = "UTF-8" if encoding == "utf-8" else "windows-1251"
    namespace = f' xmlns={quoteattr(NAMESPACE)}' if _since(version, "2.05") else ""
    out.write(f'<?xml version="1.0" encoding="{declared}"?>\n'
              f'<КоммерческаяИнформация{namespace} ВерсияСхемы="{version}" '
              f'ДатаФормирования="2026-12-01T10:00:00">\n')
    try:
        yield out
        out.write("</КоммерческаяИнформация>\n")
    finally:
        out.flush()
        if path is not None:
            out.close()
        else:
            out.detach()  # the caller's stream stays open
    if path is not None:
        summary.files.append(path)


def _since(version: str, first: str) -> bool:
    return VERSIONS.index(version) >= VERSIONS.index(first)


def _el(tag: str, value: object) -> str:
    return f"<{tag}>{escape(str(value))}</{tag}>"


def _changes_only(version: str, changes_only: bool) -> tuple[str, str]:
    """(attribute, element): 3.1 writes the flag as an element, 2.x as an attribute."""
    flag = "true" if changes_only else "false"
    if version == "3.1":
        return "", _el("СодержитТолькоИзменения", flag)
    return f' СодержитТолькоИзменения="{flag}"', ""


def _whole_catalog(out: TextIO, summary: Summary, **options) -> None:
    out.write(f"<Классификатор>{_el('Ид', options['classifier_id'])}{_el('Наименование', 'Класифікатор (Основний)')}\n")
    _groups(out, options["seed"], options["groups"])
    _properties(out, options["seed"], options["version"])
    if options["version"] == "3.1":
        _units(out)
    out.write("</Классификатор>\n")
    _catalog_section(out, summary, **options)


def _groups_section(out: TextIO, summary: Summary, **options) -> None:
    out.write(f"<Классификатор>{_el('Ид', options['classifier_id'])}{_el('Наименование', 'Класифікатор (Основний)')}\n")
    _groups(out, options["seed"], options["groups"])
    out.write("</Классификатор>\n")


def _properties_section(out: TextIO, summary: Summary, **options) -> None:
    out.write(f"<Классификатор>{_el('Ид', options['classifier_id'])}{_el('Наименование', 'Класифікатор (Основний)')}\n")
    _properties(out, options["seed"], options["version"])
    if options["version"] == "3.1":
        _units(out)
    out.write("</Классификатор>\n")


def _group_ids(seed: int, groups: int) -> list[tuple[str, str, int | None]]:
    """(Ид, name, index of the parent): a fifth of the groups on top, the rest under them."""
    tops = max(1, groups // 5)
    return [(guid(seed, "group", i), f"Група {i + 1}", None if i < tops else i % tops) for i in range(groups)]


def _groups(out: TextIO, seed: int, groups: int) -> None:
    if not groups:
        return
    table = _group_ids(seed, groups)
    out.write("<Группы>\n")
    for top, (group_id, name, parent) in enumerate(table):
        if parent is not None:
            continue
        out.write(f"<Группа>{_el('Ид', group_id)}{_el('Наименование', name)}")
        children = [(c_id, c_name) for c_id, c_name, c_parent in table if c_parent == top]
        if children:
            out.write("<Группы>" + "".join(
                f"<Группа>{_el('Ид', c_id)}{_el('Наименование', c_name)}</Группа>" for c_id, c_name in children
            ) + "</Группы>")
        out.write("</Группа>\n")
    out.write("</Группы>\n")


def _properties(out: TextIO, seed: int, version: str) -> None:
    out.write("<Свойства>\n")
    for prop_id, name, value_type in ((MANUFACTURER, "Виробник", "Справочник"),
                                      (COUNTRY, "Країна походження", "Строка"), (WEIGHT, "Вага, кг", "Число")):
        brands = BRANDS if value_type == "Справочник" else ()
        if _since(version, "2.05"):
            variants = "".join(f"<Справочник>{_el('ИдЗначения', guid(seed, 'brand', b))}{_el('Значение', b)}"
                               "</Справочник>" for b in brands)
            typed = _el("ТипЗначений", value_type) + (f"<ВариантыЗначений>{variants}</ВариантыЗначений>" if brands else "")
        else:  # 2.03-2.04 nest the type and its variants one level deeper
            variants = "".join(f"<ВариантЗначения>{_el('Ид', guid(seed, 'brand', b))}{_el('Значение', b)}"
                               "</ВариантЗначения>" for b in brands)
            typed = f"<ТипыЗначений><ТипЗначений>{_el('Тип', value_type)}" + (
                f"<ВариантыЗначений>{variants}</ВариантыЗначений>" if brands else "") + "</ТипЗначений></ТипыЗначений>"
        out.write(f"<Свойство>{_el('Ид', prop_id)}{_el('Наименование', name)}{typed}</Свойство>\n")
    out.write("</Свойства>\n")


def _units(out: TextIO) -> None:
    """3.1 lists the units in the classifier and a product names its unit by code."""
    out.write("<ЕдиницыИзмерения>" + "".join(
        f"<ЕдиницаИзмерения>{_el('Ид', code)}{_el('НаименованиеКраткое', short)}{_el('Код', code)}"
        f"{_el('НаименованиеПолное', full)}{_el('МеждународноеСокращение', intl)}</ЕдиницаИзмерения>"
        for short, code, full, intl in UNITS) + "</ЕдиницыИзмерения>\n")


@dataclass(frozen=True)
class _Good:
    """One generated product: what both the catalog and the offers need to agree on."""
    id: str
    sku: str
    name: str
    unit: tuple[str, str, str, str]
    characteristics: tuple[str, ...]
    deleted: bool


def _good(seed: int, index: int) -> _Good:
    rng = random.Random(f"{seed}:good:{index}")
    noun, unit_name = rng.choice(GOODS)
    brand = rng.choice(BRANDS)
    unit = next(u for u in UNITS if u[0] == unit_name)
    characteristics = tuple(guid(seed, "char", index, k) for k in range(rng.choice((2, 3)))) \
        if rng.random() < 0.1 else ()
    return _Good(
        id=guid(seed, "product", index),
        sku=f"{rng.choice(('ВК', 'ТМ', 'AR'))}-{index + 1:06d}",
        name=f"{noun} {brand} {rng.choice(SIZES[unit_name])}",
        unit=unit,
        characteristics=characteristics,
        deleted=index % 97 == 96,
    )


def _catalog_section(out: TextIO, summary: Summary, *, seed: int, products: int, groups: int, version: str,
                     changes_only: bool, catalog_id: str, classifier_id: str, **_: object) -> None:
    attribute, element = _changes_only(version, changes_only)
    out.write(f"<Каталог{attribute}>{element}{_el('Ид', catalog_id)}{_el('ИдКлассификатора', classifier_id)}"
              f"{_el('Наименование', 'Каталог товарів')}\n<Товары>\n")
    group_table = _group_ids(seed, groups)
    for index in range(products):
        good = _good(seed, index)
        out.write(_product(seed, index, good, group_table, version))
        summary.products += 1
        summary.deleted += good.deleted
    out.write("</Товары>\n</Каталог>\n")


def _product(seed: int, index: int, good: _Good, group_table: list, version: str) -> str:
    rng = random.Random(f"{seed}:card:{index}")
    if good.deleted:
        return f"<Товар>{_el('Ид', good.id)}{_el('Наименование', good.name)}{_el('Статус', 'Удален')}</Товар>\n"
    short, code, full, international = good.unit
    vat = rng.choice(VAT_RATES)
    brand = next(b for b in BRANDS if b in good.name)
    parts = [
        "<Товар>", _el("Ид", good.id), _el("Штрихкод", ean13(rng)), _el("Артикул", good.sku),
        _el("Наименование", good.name),
        _el("БазоваяЕдиница", code) if version == "3.1" else
        f"<БазоваяЕдиница Код={quoteattr(code)} НаименованиеПолное={quoteattr(full)} "
        f"МеждународноеСокращение={quoteattr(international)}>{short}</БазоваяЕдиница>",
    ]
    if group_table:
        parts.append(f"<Группы>{_el('Ид', rng.choice(group_table)[0])}</Группы>")
    if rng.random() < 0.3:
        parts.append(_el("Описание", f"{good.name}. Зберігати в сухому місці; «якість» & гарантія."))
    if rng.random() < 0.5:
        parts.append(_el("Картинка", f"import_files/{good.id[:2]}/{good.id}.jpg"))
    parts.append(
        "<ЗначенияСвойств>"
        f"<ЗначенияСвойства>{_el('Ид', MANUFACTURER)}{_el('Значение', guid(seed, 'brand', brand))}</ЗначенияСвойства>"
        f"<ЗначенияСвойства>{_el('Ид', COUNTRY)}{_el('Значение', rng.choice(COUNTRIES))}</ЗначенияСвойства>"
        f"<ЗначенияСвойства>{_el('Ид', WEIGHT)}{_el('Значение', Decimal(rng.randrange(1, 5000)) / 1000)}</ЗначенияСвойства>"
        "</ЗначенияСвойств>"
        f"<СтавкиНалогов><СтавкаНалога>{_el('Наименование', 'НДС')}"
        f"{_el('Ставка', vat if vat != '0' else 'Без НДС')}</СтавкаНалога></СтавкиНалогов>"
        "<ЗначенияРеквизитов>"
        f"<ЗначениеРеквизита>{_el('Наименование', 'ВидНоменклатуры')}{_el('Значение', 'Товар')}</ЗначениеРеквизита>"
        f"<ЗначениеРеквизита>{_el('Наименование', 'Полное наименование')}{_el('Значение', good.name)}"
        "</ЗначениеРеквизита>"
        f"<ЗначениеРеквизита>{_el('Наименование', 'Кратность')}{_el('Значение', rng.choice(PACK_MULTIPLES))}"
        "</ЗначениеРеквизита>"
        "</ЗначенияРеквизитов></Товар>\n"
    )
    return "".join(parts)


def _offers_section(out: TextIO, summary: Summary, *, contents: tuple[str, ...], seed: int, products: int,
                    price_types: int, warehouses: int, version: str, changes_only: bool,
                    decimal_comma: bool) -> None:
    attribute, element = _changes_only(version, changes_only)
    out.write(f"<ПакетПредложений{attribute}>{element}{_el('Ид', guid(seed, 'catalog') + '#')}"
              f"{_el('Наименование', 'Пакет пропозицій')}{_el('ИдКаталога', guid(seed, 'catalog'))}"
              f"{_el('ИдКлассификатора', guid(seed, 'classifier'))}\n")
    types = [guid(seed, "price-type", k) for k in range(price_types)]
    stores = [guid(seed, "warehouse", k) for k in range(warehouses)]
    if "prices" in contents:
        out.write("<ТипыЦен>" + "".join(
            f"<ТипЦены>{_el('Ид', t)}{_el('Наименование', PRICE_TYPE_NAMES[k])}{_el('Валюта', 'UAH')}"
            f"<Налог>{_el('Наименование', 'НДС')}{_el('УчтеноВСумме', 'true')}</Налог></ТипЦены>"
            for k, t in enumerate(types)) + "</ТипыЦен>\n")
    if "stock" in contents:
        out.write("<Склады>" + "".join(f"<Склад>{_el('Ид', s)}{_el('Наименование', WAREHOUSE_NAMES[k])}</Склад>"
                                       for k, s in enumerate(stores)) + "</Склады>\n")
    out.write("<Предложения>\n")
    for index in range(products):
        good = _good(seed, index)
        if good.deleted:
            continue
        for offer_id in [f"{good.id}#{c}" for c in good.characteristics] or [good.id]:
            out.write(_offer(seed, offer_id, good, contents, types, stores, version, decimal_comma, summary))
    out.write("</Предложения>\n</ПакетПредложений>\n")


def _offer(seed: int, offer_id: str, good: _Good, contents: tuple[str, ...], types: list[str], stores: list[str],
           version: str, decimal_comma: bool, summary: Summary) -> str:
    rng = random.Random(f"{seed}:offer:{offer_id}")
    parts = ["<Предложение>", _el("Ид", offer_id)]
    if "names" in contents:
        summary.offers += 1
        short, code, full, _ = good.unit
        parts += [_el("Артикул", good.sku), _el("Наименование", good.name),
                  f"<БазоваяЕдиница Код={quoteattr(code)} НаименованиеПолное={quoteattr(full)}>{short}</БазоваяЕдиница>"]
    if "prices" in contents:
        base = Decimal(rng.randrange(500, 500000)) * CENT
        parts.append("<Цены>")
        for k, type_id in enumerate(types):
            value = (base * (1 + Decimal(k) / 10)).quantize(CENT)
            summary.prices += 1
            summary.price_total += value
            shown = str(value).replace(".", ",") if decimal_comma else str(value)
            parts.append(f"<Цена>{_el('Представление', f'{shown} UAH за {good.unit[0]}')}{_el('ИдТипаЦены', type_id)}"
                         f"{_el('ЦенаЗаЕдиницу', shown)}{_el('Валюта', 'UAH')}{_el('Единица', good.unit[0])}"
                         f"{_el('Коэффициент', 1)}</Цена>")
        parts.append("</Цены>")
    if "stock" in contents:
        parts.append(_stock(rng, stores, version, summary))
    parts.append("</Предложение>\n")
    return "".join(parts)


def _stock(rng: random.Random, stores: list[str], version: str, summary: Summary) -> str:
    """Older modules read the total only; 2.08-2.09 add <Склад> attributes; 2.10 and 3.1 write <Остатки>."""
    quantities = [Decimal(rng.randrange(0, 500)) for _ in stores]
    total = sum(quantities, Decimal(0))
    summary.stock_total += total
    if not _since(version, "2.08"):
        return _el("Количество", total)
    if not _since(version, "2.10"):
        return _el("Количество", total) + "".join(
            f"<Склад ИдСклада={quoteattr(s)} КоличествоНаСкладе=\"{q}\"/>" for s, q in zip(stores, quantities))
    return "<Остатки>" + "".join(
        f"<Остаток><Склад>{_el('Ид', s)}{_el('Количество', q)}</Склад></Остаток>" for s, q in zip(stores, quantities)
    ) + "</Остатки>"
