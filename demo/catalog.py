"""Demo catalog: category tree, products, three price types and stock in two warehouses."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from random import Random
from typing import NamedTuple

from sqlalchemy.orm import Session

from core.catalog.models import Category, Price, PriceType, Product, Stock, Warehouse
from core.catalog.search import product_search_text, search_words
from demo.assortment import CATALOG, Range, Size, Subcategory
from core.bulk import insert_keyed, insert_rows
from demo.identifiers import Unique, ean13, onec_guid
from core.money import money
from core.textkeys import sku_key, uk_sort_key

# Code, name and the share of the retail price each price type pays.
PRICE_TYPES = (
    ("retail", "Роздрібна", Decimal("1.00")),
    ("wholesale", "Оптова", Decimal("0.85")),
    ("key", "Ключові клієнти", Decimal("0.78")),
)
WAREHOUSES = ("Київ, Бориспільська 9", "Львів, Городоцька 300")
LOW_STOCK_PACKS = 5  # the catalog shows "low" below this many packs (Config.LOW_STOCK_PACKS)

INACTIVE_SHARE = 0.03
NO_BARCODE_SHARE = 0.06  # besides goods sold by weight, which never carry one
ZERO_VAT_SHARE = 0.01
OUT_OF_STOCK_SHARE = 0.05
LOW_STOCK_SHARE = 0.08


@dataclass(frozen=True)
class DemoProduct:
    """What the order history needs to know about a product."""

    id: int
    sku: str
    name: str
    unit: str
    pack_multiple: Decimal
    vat_rate: Decimal
    top_category: str  # its SKU prefix: "CF", "DT", ...
    is_active: bool
    price_by_type: dict[int, Decimal]


@dataclass(frozen=True)
class DemoCatalog:
    price_type_ids: dict[str, int]
    products: list[DemoProduct]


@dataclass(frozen=True)
class _Candidate:
    name: str
    size: Size


@cache
def catalog_capacity() -> int:
    """How many distinct products the assortment can name."""
    return sum(len(_candidates(sub)) for top in CATALOG for sub in top.children)


def _candidates(subcategory: Subcategory) -> list[_Candidate]:
    found: dict[str, _Candidate] = {}
    for product_range in subcategory.ranges:
        for brand, variants in product_range.variants_by_brand.items():
            for variant in variants:
                for size in product_range.sizes:
                    name = _product_name(product_range, brand, variant, size)
                    found.setdefault(name, _Candidate(name, size))
    return list(found.values())


def _product_name(product_range: Range, brand: str, variant: str, size: Size) -> str:
    # An empty brand or variant would leave a double space.
    return " ".join(product_range.template.format(brand=brand, variant=variant, size=size.label).split())


def _quotas(sizes: list[int], total: int) -> list[int]:
    """Split `total` in proportion to `sizes` (largest remainders), never above a size."""
    capacity = sum(sizes)
    exact = [total * size / capacity for size in sizes]
    quotas = [int(share) for share in exact]
    by_remainder = sorted(range(len(sizes)), key=lambda i: exact[i] - quotas[i], reverse=True)
    for i in by_remainder[: total - sum(quotas)]:
        quotas[i] += 1
    return quotas


def _kopecks(hryvnias: str) -> int:
    return int(Decimal(hryvnias) * 100)


def retail_price(rng: Random, size: Size) -> Decimal:
    """A shelf-looking price: 129.90 above a hundred, whole tens of kopecks above ten."""
    kopecks = rng.randint(_kopecks(size.price_from), _kopecks(size.price_to))
    if kopecks >= 10_000:
        kopecks = kopecks // 100 * 100 + 90
    elif kopecks >= 1_000:
        kopecks = kopecks // 10 * 10
    return money(Decimal(kopecks) / 100)


def _stock_packs(rng: Random, is_active: bool) -> tuple[int, int]:
    """Packs in Kyiv and in Lviv, so the catalog shows in stock, low and out."""
    roll = rng.random()
    if not is_active or roll < OUT_OF_STOCK_SHARE:
        return 0, 0
    if roll < OUT_OF_STOCK_SHARE + LOW_STOCK_SHARE:
        return rng.randint(1, LOW_STOCK_PACKS - 1), 0
    lviv = 0 if rng.random() < 0.25 else rng.randint(2, 60)
    return rng.randint(LOW_STOCK_PACKS, 150), lviv


class _Planned(NamedTuple):
    row: dict
    size: Size
    prefix: str


def _seed_categories(session: Session) -> list[tuple[Category, str, Subcategory]]:
    """The two-level tree; each leaf with the SKU prefix of its top category."""
    leaves = []
    for top_order, top in enumerate(CATALOG, start=1):
        parent = Category(name=top.name, sort_order=top_order)
        session.add(parent)
        for child_order, sub in enumerate(top.children, start=1):
            leaf = Category(name=sub.name, sort_order=child_order, parent=parent)
            session.add(leaf)
            leaves.append((leaf, top.sku_prefix, sub))
    session.flush()
    return leaves


def _plan_products(rng: Random, leaves: list[tuple[Category, str, Subcategory]], count: int) -> list[_Planned]:
    candidates = [_candidates(sub) for _, _, sub in leaves]
    quotas = _quotas([len(found) for found in candidates], count)
    barcodes = Unique()
    last_sku_number = {top.sku_prefix: 10_000 for top in CATALOG}
    planned = []
    for (category, prefix, _), found, quota in zip(leaves, candidates, quotas):
        for candidate in sorted(rng.sample(found, quota), key=lambda c: c.name):
            # Gaps in the numbering: real SKUs were retired over the years.
            last_sku_number[prefix] += rng.randint(1, 7)
            sku = f"{prefix}-{last_sku_number[prefix]}"
            by_weight = candidate.size.unit == "кг"
            barcode = None if by_weight or rng.random() < NO_BARCODE_SHARE else barcodes.draw(lambda: ean13(rng))
            row = {
                "sku": sku,
                "sku_key": sku_key(sku),
                "name": candidate.name,
                "name_sort": uk_sort_key(candidate.name),
                "barcode": barcode,
                "unit": candidate.size.unit,
                "pack_multiple": Decimal(rng.choice(candidate.size.packs)),
                "vat_rate": Decimal("0.00") if rng.random() < ZERO_VAT_SHARE else Decimal("20.00"),
                "category_id": category.id,
                "is_active": rng.random() >= INACTIVE_SHARE,
                "onec_guid": onec_guid(rng),
                "search_text": product_search_text(candidate.name, sku, barcode),
                "search_words": search_words(candidate.name, sku, barcode),
            }
            planned.append(_Planned(row, candidate.size, prefix))
    return planned


def seed_catalog(session: Session, rng: Random, product_count: int) -> DemoCatalog:
    price_types = [PriceType(code=code, name=name) for code, name, _ in PRICE_TYPES]
    warehouses = [Warehouse(name=name) for name in WAREHOUSES]
    session.add_all(price_types + warehouses)
    planned = _plan_products(rng, _seed_categories(session), product_count)
    ids = insert_keyed(session, Product, [p.row for p in planned], ("sku",))

    price_type_ids = {price_type.code: price_type.id for price_type in price_types}
    price_rows: list[dict] = []
    stock_rows: list[dict] = []
    products: list[DemoProduct] = []
    for product_id, (row, size, prefix) in zip(ids, planned):
        retail = retail_price(rng, size)
        price_by_type = {price_type_ids[code]: money(retail * share) for code, _, share in PRICE_TYPES}
        price_rows.extend(
            {"price_type_id": type_id, "product_id": product_id, "amount": amount}
            for type_id, amount in price_by_type.items()
        )
        for warehouse, packs in zip(warehouses, _stock_packs(rng, row["is_active"])):
            stock_rows.append(
                {"warehouse_id": warehouse.id, "product_id": product_id, "quantity": row["pack_multiple"] * packs}
            )
        products.append(DemoProduct(
            id=product_id,
            sku=row["sku"],
            name=row["name"],
            unit=row["unit"],
            pack_multiple=row["pack_multiple"],
            vat_rate=row["vat_rate"],
            top_category=prefix,
            is_active=row["is_active"],
            price_by_type=price_by_type,
        ))
    insert_rows(session, Price, price_rows)
    insert_rows(session, Stock, stock_rows)
    return DemoCatalog(price_type_ids=price_type_ids, products=products)
