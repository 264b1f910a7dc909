"""Identifiers that pass the same checks as real ones: ЄДРПОУ, РНОКПП, EAN-13, Ukrainian mobiles."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date
from random import Random

from core.ids import edrpou_check_digit, rnokpp_check_digit

MOBILE_PREFIXES = ("50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99")
# Where a product's maker registered its barcode: mostly Ukraine, then the usual importers.
BARCODE_COUNTRIES = ("482", "482", "482", "482", "400", "800", "590", "540")
RNOKPP_EPOCH = date(1899, 12, 31)  # the first five digits count days from here to the birth date


class Unique:
    """Draws values until one was not seen before: identifiers must never repeat."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def reserve(self, value: str) -> str:
        self._seen.add(value)
        return value

    def try_reserve(self, value: str) -> bool:
        if value in self._seen:
            return False
        self._seen.add(value)
        return True

    def draw(self, make: Callable[[], str]) -> str:
        while True:
            value = make()
            if self.try_reserve(value):
                return value

    def first_free(self, candidates: Iterable[str]) -> str:
        """The first candidate not taken yet: "olena@x.demo", then "olena2@x.demo", ..."""
        return self.reserve(next(value for value in candidates if value not in self._seen))


def edrpou(rng: Random) -> str:
    # Companies registered in the last decades carry codes in the 30-45 million range.
    first_seven = str(rng.randint(3_000_000, 4_599_999))
    return first_seven + str(edrpou_check_digit(first_seven))


def rnokpp(rng: Random, *, female: bool) -> str:
    """A sole proprietor's tax number: birth date, serial, sex (even for women), check digit."""
    born = date(rng.randint(1965, 2001), rng.randint(1, 12), rng.randint(1, 28))
    sex_digit = rng.choice("02468" if female else "13579")
    first_nine = f"{(born - RNOKPP_EPOCH).days:05d}{rng.randint(0, 999):03d}{sex_digit}"
    return first_nine + str(rnokpp_check_digit(first_nine))


def ean13(rng: Random) -> str:
    body = rng.choice(BARCODE_COUNTRIES) + f"{rng.randint(0, 999_999_999):09d}"
    weighted = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str(-weighted % 10)


def mobile_phone(rng: Random) -> str:
    return f"+380{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 9_999_999):07d}"


def onec_guid(rng: Random) -> str:
    """The GUID 1C gives every catalog object."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
