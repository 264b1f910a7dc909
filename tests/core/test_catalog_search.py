"""The search words and their upkeep: the stemmer, reindex() for writers of plain rows,
and migration 0017 up and back on SQLite (FTS5) and PostgreSQL (a stored tsvector with a GIN index)."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.orm import Session

from core.bulk import insert_returning_ids
from core.catalog import search
from core.catalog.models import Product
from core.catalog.services import catalog_page
from core.cli import alembic_config
from core.db import make_engine
from tests.own_database import own_database, seed_customers  # noqa: F401  (a fixture)


@pytest.mark.parametrize(("word", "root"), [
    ("молоко", "молок"), ("молока", "молок"), ("молоком", "молок"),
    ("зернова", "зернов"), ("зернової", "зернов"), ("зерновой", "зернов"),
    ("сливочного", "сливочн"), ("сливочное", "сливочн"),
    ("чай", "чай"), ("кава", "кав"), ("tea", "tea"), ("10905", "10905"),
])
def test_the_stemmer_takes_the_ending_and_leaves_three_letters(word, root):
    assert search.stem(word) == root


def test_search_words_hold_words_runs_stems_and_the_compact_sku():
    words = search.search_words("Молоко 2,5% М'ясне", "TE-500", "4820000000017").split()
    assert {"молоко", "молок", "2", "5", "мясне", "te", "500", "te500", "4820000000017"} <= set(words)
    assert len(words) == len(set(words))


def test_search_words_are_cut_to_their_column_at_a_word_boundary():
    name = " ".join(f"молоко{n}" for n in range(400))
    words = search.search_words(name, "ML-1", None)
    assert len(words) <= search.SEARCH_WORDS_LENGTH
    assert set(words.split()) <= set(name.split()) | {"молоко"} | {str(n) for n in range(400)}


def test_products_inserted_as_rows_are_found_after_reindex(db, make_product, price_types):
    category_id = make_product("Вода", sku="WA-1").category_id
    [product_id] = insert_returning_ids(db, Product, [{
        "sku": "JU-77", "sku_key": "ju77", "name": "Сік яблучний 1 л", "name_sort": "", "barcode": None,
        "unit": "шт", "pack_multiple": Decimal("1"), "vat_rate": Decimal("20.00"), "category_id": category_id,
        "is_active": True, "search_text": "", "search_words": "",
    }])

    def found(query: str) -> list[str]:
        return [row.sku for row in catalog_page(db, price_types["wholesale"].id, query=query).rows]

    assert found("яблучного") == []
    search.reindex(db, [product_id])
    assert found("яблучного") == ["JU-77"]
    assert db.scalar(select(Product.search_text).where(Product.id == product_id)) == "сік яблучний 1 л ju-77 ju77"
    db.execute(text("UPDATE product SET name = 'Сік грушевий 1 л' WHERE id = :id"), {"id": product_id})
    search.reindex(db, [product_id])
    assert found("яблучного") == [] and found("грушевого") == ["JU-77"]


def test_migration_0017_fills_the_index_for_existing_products_and_goes_back(app: Any, own_database: str) -> None:  # noqa: F811
    seed_customers(own_database, 1, Decimal("1"))
    config = alembic_config(own_database)
    command.downgrade(config, "0016")
    engine = make_engine(own_database)
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        assert "search_words" not in {c["name"] for c in inspect(conn).get_columns("product")}
        assert "product_fts" not in inspect(conn).get_table_names()

    command.upgrade(config, "head")
    with engine.begin() as conn:
        if postgres:
            hit = "SELECT sku FROM product WHERE search_vector @@ to_tsquery('simple', 'молок')"
        else:
            hit = "SELECT sku FROM product WHERE id IN (SELECT rowid FROM product_fts WHERE product_fts MATCH 'молок')"
        assert conn.scalars(text(hit)).all() == ["ML-6"]  # the stem of "Молоко 1 л", filled by the migration
        conn.execute(text("UPDATE product SET search_words = 'кефір' WHERE sku = 'ML-6'"))
        assert conn.scalars(text(hit.replace("молок", "кефір"))).all() == ["ML-6"]  # kept in step on writes

    command.downgrade(config, "0016")
    with engine.connect() as conn:
        assert not {"search_words", "search_vector"} & {c["name"] for c in inspect(conn).get_columns("product")}
        assert not [name for name in inspect(conn).get_table_names() if name.startswith("product_fts")]
        assert "ix_product_search_vector" not in {i["name"] for i in inspect(conn).get_indexes("product")}
    command.upgrade(config, "head")
    engine.dispose()


def test_similar_words_are_found_in_autocommit_as_the_catalog_view_runs(own_database: str) -> None:  # noqa: F811
    """The catalog view runs in autocommit on PostgreSQL (core.db.autocommit): the
    similarity threshold must outlive the statement that sets it."""
    engine = make_engine(own_database)
    if engine.dialect.name != "postgresql":
        engine.dispose()
        pytest.skip("pg_trgm's word similarity is PostgreSQL's")
    seed_customers(own_database, 1, Decimal("1"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        session = Session(bind=conn)
        hits = search.matching(session, "молоок")  # two letters swapped: no one-letter pattern finds it
        assert hits is not None
        found = session.scalars(select(Product.sku).where(hits.where)).all()
        session.close()
    engine.dispose()
    assert found == ["ML-6"]


def test_every_typo_pattern_is_answered_by_the_trigram_index_on_postgresql(db, make_product) -> None:
    """A four-letter word changed in the middle ("к_вв") holds no trigram: the trigram index
    cannot narrow it, and in the OR it made PostgreSQL compute the similarity of every
    product (0.7 s at 50,000 products). SQLite scans for typos in any case and keeps it."""
    make_product("Кава мелена", sku="CF-1")
    hits = search.matching(db, "кавв")  # no word begins so: typos and the text anywhere inside
    assert hits is not None and db.scalars(select(Product.sku).where(hits.where)).all() == ["CF-1"]
    compiled = str(hits.where.compile(dialect=db.get_bind().dialect, compile_kwargs={"literal_binds": True}))
    patterns = [p.replace("%%", "%") for p in re.findall(r"LIKE '([^']*)'", compiled)]  # psycopg doubles %
    trigram = [p for p in patterns if any(len(run) >= 3 for run in re.split(r"[%_]", p))]
    if db.get_bind().dialect.name == "postgresql":
        assert patterns == trigram and "%ка_в%" not in patterns and "%кав_%" in patterns
    else:
        assert "%ка_в%" in patterns


def test_search_pages_neither_skip_nor_repeat_a_product(db, make_product, price_types) -> None:
    """The page is chosen by the search's keys (the SKU typed first, rank, name) before it
    meets its prices: ties of rank are broken by name and id, the same on every page."""
    for n in range(23):
        make_product(f"Чай {'зелений' if n % 3 else 'зелений зелений'} {n:02d}", sku=f"TE-{n}")
    make_product("Чай зелений точний", sku="чай")

    def page(number: int) -> list[str]:
        return [row.sku for row in catalog_page(db, price_types["wholesale"].id, query="чай", page=number,
                                                page_size=10).rows]

    listed = page(1) + page(2) + page(3)
    assert listed[0] == "чай"  # the SKU typed exactly, whatever its rank or name
    assert sorted(listed) == sorted([f"TE-{n}" for n in range(23)] + ["чай"])
    assert page(4) == []


@pytest.mark.parametrize(("prefix", "next_up"), [
    ("мол", "мом"), ("a", "b"), ("z\U0010ffff", "{"), ("a\ud7ff", "a\ue000"),  # no surrogate: not storable
])
def test_prefix_end_bounds_exactly_the_strings_that_begin_with_the_prefix(prefix, next_up) -> None:
    """"Begins with" is asked as prefix <= name_sort < prefix_end(prefix), in code-point order."""
    end = search.prefix_end(prefix)
    assert end == next_up
    beginning = [prefix, prefix + "\x00", prefix + "я", prefix + "\U0010ffff" * 3]
    assert all(prefix <= name < end for name in beginning)
    just_before = prefix[:-1] + chr(ord(prefix[-1]) - 1) + "\U0010ffff"
    assert not [name for name in (prefix[:-1], just_before, end, end + "a") if prefix <= name < end]


def test_a_prefix_with_no_end_is_an_empty_range() -> None:
    """Nothing is put first (uk_sort_key writes no such prefix; the order stays by name)."""
    assert search.prefix_end("") == ""
    assert search.prefix_end("\U0010ffff\U0010ffff") == ""


def test_postgresql_connections_plan_no_parallel_workers(app: Any) -> None:
    """A catalog search at 50,000 products was planned as a parallel scan: three processes
    for one request among sixteen at once, 21 ms for a page the index answers in 0.5 ms."""
    engine = app.extensions["db_engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner setting")
    with engine.connect() as conn:
        assert conn.execute(text("SHOW max_parallel_workers_per_gather")).scalar() == "0"



def test_a_search_keeps_its_generic_plan_as_the_catalog_grows_on_postgresql(db, make_product, price_types) -> None:
    """A prepared search is planned once, whatever the words. Past a few thousand products
    a rare word's own estimate made its custom plan look cheaper than the generic one, and
    PostgreSQL planned every search anew: 0.3 ms a search at 50,000 products, more than
    executing it. The words reach the planner as a subselect's result, never as a value."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    category_id = make_product("Вода", sku="WA-1").category_id
    brands = [a + b + c for a in ("ба", "ве", "гро", "да") for b in ("ле", "мі", "но", "ра") for c in ("со", "ту")]
    products = []
    for n in range(4_000):
        name, sku = f"Печиво {brands[n % len(brands)]} {n}", f"PE-{n}"
        products.append({"sku": sku, "sku_key": sku.casefold(), "name": name, "name_sort": name.casefold(),
                         "barcode": None, "unit": "шт", "pack_multiple": Decimal("1"), "vat_rate": Decimal("20.00"),
                         "category_id": category_id, "is_active": True,
                         "search_text": search.product_search_text(name, sku, None),
                         "search_words": search.search_words(name, sku, None)})
    db.execute(insert(Product), products)
    db.execute(text("ANALYZE product"))
    for brand in brands:  # more than enough for psycopg to prepare it and PostgreSQL to choose
        assert catalog_page(db, price_types["wholesale"].id, query=brand, page_size=5).rows
    generic, custom = db.execute(text(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%search_vector @@%'"
    )).one()
    assert generic > 0 and custom <= 5  # PostgreSQL tries five custom plans before it compares
