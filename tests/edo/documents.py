"""Word files built in the test, the way a lawyer's template or a manager's edit looks to us."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

from docx import Document

from edo.fields import ContractFields


def docx(*paragraphs: str, header: str | None = None, table: list[list[str]] | None = None) -> bytes:
    document = Document()
    if header is not None:
        document.sections[0].header.paragraphs[0].text = header
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        cells = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, text in enumerate(row):
                cells.cell(r, c).text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def texts(data: bytes) -> list[str]:
    """Every paragraph's text: body, then table cells, then the first header."""
    document = Document(io.BytesIO(data))
    found = [p.text for p in document.paragraphs]
    found += [p.text for table in document.tables for cell in table._cells for p in cell.paragraphs]
    return found + [p.text for p in document.sections[0].header.paragraphs]


def contract_fields(**changes: Any) -> ContractFields:
    values: dict[str, Any] = dict(
        contract_number="2026-00017",
        contract_date=date(2026, 12, 7),
        company_name="ТОВ «Ромашка & Ко»",
        company_tax_id="32855961",
        company_legal_address="м. Київ, вул. Хрещатик, 1",
        company_iban="UA213223130000026007233566001",
        company_bank="АТ «Банк»",
        company_email="buyer@romashka.example",
        company_phone="+380671234567",
        signer_name="Петренко Іван Іванович",
        signer_position="директор",
        signing_basis="Статуту",
        payment_terms_kind="deferred",
        payment_terms="відстрочка платежу 14 днів",
        deferral_days=14,
        advance_percent=0,
        credit_limit=Decimal("100000.00"),
        price_type="Оптова",
        manager_name="Коваль Олена",
        manager_phone="+380501112233",
        manager_email="olena@distributor.example",
        supplier_name="ТОВ «Дистриб'ютор»",
        supplier_tax_id="14360570",
        supplier_legal_address="м. Львів, вул. Городоцька, 10",
        supplier_iban="UA903052992990004149123456789",
        supplier_bank="АТ КБ «ПриватБанк»",
        supplier_signer_name="Шевченко Тарас",
        supplier_signer_position="генеральний директор",
        supplier_signing_basis="Статуту",
    )
    values.update(changes)
    return ContractFields(**values)
