"""The contract template that ships with the product: a plain Ukrainian supply contract
("Договір поставки") made here with python-docx, so a fresh install and the demo can generate
contracts before a lawyer uploads the firm's own. It uses only the fields of edo.fields and
one `{% if %}` per payment terms kind; a lawyer downloads it from the templates page, edits
it in Word and uploads it back as the next version."""
from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

_PAYMENT = (
    "{% if payment_terms_kind == 'prepayment' %}Покупець оплачує кожну партію Товару на умовах 100 % передоплати "
    "протягом 3 (трьох) банківських днів з дня виставлення рахунку; Постачальник відвантажує Товар після "
    "надходження коштів.{% endif %}"
    "{% if payment_terms_kind == 'deferred' %}Покупець оплачує кожну партію Товару протягом {{ deferral_days }} "
    "календарних днів з дня її поставки (відстрочка платежу).{% endif %}"
    "{% if payment_terms_kind == 'advance' %}Покупець сплачує аванс у розмірі {{ advance_percent }} % вартості "
    "партії Товару протягом 3 (трьох) банківських днів з дня виставлення рахунку, а решту — протягом 5 (п'яти) "
    "банківських днів з дня поставки.{% endif %}"
)

_SECTIONS = (
    ("1. Предмет договору", (
        "1.1. Постачальник зобов'язується поставляти Покупцеві партіями товари (далі — Товар), а Покупець — "
        "приймати й оплачувати їх на умовах цього Договору.",
        "1.2. Асортимент, кількість і ціну кожної партії сторони погоджують у замовленні Покупця, оформленому "
        "на порталі Постачальника, телефоном або через менеджера, та у видаткових накладних.",
    )),
    ("2. Ціна та умови оплати", (
        "2.1. Ціни на Товар визначаються за прайс-листом Постачальника для типу ціни «{{ price_type }}», "
        "чинним на день замовлення.",
        "2.2. " + _PAYMENT,
        "2.3. Умови оплати: {{ payment_terms }}. Кредитний ліміт Покупця: {{ credit_limit }} "
        "({{ credit_limit_in_words }}).",
        "2.4. Оплата здійснюється в безготівковій формі на рахунок Постачальника, зазначений у розділі 7.",
    )),
    ("3. Поставка", (
        "3.1. Постачальник доставляє Товар на торгові точки Покупця, зазначені в замовленні. Право власності "
        "на Товар переходить до Покупця з моменту підписання видаткової накладної.",
    )),
    ("4. Відповідальність сторін", (
        "4.1. За прострочення оплати Покупець сплачує пеню в розмірі подвійної облікової ставки НБУ від суми "
        "заборгованості за кожен день прострочення.",
        "4.2. Постачальник має право не відвантажувати Товар, доки Покупець має прострочену заборгованість "
        "або перевищує кредитний ліміт.",
    )),
    ("5. Електронний документообіг", (
        "5.1. Сторони погодили, що цей Договір, додатки до нього та первинні документи підписуються "
        "кваліфікованими електронними підписами у сервісі «Вчасно» і мають таку саму юридичну силу, як "
        "паперові документи з власноручними підписами.",
    )),
    ("6. Строк дії", (
        "6.1. Договір набирає чинності з моменту його підписання обома сторонами і діє до 31 грудня року, "
        "в якому його укладено. Якщо жодна сторона не заявить про припинення за 30 днів до закінчення строку, "
        "Договір вважається продовженим на кожен наступний календарний рік.",
        "6.2. З питань виконання Договору Покупця обслуговує менеджер Постачальника {{ manager_name }}"
        "{% if manager_phone %}, тел. {{ manager_phone }}{% endif %}"
        "{% if manager_email %}, e-mail {{ manager_email }}{% endif %}.",
    )),
)

_SUPPLIER = (
    "Постачальник", "{{ supplier_name }}", "ЄДРПОУ {{ supplier_tax_id }}", "{{ supplier_legal_address }}",
    "IBAN {{ supplier_iban }}", "{{ supplier_bank }}", "{{ supplier_signer_position }}",
    "_______________ {{ supplier_signer_name }}",
)
_CUSTOMER = (
    "Покупець", "{{ company_name }}", "{{ company_tax_id_label }} {{ company_tax_id }}", "{{ company_legal_address }}",
    "IBAN {{ company_iban }}", "{{ company_bank }}", "{{ company_email }}{% if company_phone %}, {{ company_phone }}{% endif %}",
    "{{ signer_position }}", "_______________ {{ signer_name }}",
)


def default_template() -> bytes:
    document = Document()
    document.styles["Normal"].font.name = "Times New Roman"
    document.styles["Normal"].font.size = Pt(11)
    _centered(document, "ДОГОВІР ПОСТАВКИ № {{ contract_number }}", bold=True)
    _centered(document, "м. Київ, {{ contract_date }}")
    document.add_paragraph(
        "{{ supplier_name }} (далі — Постачальник), в особі {{ supplier_signer_position }} {{ supplier_signer_name }}, "
        "що діє на підставі {{ supplier_signing_basis }}, з однієї сторони, та {{ company_name }} (далі — Покупець), "
        "{% if company_is_sole_proprietor %}фізична особа — підприємець{% else %}в особі {{ signer_position }} "
        "{{ signer_name }}{% endif %}, що діє на підставі {{ signing_basis }}, з другої сторони, уклали цей Договір "
        "про таке:"
    )
    for title, clauses in _SECTIONS:
        document.add_paragraph().add_run(title).bold = True
        for clause in clauses:
            document.add_paragraph(clause)
    document.add_paragraph().add_run("7. Реквізити та підписи сторін").bold = True
    table = document.add_table(rows=1, cols=2)
    for cell, lines in zip(table.rows[0].cells, (_SUPPLIER, _CUSTOMER)):
        cell.paragraphs[0].add_run(lines[0]).bold = True
        for line in lines[1:]:
            cell.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _centered(document: Document, text: str, bold: bool = False) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run(text).bold = bold
