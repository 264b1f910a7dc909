"""What the renderers need to know, and nothing about where it came from."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Party:
    name: str
    tax_id: str  # ЄДРПОУ (8 digits) or РНОКПП (10 digits, a ФОП)
    address: str
    iban: str = ""
    bank_name: str = ""
    mfo: str | None = None  # IBAN carries the bank code; some accountants still want МФО
    phone: str = ""
    vat_payer_id: str | None = None  # ІПН; None for a non-VAT payer

    @property
    def tax_id_label(self) -> str:
        return "РНОКПП" if len(self.tax_id) == 10 else "ЄДРПОУ"


@dataclass(frozen=True)
class DocLine:
    no: int
    sku: str
    name: str
    unit: str
    quantity: Decimal
    price: Decimal  # with VAT
    amount: Decimal  # with VAT


@dataclass(frozen=True)
class InvoiceDocument:
    """A "Рахунок на оплату". Prices and total include VAT; vat_total is the VAT part of total."""

    number: str
    issued_on: date
    due_on: date | None
    supplier: Party
    buyer: Party
    lines: list[DocLine]
    total: Decimal
    vat_total: Decimal
    vat_rate_label: str  # printed as "У тому числі ПДВ (<label>)", e.g. "20 %"; "" prints no rate
    kind_label: str  # e.g. "Передоплата 50 %"; printed under the title when not empty
    basis: str  # e.g. "Замовлення № 000123"
    pay_url: str | None = None
    # The staff copy prints the pay link with its token masked: shown, but not a link.
    pay_url_masked: bool = False
    discount_note: str | None = None


@dataclass(frozen=True)
class StatementEntry:
    on: date
    document: str
    debit: Decimal = Decimal("0.00")  # goods shipped / invoiced to the buyer
    credit: Decimal = Decimal("0.00")  # payments received from the buyer


@dataclass(frozen=True)
class StatementOfAccount:
    """An "акт звірки взаєморозрахунків" from the supplier's books.

    A positive balance means the buyer owes the supplier. The closing balance must follow from
    the opening balance and the entries: a reconciliation act whose arithmetic does not add up
    is worse than none, so a mismatch is refused here rather than printed.
    """

    supplier: Party
    buyer: Party
    period_from: date
    period_to: date
    opening_balance: Decimal
    entries: list[StatementEntry] = field(default_factory=list)
    closing_balance: Decimal = Decimal("0.00")

    def __post_init__(self) -> None:
        if self.period_from > self.period_to:
            raise ValueError("period_from is after period_to")
        expected = self.opening_balance + self.debit_turnover - self.credit_turnover
        if expected != self.closing_balance:
            raise ValueError(f"closing balance {self.closing_balance} does not follow from the entries ({expected})")

    @property
    def debit_turnover(self) -> Decimal:
        return sum((e.debit for e in self.entries), Decimal("0.00"))

    @property
    def credit_turnover(self) -> Decimal:
        return sum((e.credit for e in self.entries), Decimal("0.00"))
