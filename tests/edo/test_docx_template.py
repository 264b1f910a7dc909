"""Contract templates: a Word file made here is checked as an upload and filled as a contract."""
from __future__ import annotations

import io
import time
import zipfile

import pytest
from docx import Document

from edo.docx_template import TemplateLimits, TemplateProblem, check_template, render
from edo.fields import PLACEHOLDERS
from tests.edo.documents import contract_fields, docx, texts

TEMPLATE = docx(
    "ДОГОВІР ПОСТАВКИ № {{ contract_number }}",
    "м. Львів {{ contract_date }}",
    "{{ company_name }}, {{ company_tax_id_label }} {{ company_tax_id }}, в особі {{ signer_position }} "
    "{{ signer_name }}, що діє на підставі {{ signing_basis }}",
    "{% if payment_terms_kind == 'deferred' %}Оплата протягом {{ deferral_days }} днів.{% endif %}"
    "{% if payment_terms_kind == 'advance' %}Аванс {{ advance_percent }} %.{% endif %}",
    "Кредитний ліміт: {{ credit_limit }} ({{ credit_limit_in_words }}).",
    header="Договір № {{ contract_number }} — {{ supplier_name }}",
    table=[["Постачальник", "Покупець"], ["{{ supplier_iban }}", "{{ company_iban }}"]],
)


def test_a_template_is_checked_and_filled_everywhere_docxtpl_renders():
    assert check_template(TEMPLATE) == sorted({
        "contract_number", "contract_date", "company_name", "company_tax_id_label", "company_tax_id",
        "signer_position", "signer_name", "signing_basis", "payment_terms_kind", "deferral_days",
        "advance_percent", "credit_limit", "credit_limit_in_words", "supplier_name", "supplier_iban", "company_iban",
    })
    filled = texts(render(TEMPLATE, contract_fields()))
    assert filled[:5] == [
        "ДОГОВІР ПОСТАВКИ № 2026-00017",
        "м. Львів 07.12.2026",
        # "&" is escaped into the XML and reads back as itself
        "ТОВ «Ромашка & Ко», ЄДРПОУ 32855961, в особі директор Петренко Іван Іванович, що діє на підставі Статуту",
        "Оплата протягом 14 днів.",
        "Кредитний ліміт: 100 000,00 грн (Сто тисяч гривень 00 копійок).",
    ]
    assert "UA903052992990004149123456789" in filled and "UA213223130000026007233566001" in filled
    assert filled[-1] == "Договір № 2026-00017 — ТОВ «Дистриб'ютор»"


def test_a_sole_proprietor_reads_as_one_and_advance_terms_take_their_branch():
    fop = contract_fields(company_tax_id="3184710691", payment_terms_kind="advance", advance_percent=30)
    filled = texts(render(TEMPLATE, fop))
    assert filled[2].startswith("ТОВ «Ромашка & Ко», РНОКПП 3184710691,")
    assert filled[3] == "Аванс 30 %."


def test_a_placeholder_word_split_into_runs_of_different_formatting_is_one_placeholder():
    document = Document()
    paragraph = document.add_paragraph("Покупець: ")
    paragraph.add_run("{{ comp")
    paragraph.add_run("any_name }}").bold = True  # Word splits a run where the lawyer changed formatting
    out = io.BytesIO()
    document.save(out)
    assert check_template(out.getvalue()) == ["company_name"]
    assert texts(render(out.getvalue(), contract_fields()))[0] == "Покупець: ТОВ «Ромашка & Ко»"


def test_a_value_that_looks_like_markup_stays_text():
    filled = texts(render(docx("{{ company_name }}"), contract_fields(company_name="<w:t>{{ x }}</w:t>")))
    assert filled[0] == "<w:t>{{ x }}</w:t>"


@pytest.mark.parametrize(
    ("template", "names"),
    [
        (docx("Покупець: {{ company_nme }}, {{ buyer_iban }}"), "buyer_iban, company_nme"),
        (docx("Все гаразд: {{ company_name }}", header="{{ director }}"), "director"),  # a header is a template too
        (docx("{% if vip %}Знижка{% endif %}"), "vip"),
    ],
)
def test_an_unknown_placeholder_is_refused_by_its_name(template, names):
    with pytest.raises(TemplateProblem) as refused:
        check_template(template)
    assert refused.value.code == "unknown_placeholders"
    assert refused.value.params == {"names": names}
    assert f"невідомі поля: {names}." in refused.value.message


def test_every_placeholder_the_generator_knows_is_accepted_and_filled():
    assert set(contract_fields().context()) == PLACEHOLDERS  # what the upload accepts is what a render has
    template = docx(*[f"{name}={{{{ {name} }}}}" for name in sorted(PLACEHOLDERS)])
    assert check_template(template) == sorted(PLACEHOLDERS)
    filled = texts(render(template, contract_fields()))
    assert "company_bank=АТ «Банк»" in filled and "deferral_days=14" in filled


@pytest.mark.parametrize(
    ("paragraphs", "near"),
    [
        # an unclosed block is named by the paragraph that opens it
        (("Вступ", "Оплата {% if deferral_days %}протягом {{ deferral_days }} днів", "Кінець"),
         "Оплата {% if deferral_days %}протягом {{ deferral_days }} днів"),
        # docxtpl joins what sits between braces across paragraphs: the text shown is what it read
        (("Покупець {{ company_name }", "Кінець"), "Покупець {{ company_name }Кінець"),
        (("Сума {{ credit_limit | }}",), "Сума {{ credit_limit | }}"),
    ],
)
def test_broken_markup_is_refused_with_where_it_is(paragraphs, near):
    with pytest.raises(TemplateProblem) as refused:
        check_template(docx(*paragraphs))
    assert refused.value.code == "syntax"
    assert refused.value.params["near"] == near
    assert refused.value.message.startswith(f"Помилка в розмітці шаблону біля «{near}»: ")


@pytest.mark.parametrize(
    "expression",
    ["''.__class__", "company_name.__class__.__mro__", "company_name['__class__']", "range.__globals__"],
)
def test_a_reach_for_python_insides_is_refused_at_upload(expression):
    with pytest.raises(TemplateProblem) as refused:
        check_template(docx("{{ " + expression + " }}"))
    assert refused.value.code == "unsafe"


@pytest.mark.parametrize(
    "expression",
    ["''.__class__.__mro__[1].__subclasses__()", "company_name.format.__globals__", "range.__globals__['os']"],
)
def test_the_sandbox_stops_an_escape_even_in_a_template_that_skipped_the_check(expression):
    with pytest.raises(TemplateProblem) as refused:
        render(docx("{{ " + expression + " }}"), contract_fields())
    assert refused.value.code == "unsafe"


def test_globals_are_cut_to_range():
    with pytest.raises(TemplateProblem) as refused:
        check_template(docx("{{ lipsum(n=100000) }}{{ cycler }}"))
    assert refused.value.params == {"names": "cycler, lipsum"}


def test_a_long_range_is_refused():
    template = docx("{% for i in range(1000000) %}{{ i }}{% endfor %}")
    for fill in (check_template, lambda data: render(data, contract_fields())):  # the check fills it too
        with pytest.raises(TemplateProblem) as refused:
            fill(template)
        assert refused.value.code == "loop_too_long"
        assert refused.value.params == {"length": 1000000, "limit": 1000}


def test_short_loops_nested_into_a_billion_turns_are_stopped_in_time():
    template = docx("{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
                    "{% endfor %}{% endfor %}{% endfor %}")
    started = time.monotonic()
    with pytest.raises(TemplateProblem) as refused:
        render(template, contract_fields(), TemplateLimits(seconds=1))
    assert refused.value.code == "too_slow"
    assert refused.value.message.startswith("Шаблон заповнювався довше за 1 с")
    assert time.monotonic() - started < 10


def test_a_template_asking_for_gigabytes_is_stopped_by_the_memory_limit():
    with pytest.raises(TemplateProblem) as refused:
        render(docx("{{ company_name|center(2000000000) }}"), contract_fields(), TemplateLimits(memory_bytes=512 * 1024 * 1024))
    assert refused.value.code == "too_big_to_render"


def _with_member(template: bytes, name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr(name, data)
    return out.getvalue()


def test_a_zip_bomb_is_refused_from_its_directory():
    bomb = _with_member(docx("{{ company_name }}"), "word/media/filler.bin", b"\0" * (60 * 1024 * 1024))
    assert len(bomb) < 200 * 1024  # small to upload, 60 MB unpacked
    with pytest.raises(TemplateProblem) as refused:
        check_template(bomb)
    assert refused.value.code == "archive_too_large"
    with pytest.raises(TemplateProblem):
        render(bomb, contract_fields())


def test_a_file_over_the_upload_limit_is_refused_by_its_size():
    with pytest.raises(TemplateProblem) as refused:
        check_template(TEMPLATE, TemplateLimits(max_upload_bytes=len(TEMPLATE) - 1))
    assert refused.value.code == "too_large"


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        "Договір № {{ contract_number }}".encode(),  # a text file renamed
        _zip({"xl/workbook.xml": b"<workbook/>"}),  # an Excel file, or any other zip
        _zip({"word/document.xml": b"<w:document>"}),  # Word's name without a Word package inside
        docx("{{ company_name }}")[:-100],  # cut short in the upload
    ],
)
def test_what_is_not_a_word_document_is_refused_as_such(data):
    with pytest.raises(TemplateProblem) as refused:
        check_template(data)
    assert refused.value.code == "not_docx"
    assert refused.value.message.startswith("Файл не вдалося прочитати як документ Word (.docx).")


@pytest.mark.parametrize("tag", ["{% include 'other.docx' %}", "{% extends 'base' %}", "{% import 'macros' as m %}"])
def test_a_template_may_not_pull_in_other_templates(tag):
    with pytest.raises(TemplateProblem) as refused:
        check_template(docx("Вступ", tag))
    assert refused.value.code == "other_templates"
    assert "{% include %}" in refused.value.message


def test_a_macro_calling_itself_fails_the_render_and_says_so():
    template = docx("{% macro clause(n) %}{{ clause(n) }}{% endmacro %}{{ clause(1) }}")
    for fill in (check_template, lambda data: render(data, contract_fields())):  # the check fills it too
        with pytest.raises(TemplateProblem) as refused:
            fill(template)
        assert refused.value.code == "render_failed"
        assert "recursion" in refused.value.params["detail"]
