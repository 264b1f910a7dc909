"""import.xml items: the classifier's groups, properties and units, and the catalog's products."""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from xml.etree.ElementTree import Element

from onec.commerceml.records import Group, Product, PropertyDef, Skipped, Unit
from onec.commerceml.values import (
    Invalid, child_text, is_deleted, number, pairs, split_id, text, texts, vat_rate,
)

# Requisite names (spaces dropped, lower case) under which configurations send the pack multiple
_PACK_REQUISITES = frozenset({"кратность", "кратність", "кратностьупаковки", "кратністьупаковки"})
_VAT_REQUISITES = frozenset({"ставкандс", "ставкапдв"})
_VAT_TAXES = frozenset({"ндс", "пдв"})


def groups(elem: Element, parent_id: str | None = None) -> Iterator[Group | Skipped]:
    """A group and the groups nested in it, each parent before its children."""
    group_id = child_text(elem, "Ид")
    name = child_text(elem, "Наименование") or ""
    if group_id is None:
        yield Skipped(name or None, "missing_id", "a group without Ид (its subgroups are left out too)")
        return
    yield Group(group_id, name, parent_id, is_deleted(elem))
    for child in elem.iterfind("Группы/Группа"):
        yield from groups(child, group_id)


def property_def(elem: Element) -> PropertyDef | Skipped:
    prop_id = child_text(elem, "Ид")
    name = child_text(elem, "Наименование") or ""
    if prop_id is None:
        return Skipped(name or None, "missing_id", "a property without Ид")
    # 2.05+: ТипЗначений + ВариантыЗначений/Справочник; 2.03-2.04: ТипыЗначений/ТипЗначений/ВариантыЗначений/ВариантЗначения
    value_type = child_text(elem, "ТипЗначений") or child_text(elem, "ТипыЗначений/ТипЗначений/Тип")
    values = [
        *pairs(elem, "ВариантыЗначений/Справочник", "ИдЗначения", "Значение"),
        *pairs(elem, "ТипыЗначений/ТипЗначений/ВариантыЗначений/ВариантЗначения", "Ид", "Значение"),
    ]
    return PropertyDef(prop_id, name, value_type, tuple(values))


def unit(elem: Element) -> Unit:
    """A classifier's ЕдиницаИзмерения (elements) or a product's БазоваяЕдиница (attributes, short name as text)."""
    code = elem.get("Код") or child_text(elem, "Код")
    short = child_text(elem, "НаименованиеКраткое") or text(elem)
    if code is None and short is not None and short.isdigit():
        code, short = short, None  # 3.1 refers to a classifier unit by its code alone
    return Unit(
        code=code,
        name=short,
        full_name=elem.get("НаименованиеПолное") or child_text(elem, "НаименованиеПолное"),
        international=elem.get("МеждународноеСокращение") or child_text(elem, "МеждународноеСокращение"),
    )


def product(elem: Element) -> Product | Skipped:
    full_id = child_text(elem, "Ид")
    name = child_text(elem, "Наименование")
    if full_id is None:
        return Skipped(child_text(elem, "Артикул") or name, "missing_id", "a product without Ид")
    try:
        return _product(elem, full_id, name)
    except Invalid as invalid:
        return Skipped(full_id, invalid.reason_code, invalid.detail)


def _product(elem: Element, full_id: str, name: str | None) -> Product:
    product_id, characteristic_id = split_id(full_id)
    requisites = tuple(pairs(elem, "ЗначенияРеквизитов/ЗначениеРеквизита", "Наименование", "Значение"))
    base_unit = elem.find("БазоваяЕдиница")
    return Product(
        id=full_id,
        product_id=product_id,
        characteristic_id=characteristic_id,
        sku=child_text(elem, "Артикул"),
        name=name,
        barcodes=texts(elem, "Штрихкод"),
        unit=unit(base_unit) if base_unit is not None else None,
        group_ids=texts(elem, "Группы/Ид"),
        description=child_text(elem, "Описание"),
        images=texts(elem, "Картинка"),
        properties=tuple(pairs(elem, "ЗначенияСвойств/ЗначенияСвойства", "Ид", "Значение")),
        vat_rate=_vat(elem, requisites),
        requisites=requisites,
        pack_multiple=_pack_multiple(requisites),
        deleted=is_deleted(elem),
    )


def _key(name: str) -> str:
    return name.replace(" ", "").lower()


def _vat(elem: Element, requisites: tuple[tuple[str, str], ...]) -> Decimal | None:
    for tax in elem.iterfind("СтавкиНалогов/СтавкаНалога"):
        if _key(child_text(tax, "Наименование") or "") in _VAT_TAXES:
            return vat_rate(child_text(tax, "Ставка"))
    for name, value in requisites:
        if _key(name) in _VAT_REQUISITES:
            return vat_rate(value)
    return None


def _pack_multiple(requisites: tuple[tuple[str, str], ...]) -> Decimal | None:
    for name, value in requisites:
        if _key(name) in _PACK_REQUISITES and value:
            multiple = number(value, "the pack multiple")
            if multiple is None or multiple <= 0:
                raise Invalid("bad_number", f"the pack multiple must be above zero: {value!r}")
            return multiple
    return None
