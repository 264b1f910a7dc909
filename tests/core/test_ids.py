import pytest

from core.ids import (
    compact_iban,
    edrpou_check_digit,
    edrpou_is_valid,
    iban_is_valid,
    iban_list,
    rnokpp_check_digit,
    rnokpp_is_valid,
)


@pytest.mark.parametrize("code", ["00032129", "14360570", "32855961", "40075815"])
def test_real_edrpou_codes_are_valid(code):
    assert edrpou_is_valid(code)


@pytest.mark.parametrize("code", ["00032128", "1436057", "143605700", "1436057O", "", "abcdefgh"])
def test_broken_edrpou_codes_are_invalid(code):
    assert not edrpou_is_valid(code)


def test_both_weight_sets_and_the_second_pass_are_exercised():
    # codes between 30,000,000 and 60,000,000 use the shifted weights
    for first in ("3285596", "1436057", "4007581", "0003212"):
        assert edrpou_is_valid(first + str(edrpou_check_digit(first)))
        assert not edrpou_is_valid(first + str((edrpou_check_digit(first) + 1) % 10))


@pytest.mark.parametrize("first", ["300000001", "123456789", "287641095"])
def test_rnokpp_check_digit(first):
    good = first + str(rnokpp_check_digit(first))
    assert rnokpp_is_valid(good)
    assert not rnokpp_is_valid(first + str((int(good[-1]) + 1) % 10))


@pytest.mark.parametrize("code", ["", "123", "12345678901", "12345678a0"])
def test_malformed_rnokpp(code):
    assert not rnokpp_is_valid(code)


def test_a_russian_inn_is_not_a_rnokpp():
    # 7707083893 is a valid Russian ИНН of a legal entity (Сбербанк): ten digits, wrong check digit for us.
    assert not rnokpp_is_valid("7707083893")


@pytest.mark.parametrize("code", ["４３２１０９８９", "4321098⁹", "4321 0989", " 43210989"])
def test_only_ascii_digits_as_stored_make_an_edrpou(code):
    # str.isdigit() takes full-width and superscript digits; the library does not.
    assert not edrpou_is_valid(code)


@pytest.mark.parametrize("code", ["１７５９０１３７７６", "175901377⁶"])
def test_only_ascii_digits_make_a_rnokpp(code):
    assert not rnokpp_is_valid(code)


def test_ibans():
    assert iban_is_valid("UA743052990000026007233566001")
    assert iban_is_valid("UA74 3052 9900 0002 6007 2335 6600 1")
    assert compact_iban("ua74 3052 9900 0002 6007 2335 6600 1") == "UA743052990000026007233566001"
    assert not iban_is_valid("UA213052990000026007233566001")  # the old default: its check digits fail
    assert not iban_is_valid("UA74305299000002600723356600")  # one character short
    assert iban_list(" UA743052990000026007233566001 , ,DE89 3704 0044 0532 0130 00") == [
        "UA743052990000026007233566001", "DE89370400440532013000"]
