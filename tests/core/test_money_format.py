"""Amounts on every page read as Ukrainian invoices write them: "50 000,00 грн"."""
from decimal import Decimal

from flask import session

from core.money import format_money, format_quantity


def test_ukrainian_amounts_group_with_no_break_spaces_and_say_grn(ctx):
    assert format_money(Decimal("50000")) == "50\u00a0000,00\u00a0грн"
    assert format_money(Decimal("1234567.5")) == "1\u00a0234\u00a0567,50\u00a0грн"
    assert format_money(Decimal("-10.00")) == "-10,00\u00a0грн"
    assert format_money(Decimal("0")) == "0,00\u00a0грн"
    assert format_money(None) == "—"


def test_documents_write_the_bare_number_and_messages_plain_spaces():
    assert format_money(Decimal("12345.6"), "uk", currency=False) == "12\u00a0345,60"
    assert format_money(Decimal("1234567.891"), "uk", currency=False) == "1\u00a0234\u00a0567,89"
    assert format_money(Decimal("-1500"), "uk", currency=False) == "-1\u00a0500,00"
    assert format_money(Decimal("12480.5"), "uk", space=" ") == "12 480,50 грн"
    assert format_money("12480.5", "en", space=" ") == "UAH 12,480.50"  # an English SMS stays in the GSM alphabet


def test_quantities_drop_the_zeros_of_their_grams():
    assert format_quantity(Decimal("12.500")) == "12,5"
    assert format_quantity(Decimal("100.000")) == "100"
    assert format_quantity(Decimal("0.125")) == "0,125"
    assert format_quantity(None) == ""


def test_half_a_kopiyka_rounds_up_as_accounting_does(ctx):
    assert format_money(Decimal("0.125")) == "0,13\u00a0грн"  # Decimal's own format would give 0,12


def test_english_amounts_are_uah_with_english_separators(app, db):
    with app.test_request_context():
        session["lang"] = "en"
        assert format_money(Decimal("50000")) == "UAH\u00a050,000.00"


def test_pages_show_the_new_form_and_no_hryvnia_sign(logged_in, make_product):
    make_product("Кава зернова Арабіка 1 кг", sku="CF-FMT", prices={"wholesale": "12455.50", "retail": "13000"})
    html = logged_in.get("/", query_string={"q": "CF-FMT"}).get_data(as_text=True)
    assert "12\u00a0455,50\u00a0грн" in html and "₴" not in html and "\u202f" not in html
