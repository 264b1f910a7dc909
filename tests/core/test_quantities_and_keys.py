"""One reader of typed quantities and the stored keys of SKUs and names."""
from decimal import Decimal

import pytest

from core.errors import DomainError
from core.money import read_quantity
from core.textkeys import sku_key, uk_sort_key

UKRAINIAN_ORDER = ["Ананас", "Гречка", "Ґуава", "Єнот", "Іриски", "Їжак", "Йогурт", "Яблуко"]


@pytest.mark.parametrize(
    ("typed", "value"),
    [("0,5", "0.5"), ("0.5", "0.5"), (" 0,5 ", "0.5"), ("1 000", "1000"), ("1\u00a0000,25", "1000.25"), (",5", "0.5")],
)
def test_quantities_are_read_with_a_comma_or_a_dot_and_grouping_spaces(typed, value):
    assert read_quantity(typed) == Decimal(value)


@pytest.mark.parametrize("typed", ["abc", "-1", "0", "1e9", "1e2", "NaN", "Infinity", "", "0,0001", "100001", "1,2,3"])
def test_anything_else_is_refused_with_a_reason(typed):
    with pytest.raises(DomainError) as refused:
        read_quantity(typed)
    assert refused.value.message and refused.value.field == "quantity"


def test_zero_is_a_quantity_only_where_it_means_remove():
    assert read_quantity("0", allow_zero=True) == 0
    with pytest.raises(DomainError):
        read_quantity("-1", allow_zero=True)


def test_sku_keys_ignore_case_spaces_and_hyphens():
    assert {sku_key(s) for s in ("cf-10905", "CF10905", "cf 10905", "CF‑10905", " CF - 10905 ")} == {"cf10905"}


def test_ukrainian_names_sort_in_alphabet_order_ignoring_case_and_apostrophes():
    shuffled = ["Ґуава", "Гречка", "Іриски", "Їжак", "Йогурт", "Єнот", "Яблуко", "Ананас"]
    assert sorted(shuffled, key=uk_sort_key) == UKRAINIAN_ORDER
    assert sorted(["мука", "М'ясо", "мед"], key=uk_sort_key) == ["мед", "мука", "М'ясо"]
