import pytest

from core.ids import edrpou_check_digit, edrpou_is_valid, rnokpp_check_digit, rnokpp_is_valid


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
