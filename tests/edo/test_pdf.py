"""The PDF for signature comes from LibreOffice when the machine has it; without it, the reason is told."""
from __future__ import annotations

import pytest

from edo.docx_template import render
from edo.pdf import converter, to_pdf
from tests.edo.documents import contract_fields, docx

needs_libreoffice = pytest.mark.skipif(converter() is None, reason="LibreOffice is not installed (make pdf)")


@needs_libreoffice
def test_a_filled_contract_becomes_a_pdf():
    contract = render(docx("ДОГОВІР ПОСТАВКИ № {{ contract_number }}", "{{ company_name }}"), contract_fields())
    result = to_pdf(contract, timeout=120)
    assert result.skipped is None and result.reason is None
    assert result.pdf.startswith(b"%PDF-") and b"%%EOF" in result.pdf[-1024:]


@needs_libreoffice
def test_a_conversion_over_its_time_is_killed_and_the_docx_stays():
    result = to_pdf(docx("Договір"), timeout=0.2)
    assert result.pdf is None and result.skipped == "timeout"
    assert result.reason == "PDF не створено: перетворення тривало довше за 0.2 с. Договір залишено у форматі .docx."


def test_without_a_converter_the_pdf_is_skipped_with_the_reason():
    result = to_pdf(docx("Договір"), binary="/nonexistent/soffice")
    assert result.pdf is None and result.skipped == "no_converter"
    assert result.reason == "PDF не створено: на сервері немає LibreOffice. Договір залишено у форматі .docx."
