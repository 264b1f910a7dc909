"""Ukrainian tax identifiers: ЄДРПОУ (legal entities, 8 digits) and РНОКПП (people, 10 digits)."""
from __future__ import annotations


def _weighted(digits: list[int], weights: list[int]) -> int:
    return sum(d * w for d, w in zip(digits, weights))


def edrpou_is_valid(code: str) -> bool:
    if len(code) != 8 or not code.isdigit():
        return False
    digits = [int(c) for c in code]
    number = int(code)
    weights = [1, 2, 3, 4, 5, 6, 7] if number < 30_000_000 or number > 60_000_000 else [7, 1, 2, 3, 4, 5, 6]
    check = _weighted(digits[:7], weights) % 11
    if check == 10:
        check = _weighted(digits[:7], [w + 2 for w in weights]) % 11
        if check == 10:
            check = 0
    return check == digits[7]


RNOKPP_WEIGHTS = [-1, 5, 7, 9, 4, 6, 10, 5, 7]


def rnokpp_is_valid(code: str) -> bool:
    if len(code) != 10 or not code.isdigit():
        return False
    digits = [int(c) for c in code]
    return _weighted(digits[:9], RNOKPP_WEIGHTS) % 11 % 10 == digits[9]


def edrpou_check_digit(first_seven: str) -> int:
    """The check digit that makes `first_seven` a valid ЄДРПОУ (used by demo data)."""
    for digit in range(10):
        if edrpou_is_valid(first_seven + str(digit)):
            return digit
    raise ValueError(f"no check digit completes {first_seven}")


def rnokpp_check_digit(first_nine: str) -> int:
    return _weighted([int(c) for c in first_nine], RNOKPP_WEIGHTS) % 11 % 10
