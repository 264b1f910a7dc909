"""The lawyer reads only the paragraphs a manager's edit changed."""
from __future__ import annotations

import pytest

from edo.docx_diff import ParagraphChange, paragraph_diff, paragraphs
from edo.docx_template import TemplateProblem, render
from tests.edo.documents import contract_fields, docx

TEMPLATE = docx(
    "ДОГОВІР ПОСТАВКИ № {{ contract_number }}",
    "1. Постачальник зобов'язується поставити Товар.",
    "2. Оплата протягом {{ deferral_days }} днів.",
    "3. Відповідальність сторін.",
    "4. Строк дії договору — до 31.12.2027.",
    table=[["{{ supplier_name }}", "{{ company_name }}"]],
)


def test_an_unedited_contract_has_nothing_to_read():
    generated = render(TEMPLATE, contract_fields())
    assert paragraph_diff(generated, generated) == []


def test_changed_added_and_removed_paragraphs_are_listed_and_blank_lines_are_not():
    generated = render(TEMPLATE, contract_fields())
    edited = docx(
        "ДОГОВІР ПОСТАВКИ № 2026-00017",
        "",
        "1. Постачальник зобов'язується поставити Товар.",
        "2. Оплата протягом 30 днів.",
        "4. Строк дії договору — до 31.12.2027.",
        "5. Форс-мажор.",
        table=[["ТОВ «Дистриб'ютор»", "ТОВ «Ромашка & Ко»"]],
    )
    assert paragraphs(edited)[1] == "1. Постачальник зобов'язується поставити Товар."
    assert paragraph_diff(generated, edited) == [
        ParagraphChange("changed", 3, 3, "2. Оплата протягом 14 днів.", "2. Оплата протягом 30 днів."),
        ParagraphChange("removed", 4, None, "3. Відповідальність сторін.", None),
        ParagraphChange("added", None, 5, None, "5. Форс-мажор."),
    ]


def test_a_table_cell_is_compared_too():
    generated = render(TEMPLATE, contract_fields())
    edited = render(TEMPLATE, contract_fields(company_name="ТОВ «Волошка»"))
    assert paragraph_diff(generated, edited) == [
        ParagraphChange("changed", 7, 7, "ТОВ «Ромашка & Ко»", "ТОВ «Волошка»"),
    ]


def test_an_edit_that_is_not_a_word_document_is_refused():
    generated = render(TEMPLATE, contract_fields())
    with pytest.raises(TemplateProblem) as refused:
        paragraph_diff(generated, "2. Оплата протягом 30 днів.".encode())
    assert refused.value.code == "not_docx"
