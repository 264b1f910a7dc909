""""Рахунок на оплату" as a PDF, laid out the way Ukrainian accounting software prints it."""
from __future__ import annotations

from fpdf.enums import TableHeadingsDisplay
from fpdf.fonts import FontFace

from core.money import format_money, format_quantity
from core.money_words import amount_in_words_uk
from payments.documents.formatting import date_uk
from payments.documents.model import DocLine, InvoiceDocument
from payments.documents.pdf_base import FAMILY, DocumentPDF, party_rows

# № / Артикул / Товар / Од. / Кількість / Ціна з ПДВ / Сума з ПДВ, in mm of the 186 mm text width.
COLUMNS = ("№", "Артикул", "Товар", "Од.", "Кількість", "Ціна з ПДВ", "Сума з ПДВ")
WIDTHS = (9, 24, 75, 12, 20, 22, 24)
ALIGN = ("RIGHT", "LEFT", "LEFT", "CENTER", "RIGHT", "RIGHT", "RIGHT")
HEADING = FontFace(family=FAMILY, emphasis="BOLD", fill_color=(225, 225, 225))
TABLE_FONT_SIZE = 8
LINE_HEIGHT = 3.8
PADDING = (0.8, 1.2)  # vertical, horizontal
KEEP_ROWS = 2
# Height in mm of the totals, the amount in words, the due date and the signature.
FOOTER_BLOCK = 60


def render_invoice_pdf(doc: InvoiceDocument) -> bytes:
    title = f"Рахунок на оплату № {doc.number} від {date_uk(doc.issued_on)}"
    pdf = DocumentPDF(title)

    pdf.text_line(title, bold=True, size=14, h=7)
    if doc.kind_label:
        pdf.text_line(doc.kind_label, size=10, h=5)
    pdf.rule(width=0.6)

    pdf.labelled_block("Постачальник:", party_rows(doc.supplier, with_bank=True))
    pdf.ln(2)
    pdf.labelled_block("Покупець:", party_rows(doc.buyer, with_bank=False))
    pdf.ln(2)
    pdf.labelled_block("Підстава:", [(doc.basis, False)])
    pdf.ln(3)

    _lines_table(pdf, doc)
    _totals(pdf, doc)
    return bytes(pdf.output())


def payment_purpose(doc: InvoiceDocument) -> str:
    """The text the buyer copies into the bank order; it names the invoice so the payment can be matched."""
    vat = f"у т.ч. ПДВ {format_money(doc.vat_total, 'uk')}" if doc.vat_total else "без ПДВ"
    return f"Оплата згідно рахунку № {doc.number} від {date_uk(doc.issued_on)}, {vat}"


def _lines_table(pdf: DocumentPDF, doc: InvoiceDocument) -> None:
    """The lines, with the last few kept on the same sheet as the totals.

    A last page holding only "Всього" and a signature is what accountants reject as a
    detached page, so the tail rows are printed as a second table that moves to a new
    page (with the heading repeated) together with the totals when they would not fit.
    """
    pdf.set_font(FAMILY, size=TABLE_FONT_SIZE)
    body, tail = doc.lines[:-KEEP_ROWS], doc.lines[-KEEP_ROWS:]
    if body:
        _table(pdf, body, with_heading=True)
        pdf.set_font(FAMILY, size=TABLE_FONT_SIZE)  # measure the tail in the font it will print in
        tail_height = sum(_row_height(pdf, line) for line in tail)
        new_page = pdf.will_page_break(tail_height + FOOTER_BLOCK)
        if new_page:
            pdf.add_page()
        _table(pdf, tail, with_heading=new_page)
    else:
        _table(pdf, tail, with_heading=True)


def _table(pdf: DocumentPDF, lines: list[DocLine], *, with_heading: bool) -> None:
    with pdf.table(
        width=sum(WIDTHS),
        col_widths=WIDTHS,
        text_align=ALIGN,
        align="LEFT",
        line_height=LINE_HEIGHT,
        padding=PADDING,
        headings_style=HEADING,
        first_row_as_headings=with_heading,
        repeat_headings=TableHeadingsDisplay.ON_TOP_OF_EVERY_PAGE,
    ) as table:
        if with_heading:
            heading = table.row()
            for label in COLUMNS:
                heading.cell(label, align="CENTER")
        for line in lines:
            table.row(_cells(line))


def _cells(line: DocLine) -> tuple[str, ...]:
    return (
        str(line.no),
        line.sku,
        line.name,
        line.unit,
        format_quantity(line.quantity),
        format_money(line.price, "uk", currency=False),
        format_money(line.amount, "uk", currency=False),
    )


def _row_height(pdf: DocumentPDF, line: DocLine) -> float:
    text_lines = max(
        len(pdf.multi_cell(width - 2 * PADDING[1], LINE_HEIGHT, text, dry_run=True, output="LINES"))
        for width, text in zip(WIDTHS, _cells(line))
    )
    return text_lines * LINE_HEIGHT + 2 * PADDING[0]


def _totals(pdf: DocumentPDF, doc: InvoiceDocument) -> None:
    pdf.keep_space(FOOTER_BLOCK)
    pdf.ln(1.5)
    label_width = sum(WIDTHS[:-1])
    vat_label = f"У тому числі ПДВ ({doc.vat_rate_label}):" if doc.vat_rate_label else "У тому числі ПДВ:"
    if not doc.vat_total and not doc.supplier.vat_payer_id:
        vat_row = ("Без ПДВ", "")
    else:
        vat_row = (vat_label, format_money(doc.vat_total, "uk", currency=False))
    for label, value in (("Всього:", format_money(doc.total, "uk", currency=False)), vat_row):
        pdf.set_font(FAMILY, "B", 9)
        pdf.cell(label_width, 5, label, align="R")
        pdf.cell(WIDTHS[-1], 5, value, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    pdf.text_line(f"Всього найменувань {len(doc.lines)}, на суму {format_money(doc.total, 'uk')}")
    pdf.text_line(
        f"Всього до сплати: {format_money(doc.total, 'uk')} ({amount_in_words_uk(doc.total)})", bold=True, size=10, h=5
    )
    if doc.vat_total:
        pdf.text_line(f"У тому числі ПДВ: {format_money(doc.vat_total, 'uk')} ({amount_in_words_uk(doc.vat_total)})")
    if doc.discount_note:
        pdf.text_line(doc.discount_note)
    pdf.ln(2)
    if doc.due_on:
        pdf.text_line(f"Сплатити до {date_uk(doc.due_on)}", bold=True)
    pdf.text_line(f"Призначення платежу: {payment_purpose(doc)}")
    if doc.pay_url:
        pdf.set_font(FAMILY, "", 9)
        pdf.write(4.5, "Оплатити карткою: ")
        pdf.set_text_color(20, 70, 160)
        pdf.write(4.5, doc.pay_url, link="" if doc.pay_url_masked else doc.pay_url)
        pdf.set_text_color(0)
        pdf.ln(4.5)

    pdf.rule(width=0.6, gap=3)
    pdf.ln(4)
    pdf.set_font(FAMILY, "", 9)
    pdf.cell(0, 5, "Виписав(ла): ______________________________")
