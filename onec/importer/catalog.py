"""import.xml (and its split parts): groups, units, properties and products, matched by 1C's Ид.

Products go in chunks: one query finds a chunk's existing rows, new ones go in by one bulk
insert (COPY on PostgreSQL), changed ones by one executemany; a row whose values are
already those of the file is not written at all.
"""
from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from core.bulk import insert_keyed, insert_rows
from core.catalog.models import Category, Product
from core.catalog.search import product_search_text, search_words
from core.files.services import store_file
from core.textkeys import sku_key, uk_sort_key
from onec.commerceml import Group, PropertyDef, Skipped, Unit
from onec.commerceml import Product as ProductRecord
from onec.importer.common import Options, Tally
from onec.models import OnecProperty, OnecUnit, ProductBarcode, ProductImage, ProductProperty

# Products 1C files under no group (or a group it never sent) land here.
UNGROUPED = "00000000-0000-0000-0000-000000000000"
UNGROUPED_NAME = "Без групи (1С)"
DEFAULT_UNIT = "шт"
DEFAULT_VAT = Decimal("20.00")
# The columns an import writes: compared to decide whether a product changed.
FIELDS = ("sku", "name", "barcode", "unit", "pack_multiple", "vat_rate", "category_id", "is_active")


def import_catalog(session: Session, records: Iterable[Any], tally: Tally, options: Options) -> None:
    groups: list[Group] = []
    properties: list[PropertyDef] = []
    units: list[Unit] = []
    chunk: list[ProductRecord] = []
    writer: _ProductWriter | None = None
    for record in records:
        if isinstance(record, ProductRecord):
            if writer is None:
                writer = _classifier_written(session, groups, properties, units, tally, options)
            chunk.append(record)
            if len(chunk) >= options.chunk:
                writer.write(chunk)
                chunk = []
        elif isinstance(record, Group):
            groups.append(record)
        elif isinstance(record, PropertyDef):
            properties.append(record)
        elif isinstance(record, Unit):
            units.append(record)
        elif isinstance(record, Skipped):
            tally.skip(record.ref, record.reason_code, record.detail)
    if writer is None:
        writer = _classifier_written(session, groups, properties, units, tally, options)
    if chunk:
        writer.write(chunk)
    session.flush()


def _classifier_written(session: Session, groups: list[Group], properties: list[PropertyDef], units: list[Unit],
                        tally: Tally, options: Options) -> _ProductWriter:
    _write_groups(session, groups, tally)
    _write_units(session, units)
    _write_properties(session, properties)
    return _ProductWriter(session, tally, options)


def _write_groups(session: Session, groups: list[Group], tally: Tally) -> None:
    live = {g.id: g for g in groups if not g.deleted and tally.takes_id(g.id)}
    if not live:
        return
    parents = {g.parent_id for g in live.values() if g.parent_id}
    known = {c.onec_guid: c for c in session.scalars(select(Category).where(Category.onec_guid.in_(set(live) | parents)))}
    for group in live.values():
        category = known.get(group.id)
        if category is None:
            known[group.id] = Category(onec_guid=group.id, name=group.name[:200])
            session.add(known[group.id])
            tally.created += 1
        elif category.name != group.name[:200]:
            category.name = group.name[:200]
            tally.updated += 1
        else:
            tally.unchanged += 1
    session.flush()
    for group in live.values():
        category = known[group.id]
        parent = known.get(group.parent_id) if group.parent_id else None
        parent_id = parent.id if parent is not None else None
        if category.parent_id != parent_id:
            category.parent_id = parent_id
    session.flush()


def _write_units(session: Session, units: list[Unit]) -> None:
    coded = {u.code: u for u in units if u.code}
    known = {u.code: u for u in session.scalars(select(OnecUnit).where(OnecUnit.code.in_(coded)))}
    for code, unit in coded.items():
        values = {"name": (unit.name or code)[:50], "full_name": unit.full_name and unit.full_name[:100],
                  "international": unit.international and unit.international[:10]}
        row = known.get(code)
        if row is None:
            session.add(OnecUnit(code=code[:20], **values))
        else:
            for name, value in values.items():
                if getattr(row, name) != value:
                    setattr(row, name, value)


def _write_properties(session: Session, properties: list[PropertyDef]) -> None:
    known = {p.guid: p for p in session.scalars(select(OnecProperty).where(OnecProperty.guid.in_([p.id for p in properties])))}
    for prop in properties:
        values = dict(prop.values)
        row = known.get(prop.id)
        if row is None:
            session.add(OnecProperty(guid=prop.id[:36], name=prop.name[:200], values=values))
        elif row.name != prop.name[:200] or row.values != values:
            row.name, row.values = prop.name[:200], values
    session.flush()


class _ProductWriter:
    """Writes chunks of product records; knows the classifier the file (or an earlier one) set up."""

    def __init__(self, session: Session, tally: Tally, options: Options) -> None:
        self.session, self.tally, self.options = session, tally, options
        self.properties = {p.guid: (p.name, p.values) for p in session.scalars(select(OnecProperty))}
        self.units = {u.code: u.name for u in session.scalars(select(OnecUnit))}
        self._ungrouped: int | None = None

    def write(self, records: list[ProductRecord]) -> None:
        wanted = self._takeable(records)
        if not wanted:
            return
        existing = self._existing(wanted)
        categories = self._categories(wanted)
        new_rows, changed_rows, product_ids = [], [], {}
        for guid, record in wanted.items():
            row = existing.get(guid)
            values = self._values(record, row, categories)
            if values is None:
                continue
            if row is None:
                new_rows.append({**values, "onec_guid": guid, **_derived(values)})
            else:
                product_ids[guid] = row["id"]
                if any(row[name] != values[name] for name in FIELDS) or row["onec_guid"] is None:
                    changed_rows.append({"_id": row["id"], **values, "onec_guid": guid, **_derived(values)})
        ids = insert_keyed(self.session, Product, new_rows, key=("onec_guid",))
        product_ids.update((row["onec_guid"], pid) for row, pid in zip(new_rows, ids))
        if changed_rows:
            table = Product.__table__
            self.session.execute(
                update(table).where(table.c.id == bindparam("_id"))
                .values({name: bindparam(name) for name in changed_rows[0] if name != "_id"}),
                changed_rows,
            )
        touched = self._write_details(wanted, product_ids)
        new = {row["onec_guid"] for row in new_rows}
        changed = ({row["onec_guid"] for row in changed_rows} | touched) - new
        self.tally.created += len(new)
        self.tally.updated += len(changed)
        self.tally.unchanged += len(product_ids) - len(new) - len(changed)

    def _takeable(self, records: list[ProductRecord]) -> dict[str, ProductRecord]:
        wanted: dict[str, ProductRecord] = {}
        skus: set[str] = set()
        for record in records:
            sku = record.sku[:40] if record.sku else None
            if record.characteristic_id:
                # The portal's catalog has no variants: a characteristic's offer is not a product.
                self.tally.skip(record.id, "characteristic", "a product characteristic (variant) is not imported")
            elif sku is not None and sku in skus:
                self.tally.skip(record.id, "duplicate_sku", f"the SKU {sku} is another product's in the same file")
            elif self.tally.takes_id(record.product_id):
                wanted[record.product_id] = record
                if sku is not None:
                    skus.add(sku)
        return wanted

    def _existing(self, wanted: dict[str, ProductRecord]) -> dict[str, dict[str, Any]]:
        """The chunk's rows by Ид; a product staff made (no Ид yet) is taken over by its SKU."""
        columns = (Product.id, Product.onec_guid, *(getattr(Product, name) for name in FIELDS))
        found = {row.onec_guid: row._asdict() for row in
                 self.session.execute(select(*columns).where(Product.onec_guid.in_(wanted)))}
        skus = {r.sku[:40]: guid for guid, r in wanted.items() if r.sku}
        for row in self.session.execute(select(*columns).where(Product.sku.in_(skus))) if skus else ():
            guid = skus[row.sku]
            if row.onec_guid == guid:
                continue
            if row.onec_guid is None and guid not in found:
                found[guid] = row._asdict()
            else:
                self.tally.skip(guid, "duplicate_sku", f"the SKU {row.sku} is another product's")
                del wanted[guid]
        return found

    def _categories(self, wanted: dict[str, ProductRecord]) -> dict[str, int]:
        ids = {r.group_ids[0] for r in wanted.values() if r.group_ids}
        return dict(self.session.execute(select(Category.onec_guid, Category.id).where(Category.onec_guid.in_(ids))).all())

    def _values(self, record: ProductRecord, row: dict[str, Any] | None,
                categories: dict[str, int]) -> dict[str, Any] | None:
        """The product's columns after this record; what the record does not name stays as it is."""
        if row is None and record.deleted:
            return None  # 1C deleted a product the portal never had
        if row is None and not record.name:
            self.tally.skip(record.id, "missing_name", "a new product without a name")
            return None
        old = row or {}
        category_id = categories.get(record.group_ids[0]) if record.group_ids else None
        return {
            "sku": (record.sku or old.get("sku") or record.product_id)[:40],
            "name": (record.name or old["name"])[:300],
            "barcode": record.barcodes[0][:20] if record.barcodes else old.get("barcode"),
            "unit": self._unit(record) or old.get("unit") or DEFAULT_UNIT,
            "pack_multiple": record.pack_multiple or old.get("pack_multiple") or Decimal(1),
            "vat_rate": record.vat_rate if record.vat_rate is not None else old.get("vat_rate", DEFAULT_VAT),
            "category_id": category_id or old.get("category_id") or self._ungrouped_id(),
            "is_active": not record.deleted,
        }

    def _unit(self, record: ProductRecord) -> str | None:
        if record.unit is None:
            return None
        name = record.unit.name or self.units.get(record.unit.code or "") or record.unit.code
        return name[:10] if name else None

    def _ungrouped_id(self) -> int:
        if self._ungrouped is None:
            self._ungrouped = self.session.scalar(select(Category.id).where(Category.onec_guid == UNGROUPED))
            if self._ungrouped is None:
                category = Category(onec_guid=UNGROUPED, name=UNGROUPED_NAME, sort_order=1000)
                self.session.add(category)
                self.session.flush()
                self._ungrouped = category.id
        return self._ungrouped

    def _write_details(self, wanted: dict[str, ProductRecord], product_ids: dict[str, int]) -> set[str]:
        """Properties, extra barcodes and images of the records that name them; the Ид of
        the products whose details changed."""
        named = {guid: r for guid, r in wanted.items() if guid in product_ids}
        touched = set()
        for model, desired in (
            (ProductProperty, {g: self._properties(r) for g, r in named.items() if r.properties}),
            (ProductBarcode, {g: {(b[:20], b[:20]) for b in r.barcodes[1:]} for g, r in named.items() if r.barcodes}),
            (ProductImage, {g: {(p[:300], str(k)) for k, p in enumerate(r.images)} for g, r in named.items() if r.images}),
        ):
            touched |= self._sync(model, desired, product_ids)
        return touched

    def _properties(self, record: ProductRecord) -> set[tuple[str, str]]:
        found = {}
        for property_id, value in record.properties:
            name, values = self.properties.get(property_id, (property_id, {}))
            found[name[:200]] = str(values.get(value, value))[:500]
        return set(found.items())

    def _sync(self, model: Any, desired: dict[str, set[tuple[str, str]]], product_ids: dict[str, int]) -> set[str]:
        """Replace a product's rows of `model` when they differ from the record's."""
        if not desired:
            return set()
        key, value = _DETAIL_COLUMNS[model]
        ids = {product_ids[g]: g for g in desired}
        have: dict[int, set[tuple[str, str]]] = {pid: set() for pid in ids}
        for pid, k, v in self.session.execute(
            select(model.product_id, getattr(model, key), getattr(model, value)).where(model.product_id.in_(ids))
        ):
            have[pid].add((k, str(v)))
        stale = [pid for pid, guid in ids.items() if have[pid] != desired[guid]]
        if not stale:
            return set()
        self.session.execute(delete(model).where(model.product_id.in_(stale)))
        rows = [{"product_id": pid, **self._detail_row(model, key, value, k, v)}
                for pid in stale for k, v in sorted(desired[ids[pid]])]
        insert_rows(self.session, model, rows)
        return {ids[pid] for pid in stale}

    def _detail_row(self, model: Any, key: str, value: str, k: str, v: str) -> dict[str, Any]:
        if model is ProductBarcode:
            return {"barcode": k}
        if model is ProductImage:
            return {"path": k, "position": int(v), "file_id": self._stored_image(k)}
        return {key: k, value: v}

    def _stored_image(self, path: str) -> int | None:
        """The image's file, when the package brought it (1C sends it beside the XML)."""
        base = self.options.files_dir
        if base is None:
            return None
        file = (base / path).resolve()
        if not file.is_file() or not file.is_relative_to(base.resolve()):
            return None
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return store_file(self.session, file.read_bytes(), file.name, content_type).id


# model -> (the column told apart, the column compared): a product's rows as pairs.
_DETAIL_COLUMNS: dict[Any, tuple[str, str]] = {
    ProductProperty: ("name", "value"),
    ProductBarcode: ("barcode", "barcode"),
    ProductImage: ("path", "position"),
}


def _derived(values: dict[str, Any]) -> dict[str, Any]:
    """The columns the model's validators keep, which a bulk write does not run."""
    return {"sku_key": sku_key(values["sku"]), "name_sort": uk_sort_key(values["name"]),
            "search_text": product_search_text(values["name"], values["sku"], values["barcode"]),
            "search_words": search_words(values["name"], values["sku"], values["barcode"])}

