"""Reasons written down by the system (why an order is on hold, why a payment waits for
a person), kept as a code with its parameters and told in the reader's language.

The row keeps the Ukrainian sentence too (records, exports and 1C read it as before);
pages show `reason_text`, which translates the code. A row written before codes existed,
or with a code nobody registered, shows its stored sentence.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import LazyString, force_locale

NBSP = "\u00a0"
# code -> (the lazily translated sentence with %(name)s parameters, the parameters that are money)
_SENTENCES: dict[str, tuple[LazyString, frozenset[str]]] = {}


def _money_uk(amount: Decimal) -> str:
    """12345.6 -> "12 345,60 грн", as the stored sentences always wrote money."""
    return f"{amount:,.2f}".replace(",", NBSP).replace(".", ",") + " грн"


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict[str, str] = field(default_factory=dict)

    @cached_property
    def text(self) -> str:
        """The Ukrainian sentence stored beside the code."""
        sentence, money = _SENTENCES[self.code]
        with force_locale("uk"):
            return str(sentence) % _formatted(self.params, money, _money_uk)


def register(code: str, sentence: LazyString, money: tuple[str, ...] = ()) -> None:
    """How a code reads; `money` names the parameters written as amounts of hryvnias."""
    _SENTENCES[code] = (sentence, frozenset(money))


def reason_text(code: str | None, params: Mapping[str, Any] | None, stored: str,
                money_format: Callable[[Decimal], str] = _money_uk) -> str:
    """The reason in the current language (amounts written by `money_format`), or the
    stored sentence when the code is unknown."""
    if not code or code not in _SENTENCES:
        return stored
    sentence, money = _SENTENCES[code]
    try:
        return str(sentence) % _formatted(params or {}, money, money_format)
    except (KeyError, ValueError, TypeError):
        return stored  # parameters of an older shape: the sentence written then is still right


def _formatted(params: Mapping[str, Any], money: frozenset[str], write: Callable[[Decimal], str]) -> dict[str, str]:
    out = {}
    for name, value in params.items():
        if name in money:
            try:
                value = write(Decimal(str(value)))
            except InvalidOperation:
                pass
        out[name] = str(value)
    return out
