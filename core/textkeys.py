"""Folded forms of names and codes, computed in Python on write and stored beside them.

Both databases then compare plain strings: SQLite's lower() knows only ASCII, and
neither SQLite nor PostgreSQL's C collation knows the Ukrainian alphabet.
"""
from __future__ import annotations

import re

from sqlalchemy import String
from sqlalchemy.types import TypeEngine

# Hyphens and dashes of every kind, and spaces: "cf 10905", "CF10905" and "CF‑10905" are one SKU.
_SKU_NOISE = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


def sku_key(sku: str) -> str:
    return _SKU_NOISE.sub("", sku).casefold()


# The Ukrainian alphabet in its order, with the Russian-only letters next to their
# neighbours so that names written in Russian still sort sensibly.
_ALPHABET = "абвгґдеёєжзиыіїйклмнопрстуфхцчшщъьэюя"
# Private-use code points keep the order and sort after digits and Latin, as in a dictionary.
_SORTABLE = str.maketrans({letter: chr(0xE000 + index) for index, letter in enumerate(_ALPHABET)})
# The apostrophe and quotes do not count in Ukrainian order ("м'ясо" sorts as "мясо").
_IGNORED = str.maketrans("", "", "'’ʼ`\"«»„“”")


def uk_sort_key(name: str) -> str:
    """A string whose code-point order is Ukrainian alphabetical order (case-insensitive)."""
    return name.casefold().translate(_IGNORED).translate(_SORTABLE)


def sort_key_column(length: int) -> TypeEngine[str]:
    """The column type for a uk_sort_key: compared byte by byte on PostgreSQL whatever the
    database's collation (a uk_UA or ICU collation would reorder the private-use letters)."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")
