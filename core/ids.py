"""Requisites: ЄДРПОУ (legal entities, 8 digits), РНОКПП (people, 10 digits) and IBANs.

The checks are python-stdnum's, a maintained library, not our own arithmetic. The
codes are taken exactly as stored: stdnum would also read " 1234 5678" by dropping
the spaces and "１２３４５６７８" by folding full-width digits, but neither is what we store.
"""
from __future__ import annotations

from stdnum import iban
from stdnum.ua import edrpou, rntrc


def edrpou_is_valid(code: str) -> bool:
    return len(code) == 8 and code.isascii() and edrpou.is_valid(code)


def rnokpp_is_valid(code: str) -> bool:
    """Ten digits alone prove nothing: a Russian ИНН (7707083893) has them too, so the
    check digit decides."""
    return len(code) == 10 and code.isascii() and rntrc.is_valid(code)


def tax_id_is_valid(code: str) -> bool:
    """An ЄДРПОУ or a РНОКПП, as a payer's code on a bank statement may be either."""
    return edrpou_is_valid(code) or rnokpp_is_valid(code)


def edrpou_check_digit(first_seven: str) -> int:
    """The check digit that makes `first_seven` a valid ЄДРПОУ (demo data, test fixtures)."""
    return int(edrpou.calc_check_digit(first_seven))


def rnokpp_check_digit(first_nine: str) -> int:
    return int(rntrc.calc_check_digit(first_nine))


def compact_iban(value: str) -> str:
    """The IBAN as stored and compared: no spaces, upper case ("UA21 3052 ..." -> "UA213052...")."""
    return iban.compact(value)


def iban_is_valid(value: str) -> bool:
    """Check digits and the country's format (Ukraine: 29 characters, МФО then the account)."""
    return iban.is_valid(value)


def iban_list(text: str) -> list[str]:
    """Comma-separated IBANs (a setting) as compact IBANs; blanks are skipped."""
    return [compact_iban(part) for part in text.split(",") if part.strip()]
