"""Catalog search on each database's own text search: PostgreSQL full text over a GIN
index (pg_trgm for typos and partial codes), SQLite FTS5 (a bounded LIKE for typos).

Every product keeps two folded texts, computed in Python on each write so both databases
see the same words: `search_text` (name, SKU, its key and barcode, case-folded: what
LIKE and trigram similarity read) and `search_words` (the words themselves, letters and
digits apart, and the stems of Ukrainian and Russian words: what full text reads). A query
goes through the same steps, so "молока" finds "Молоко" and "10905" finds "CF-10905".
"""
from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import String, and_, bindparam, case, column, func, literal, literal_column, or_, select, table, update
from sqlalchemy.orm import Session

from core.catalog.models import Product
from core.textkeys import sku_key, uk_sort_key

SEARCH_TEXT_LENGTH = 400  # Product.search_text
SEARCH_WORDS_LENGTH = 1000  # Product.search_words
# A pasted paragraph is cut, not refused: the first words of it still search.
MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
# Typo variants are tried for words of this size only: a shorter word with a letter
# changed is another word, a longer one is a pasted code, not a typed word.
TYPO_LENGTHS = range(4, 21)
# pg_trgm's word similarity a typo must reach ("цукар" to "цукор" is 0.5).
TYPO_SIMILARITY = 0.5
REINDEX_BATCH = 1000

# What migration 0017 makes beside the models, for one database only: on SQLite the FTS5
# table over product.search_words; on PostgreSQL a stored tsvector of it and its GIN index.
FTS_TABLE = "product_fts"
PG_VECTOR = "search_vector"
PG_INDEX = "ix_product_search_vector"

_WORD = re.compile(r"[^\W_]+")
_LETTERS_OR_DIGITS = re.compile(r"\d+|[^\W\d_]+")
_CYRILLIC_WORD = re.compile(r"[а-яєіїґё]+")
# Apostrophes go ("м'ясо" is typed "мясо" as often), ё is typed е.
_NORMAL = str.maketrans({"'": None, "’": None, "ʼ": None, "`": None, "ё": "е"})

# Inflectional endings of Ukrainian and Russian nouns and adjectives. PostgreSQL ships
# no Ukrainian stemmer and its Russian one is not on SQLite, so one small stripper serves
# both databases and both languages: the longest ending that leaves three letters goes.
_ENDINGS = sorted(
    {
        # adjectives (uk, ru)
        "ого", "ому", "ими", "ій", "ий", "ої", "ою", "их", "им", "ім", "а", "е", "і",
        "ый", "ой", "ая", "яя", "ое", "ее", "ые", "ие", "ую", "юю", "ей", "ым", "ых", "его", "ему",
        # nouns (uk, ru)
        "ами", "ями", "ах", "ях", "ам", "ям", "ом", "ем", "ов", "ев", "ові", "еві", "єю", "ею", "ів",
        "у", "ю", "я", "о", "и", "ї", "ь", "й", "ы",
    },
    key=len,
    reverse=True,
)
_MIN_STEM = 3


def normal(text: str) -> str:
    return text.casefold().translate(_NORMAL)


def stem(word: str) -> str:
    """The word without its inflectional ending ("молока", "молоком" → "молок")."""
    if not _CYRILLIC_WORD.fullmatch(word):
        return word
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: -len(ending)]
    return word


def compact(code: str) -> str:
    """A code's letters and digits together: "CF-10905", "cf 10905" and "CF/10905" meet."""
    return "".join(_WORD.findall(normal(code)))


def search_key(*parts: str | None) -> str:
    return " ".join(p for p in parts if p).casefold()


def product_search_text(name: str, sku: str, barcode: str | None) -> str:
    """What LIKE and trigram similarity match against; the SKU's key lets "cf10905" find "CF-10905"."""
    key = sku_key(sku)
    # Cut to the column's size: only a 300-character name with the longest SKU gets there.
    return search_key(name, sku, barcode, key if key != sku.casefold() else None)[:SEARCH_TEXT_LENGTH]


def search_words(name: str, sku: str, barcode: str | None) -> str:
    """The words full text indexes: each word, its letter and digit runs, its stem, the SKU's compact form."""
    words: dict[str, None] = {}
    for word in _WORD.findall(normal(search_key(name, sku, barcode))):
        words[word] = None
        for part in _LETTERS_OR_DIGITS.findall(word):
            words[part] = None
        words[stem(word)] = None
    words[compact(sku)] = None
    text = " ".join(w for w in words if w)
    return text if len(text) <= SEARCH_WORDS_LENGTH else text[:SEARCH_WORDS_LENGTH].rsplit(" ", 1)[0]


def refresh_search_text(product: Product) -> None:
    """Keep an ORM product's search texts in step with its name, SKU and barcode."""
    product.search_text = product_search_text(product.name, product.sku, product.barcode)
    product.search_words = search_words(product.name, product.sku, product.barcode)


def reindex(session: Session, product_ids: Iterable[int]) -> None:
    """Recompute the search texts of products written by rows, not objects (an import, a bulk insert).

    The database's own index follows the column: PostgreSQL's generated tsvector and, on
    SQLite, the FTS5 table's triggers."""
    ids = iter(sorted(set(product_ids)))
    while batch := list(islice(ids, REINDEX_BATCH)):
        rows = session.execute(
            select(Product.id, Product.name, Product.sku, Product.barcode).where(Product.id.in_(batch))
        ).all()
        if rows:
            session.execute(update(Product), [
                {"id": row.id, "search_text": product_search_text(row.name, row.sku, row.barcode),
                 "search_words": search_words(row.name, row.sku, row.barcode)}
                for row in rows
            ])


@dataclass(frozen=True)
class Term:
    """One typed word: every part of it must occur as a word's beginning or as a stem,
    or the whole of it as a compact code ("te-500" finds "TE500")."""

    parts: tuple[str, ...]
    code: str


def typed(query: str) -> list[str]:
    """The query's words as typed (case-folded), bounded in length and number."""
    return query[:MAX_QUERY_LENGTH].casefold().split()[:MAX_TERMS]


def parse(query: str) -> list[Term]:
    found = []
    for raw in typed(normal(query)):
        parts = tuple(_WORD.findall(raw))
        if parts:
            found.append(Term(parts, "".join(parts)))
    return found


def _match_text(query: list[Term], *, all_of: str, any_of: str, prefix: str, exact: str) -> str:
    """One query text for either database's full-text syntax, built from letters and digits
    only: each part of a typed word as a word's beginning or as its stem, a word of several
    parts also as a compact code ("te-500" finds "TE500"), every typed word required."""

    def part(word: str) -> str:
        root = stem(word)
        begins = prefix.format(word)
        return begins if root == word else f"({begins} {any_of} {exact.format(root)})"

    def term(t: Term) -> str:
        words = f" {all_of} ".join(part(p) for p in t.parts)
        return f"({words})" if len(t.parts) == 1 else f"(({words}) {any_of} {prefix.format(t.code)})"

    return f" {all_of} ".join(term(t) for t in query)


def _tsquery(query: list[Term]) -> str:
    return _match_text(query, all_of="&", any_of="|", prefix="{}:*", exact="{}")


def _fts5_query(query: list[Term]) -> str:
    """Every word is a quoted string, so NEAR, AND, * or ( typed are only text."""
    return _match_text(query, all_of="AND", any_of="OR", prefix='"{}"*', exact='"{}"')


@dataclass(frozen=True)
class Hits:
    """What a query finds: a condition on Product (the listing keeps its own filters)
    and the keys to list it by, each ascending, before the name."""

    where: Any
    order_by: tuple[Any, ...]


def _full_text(dialect: str, match: Any) -> Any:
    """The condition of full text for `match`, the database's own query text (engine_query).

    On PostgreSQL the query is a subselect, so the planner never sees the words: every
    search has the same plan (the GIN bitmap, the page's top-N, then its prices), and a
    prepared statement keeps its generic plan. Seen as a value, a rare word's estimate made
    each custom plan look cheaper than the generic one, and past a few thousand products
    PostgreSQL planned every search anew: 0.3 ms a search, more than executing it."""
    if dialect == "postgresql":
        return literal_column(f"{Product.__tablename__}.{PG_VECTOR}").op("@@")(
            select(func.to_tsquery(literal_column("'simple'"), match)).scalar_subquery())
    fts = table(FTS_TABLE, column("rowid"))
    return Product.id.in_(select(fts.c.rowid).where(literal_column(FTS_TABLE).op("MATCH")(match)))


def engine_query(dialect: str, terms: list[Term]) -> str:
    return _tsquery(terms) if dialect == "postgresql" else _fts5_query(terms)


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _word_occurs(term: str) -> Any:
    """The typed text occurs in the search text; a typed "cf-10905" also finds the SKU "CF10905"."""
    variants = {term, sku_key(term)} - {""}
    conditions = [Product.search_text.like(f"%{_like_escape(v)}%", escape="\\") for v in sorted(variants)]
    return conditions[0] if len(conditions) == 1 else or_(*conditions)


def _typo(session: Session, term: str) -> Any:
    """One letter changed ("малоко" is like "м_локо"), on both databases; on PostgreSQL
    also pg_trgm's word similarity, which forgives a letter missing, added or swapped.

    On PostgreSQL each is answered by the trigram index on search_text, so a pattern is
    kept only when a side of the changed letter holds three letters (a trigram): "к_ва"
    has none and made the whole OR a scan computing the similarity of every product, 0.7 s
    at 50,000. Similarity still forgives such a word when it is alike enough. SQLite scans,
    but only when full text found nothing, and TYPO_LENGTHS bounds the patterns."""
    if len(term) not in TYPO_LENGTHS:
        return None
    postgres = session.get_bind().dialect.name == "postgresql"
    sides = ((term[:i], term[i + 1:]) for i in range(len(term)))
    conditions = [
        Product.search_text.like(f"%{_like_escape(before)}_{_like_escape(after)}%", escape="\\")
        for before, after in sides
        if not postgres or max(len(before), len(after)) >= 3
    ]
    if postgres:
        conditions.append(literal(term).op("<%")(Product.search_text))
    return or_(*conditions)


def _near_misses(session: Session, query: str) -> tuple[Any, Any | None]:
    """When full text finds nothing: the text anywhere inside (a partial code, "0905"), or a typo."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        # For the connection, not the transaction: the catalog view runs in autocommit
        # (core.db.autocommit), where a local setting would end with this very statement.
        # Nothing else here uses the operator, and every use wants this threshold.
        session.execute(select(func.set_config("pg_trgm.word_similarity_threshold", str(TYPO_SIMILARITY), False)))
    conditions = []
    for term in typed(query):
        typo = _typo(session, term)
        conditions.append(_word_occurs(term) if typo is None else or_(_word_occurs(term), typo))
    rank = func.word_similarity(" ".join(typed(query)), Product.search_text) if postgres else None
    return and_(*conditions), rank


def matching(session: Session, query: str) -> Hits | None:
    """What the query finds; None when there is nothing to search for (an empty query).
    Full text, or when it finds nothing at all the near misses (a statement to know which)."""
    if not typed(query):
        return None
    hits = full_text(session, query)
    if hits is None or session.scalar(select(Product.id).where(hits.where).limit(1)) is None:
        hits = near_misses(session, query)
    return hits


def full_text(session: Session, query: str) -> Hits | None:
    """The database's full text; None when the query holds no letters or digits to look for."""
    dialect = session.get_bind().dialect.name
    values = bound_values(dialect, query)
    if values is None:
        return None
    return _full_text_hits(dialect, lambda name: literal(values[name]))


# The names of the values a statement made of bound_full_text takes (bound_values).
MATCH, TYPED, TYPED_KEY = "search_match", "search_typed", "search_typed_key"
BEGINS, BEGINS_END = "search_begins", "search_begins_end"


def bound_full_text(dialect: str) -> Hits:
    """Full text with the query as bound values: a statement made of it is built once and
    serves every search (building one took a millisecond a request)."""
    return _full_text_hits(dialect, lambda name: bindparam(name, type_=String))


def _full_text_hits(dialect: str, value: Callable[[str], Any]) -> Hits:
    """Full text's matches, the exact SKU or barcode first, then the names that begin with
    the first word typed, then the rest by name.

    Not by the database's rank: for a product's few words ts_rank and bm25 tell little
    apart, and on PostgreSQL a prepared statement's generic plan parsed the query again for
    every match it ranked (a common word at 50,000 products: 2.5 ms a search, not 1.1).
    One key of plain comparisons, as every match is keyed before the page is chosen."""
    return Hits(_full_text(dialect, value(MATCH)),
                (case((_exact(value(TYPED), value(TYPED_KEY)), 0),
                      (and_(Product.name_sort >= value(BEGINS), Product.name_sort < value(BEGINS_END)), 1),
                      else_=2),))


def bound_values(dialect: str, query: str) -> dict[str, str] | None:
    """What bound_full_text takes for this query; None when it holds no letters or digits."""
    terms = parse(query)
    if not terms:
        return None
    typed_text = query.strip()[:MAX_QUERY_LENGTH]
    begins = uk_sort_key(stem(terms[0].parts[0]))
    return {MATCH: engine_query(dialect, terms), TYPED: typed_text, TYPED_KEY: sku_key(typed_text),
            BEGINS: begins, BEGINS_END: prefix_end(begins)}


def prefix_end(prefix: str) -> str:
    """The least string after every string that begins with `prefix`, in code-point order
    (PostgreSQL's "C" collation of name_sort, SQLite's binary one): "begins with" as a range
    of two comparisons. '' where no string bounds them (an empty prefix, or one of only the
    last code point): the range is then empty, and nothing is put first."""
    head = prefix.rstrip(chr(sys.maxunicode))
    if not head:
        return ""
    after = ord(head[-1]) + 1
    return head[:-1] + chr(0xE000 if 0xD800 <= after < 0xE000 else after)  # past the surrogates


def near_misses(session: Session, query: str) -> Hits:
    """For when full text finds nothing: the text anywhere inside, or a typo."""
    where, rank = _near_misses(session, query)
    typed_text = query.strip()[:MAX_QUERY_LENGTH]
    keys = (exact_first(literal(typed_text), literal(sku_key(typed_text))),)
    return Hits(where, keys + (() if rank is None else (-rank,)))


def exact_first(typed_text: Any, typed_key: Any) -> Any:
    """0 for the product whose SKU or barcode is exactly what was typed, 1 for the rest."""
    return case((_exact(typed_text, typed_key), 0), else_=1)


def _exact(typed_text: Any, typed_key: Any) -> Any:
    """The SKU's key is the typed text's (an SKU typed exactly has its key too), or the
    barcode is the typed text."""
    return or_(Product.sku_key == typed_key, Product.barcode == typed_text)


def in_models(name: str | None, type_: str, _parents: dict[str, Any]) -> bool:
    """False for the search objects only the migration makes (alembic's include_name), so
    comparing the schema with the models neither misses nor drops them."""
    if type_ == "table":
        return not (name or "").startswith(FTS_TABLE)
    return not (type_ == "index" and name == PG_INDEX or type_ == "column" and name == PG_VECTOR)
