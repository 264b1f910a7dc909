"""Reasons written down by the system (why an order is on hold, why a payment waits for
a person), kept as a code with its parameters and told in the reader's language.

The row keeps the Ukrainian sentence too (records, exports and 1C read it as before);
pages show `reason_text`, which translates the code. A row written before codes existed,
or with a code nobody registered, shows its stored sentence.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import LazyString, force_locale

from core.money import format_money, format_rate

# code -> (the lazily translated sentence with %(name)s parameters, the parameters that are
# money, those that are a percent's number)
_SENTENCES: dict[str, tuple[LazyString, frozenset[str], frozenset[str]]] = {}


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict[str, str] = field(default_factory=dict)

    @cached_property
    def text(self) -> str:
        """The Ukrainian sentence stored beside the code."""
        sentence, money, rates = _SENTENCES[self.code]
        with force_locale("uk"):
            return str(sentence) % _formatted(self.params, money, rates, "uk")


def register(code: str, sentence: LazyString, money: tuple[str, ...] = (), rates: tuple[str, ...] = ()) -> None:
    """How a code reads; `money` names the parameters written as amounts of hryvnias,
    `rates` those written as a percent's number ("2,5" in Ukrainian, "2.5" in English)."""
    _SENTENCES[code] = (sentence, frozenset(money), frozenset(rates))


def reason_text(code: str | None, params: Mapping[str, Any] | None, stored: str) -> str:
    """The reason in the reader's language, or the stored sentence when the code is unknown."""
    if not code or code not in _SENTENCES:
        return stored
    sentence, money, rates = _SENTENCES[code]
    try:
        return str(sentence) % _formatted(params or {}, money, rates, None)
    except (KeyError, ValueError, TypeError):
        return stored  # parameters of an older shape: the sentence written then is still right


def _formatted(params: Mapping[str, Any], money: frozenset[str], rates: frozenset[str],
               language: str | None) -> dict[str, str]:
    out = {}
    for name, value in params.items():
        if name in money or name in rates:
            try:
                value = (format_money if name in money else format_rate)(Decimal(str(value)), language)
            except InvalidOperation:
                pass
        out[name] = str(value)
    return out
