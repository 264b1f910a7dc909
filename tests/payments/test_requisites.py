"""Requisites checked by python-stdnum: our own at startup, a payer's code on a statement;
and the card acquirer named by the settings."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.app import create_app
from core.config import ConfigError
from core.ids import iban_is_valid
from payments.bank.importer import import_statement
from payments.bank.samples import build_1c_statement, iban
from payments.models import Payment
from payments.settings import PaymentsSettings
from tests.config import TestConfig

OURS = iban("300465", "26002012345678")


def test_the_default_supplier_iban_passes_its_checksum():
    assert iban_is_valid(PaymentsSettings.SUPPLIER_IBAN)


@pytest.mark.parametrize("setting, value", [
    ("SUPPLIER_IBAN", "UA213052990000026007233566001"),  # the old default: check digits fail
    ("SUPPLIER_IBAN", "not an iban"),
    ("OUR_IBANS", f"{PaymentsSettings.SUPPLIER_IBAN}, UA00300465000002600201234567"),
    ("SUPPLIER_TAX_ID", "43210988"),
    ("CARD_ACQUIRER", "stripe"),  # no such acquirer: every card payment would fail
    ("CARD_ACQUIRER", ""),
])
def test_the_app_refuses_to_start_with_a_broken_requisite(setting, value):
    broken = type("Broken", (TestConfig,), {setting: value})
    with pytest.raises(ConfigError) as refused:
        create_app(broken)
    assert setting in str(refused.value) and repr(value.split(", ")[-1]) in str(refused.value)


def test_a_russian_inn_on_a_statement_names_no_payer(db, ctx, make_company):
    """Ten digits are not a РНОКПП: 7707083893 (a Russian ИНН) is kept out of the payer's code."""
    document = {"number": "501", "date": date(2026, 11, 20), "amount": Decimal("10.00"),
                "payer_name": "ПАО «Сбербанк»", "payer_tax_id": "7707083893",
                "payer_account": iban("305299", "26001055500001"), "purpose": "Оплата"}
    import_statement(db, build_1c_statement([document], OURS), "statement.txt", None)
    payment = db.query(Payment).filter(Payment.details["doc_number"].as_string() == "501").one()
    assert payment.payer_tax_id == "" and payment.company_id is None and payment.needs_review
