"""A hryvnia amount in words, as Ukrainian invoices and acts print "сума прописом".

The hryvnias are spelled out, the kopecks stay as two digits: "Одна тисяча двісті тридцять
чотири гривні 56 копійок". Grammatical gender matters: гривня and тисяча are feminine
(одна, дві), мільйон and мільярд masculine (один, два).
"""
from __future__ import annotations

from decimal import Decimal

from core.money import money

_UNITS_MASCULINE = ("", "один", "два", "три", "чотири", "п'ять", "шість", "сім", "вісім", "дев'ять")
_UNITS_FEMININE = ("", "одна", "дві") + _UNITS_MASCULINE[3:]
_TEENS = (
    "десять", "одинадцять", "дванадцять", "тринадцять", "чотирнадцять",
    "п'ятнадцять", "шістнадцять", "сімнадцять", "вісімнадцять", "дев'ятнадцять",
)
_TENS = ("", "", "двадцять", "тридцять", "сорок", "п'ятдесят", "шістдесят", "сімдесят", "вісімдесят", "дев'яносто")
_HUNDREDS = ("", "сто", "двісті", "триста", "чотириста", "п'ятсот", "шістсот", "сімсот", "вісімсот", "дев'ятсот")

# (forms for 1 / 2-4 / 5-20, feminine?) from the largest group down; the last is the currency itself.
_GROUPS = (
    (("мільярд", "мільярди", "мільярдів"), False),
    (("мільйон", "мільйони", "мільйонів"), False),
    (("тисяча", "тисячі", "тисяч"), True),
    (("гривня", "гривні", "гривень"), True),
)
_KOPECKS = ("копійка", "копійки", "копійок")
_LIMIT = 1000 ** len(_GROUPS)


def plural_uk(n: int, forms: tuple[str, str, str]) -> str:
    """Pick the noun form for n: 1, 21, 101 -> one; 2-4, 22-24 -> few; 0, 5-20, 11-14 -> many."""
    n = abs(n)
    if 11 <= n % 100 <= 14:
        return forms[2]
    if n % 10 == 1:
        return forms[0]
    if 2 <= n % 10 <= 4:
        return forms[1]
    return forms[2]


def _triad_words(n: int, feminine: bool) -> list[str]:
    words = [_HUNDREDS[n // 100]]
    rest = n % 100
    if 10 <= rest <= 19:
        words.append(_TEENS[rest - 10])
    else:
        units = _UNITS_FEMININE if feminine else _UNITS_MASCULINE
        words += [_TENS[rest // 10], units[rest % 10]]
    return [w for w in words if w]


def amount_in_words_uk(amount: Decimal) -> str:
    """Decimal("1234.56") -> "Одна тисяча двісті тридцять чотири гривні 56 копійок".

    Rounded half up to kopecks first. Negative amounts are refused: a document states a debt's
    direction in its own words and passes the absolute value here.
    """
    value = money(amount)
    if value < 0:
        raise ValueError(f"amount in words needs a non-negative amount, got {value}")
    hryvnias = int(value)
    kopecks = int((value - hryvnias) * 100)
    if hryvnias >= _LIMIT:
        raise ValueError(f"amount too large to spell: {value}")

    words: list[str] = []
    for index, (forms, feminine) in enumerate(_GROUPS):
        scale = 1000 ** (len(_GROUPS) - 1 - index)
        triad = hryvnias // scale % 1000
        if triad:
            words += _triad_words(triad, feminine)
        # The currency noun always closes the phrase: "Один мільйон гривень".
        if triad or scale == 1:
            words.append(plural_uk(triad, forms))
    if hryvnias == 0:
        words.insert(0, "нуль")

    text = " ".join(words)
    return f"{text[0].upper()}{text[1:]} {kopecks:02d} {plural_uk(kopecks, _KOPECKS)}"
