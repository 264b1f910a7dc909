"""The fields a contract template may use: the one list the upload check and the generator share.

A lawyer writes `{{ company_name }}` in Word; the upload is refused when it names anything
that is not here, so a typo is found when the template arrives, not when a contract comes
out with a blank. Every value reaches the template already written as the paper wants it
(dates as 07.12.2026, money as "100 000,00 грн" and in words), so a template needs no
formatting logic; the few flags and codes are there for `{% if %}`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from core.money import format_money
from core.money_words import amount_in_words_uk

# How payment terms are told in a template's `{% if payment_terms_kind == "deferred" %}`.
PAYMENT_TERMS_KINDS = ("prepayment", "deferred", "advance")


@dataclass(frozen=True)
class ContractFields:
    # the contract itself
    contract_number: str
    contract_date: date
    # the customer, from the company card
    company_name: str
    company_tax_id: str  # ЄДРПОУ (8 digits) or, for a ФОП, РНОКПП (10 digits)
    company_legal_address: str
    company_iban: str
    company_bank: str
    company_email: str
    company_phone: str
    signer_name: str
    signer_position: str
    signing_basis: str  # "Статуту", "Виписки з ЄДР", "довіреності № 5 від 01.02.2026"
    # the commercial terms
    payment_terms_kind: str  # one of PAYMENT_TERMS_KINDS
    payment_terms: str  # the terms in words, as the company card shows them
    deferral_days: int
    advance_percent: int
    credit_limit: Decimal
    price_type: str
    # who looks after the customer
    manager_name: str
    manager_phone: str
    manager_email: str
    # the supplier (the distributor itself), from the settings
    supplier_name: str
    supplier_tax_id: str
    supplier_legal_address: str
    supplier_iban: str
    supplier_bank: str
    supplier_signer_name: str
    supplier_signer_position: str
    supplier_signing_basis: str

    def __post_init__(self) -> None:
        if self.payment_terms_kind not in PAYMENT_TERMS_KINDS:
            raise ValueError(f"payment_terms_kind must be one of {PAYMENT_TERMS_KINDS}, not {self.payment_terms_kind!r}")
        if isinstance(self.credit_limit, float):
            raise TypeError("credit_limit must be Decimal")

    @property
    def company_is_sole_proprietor(self) -> bool:
        return len(self.company_tax_id) == 10

    def context(self) -> dict[str, Any]:
        """What the template sees: every field written for paper, plus the derived ones."""
        values: dict[str, Any] = asdict(self)
        values["contract_date"] = self.contract_date.strftime("%d.%m.%Y")
        values["credit_limit"] = format_money(self.credit_limit, "uk", space=" ")
        values["credit_limit_in_words"] = amount_in_words_uk(self.credit_limit)
        values["company_is_sole_proprietor"] = self.company_is_sole_proprietor
        values["company_tax_id_label"] = "РНОКПП" if self.company_is_sole_proprietor else "ЄДРПОУ"
        return values


# The names a template may use: the fields, and what `context()` derives from them.
DERIVED = ("credit_limit_in_words", "company_is_sole_proprietor", "company_tax_id_label")
PLACEHOLDERS: frozenset[str] = frozenset([f.name for f in fields(ContractFields)] + list(DERIVED))


def sample_fields() -> list[ContractFields]:
    """Made-up customers, one for each payment terms kind, a ФОП among them: an uploaded
    template is filled with each, so one that cannot be filled (a reach past the sandbox
    in a branch, a filter on the wrong kind of value) is refused at upload, not at every
    contract after it."""
    common: dict[str, Any] = dict(
        contract_number="Д-2026-00001", contract_date=date(2026, 1, 2), company_name="ТОВ «Зразок»",
        company_tax_id="32855961", company_legal_address="м. Київ, вул. Зразкова, 1",
        company_iban="UA213223130000026007233566001", company_bank="АТ «Банк»", company_email="office@example.com",
        company_phone="+380671234567", signer_name="Петренко Іван Іванович", signer_position="директор",
        signing_basis="Статуту", payment_terms_kind="prepayment", payment_terms="100 % передоплата",
        deferral_days=0, advance_percent=0, credit_limit=Decimal("0.00"), price_type="Оптова",
        manager_name="Коваль Олена", manager_phone="+380501112233", manager_email="manager@example.com",
        supplier_name="ТОВ «Постачальник»", supplier_tax_id="43210989", supplier_legal_address="м. Київ",
        supplier_iban="UA743052990000026007233566001", supplier_bank="АТ КБ «ПриватБанк»",
        supplier_signer_name="Коваленко Сергій Петрович", supplier_signer_position="директор",
        supplier_signing_basis="Статуту",
    )
    return [
        ContractFields(**common),
        ContractFields(**common | dict(payment_terms_kind="deferred", payment_terms="відстрочка платежу 14 календарних днів",
                                       deferral_days=14, credit_limit=Decimal("100000.00"), company_tax_id="2980317653",
                                       company_name="ФОП Зразкова Ірина Петрівна")),
        ContractFields(**common | dict(payment_terms_kind="advance", payment_terms="аванс 30 %, решта після поставки",
                                       advance_percent=30, credit_limit=Decimal("12345.67"))),
    ]
