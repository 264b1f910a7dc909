""""Акт звірки взаєморозрахунків" for a period, as PDF and as XLSX with the same content.

Debit is what the buyer was invoiced or shipped, credit what they paid; a positive balance means
the buyer owes the supplier, and is printed in the debit column.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from io import BytesIO

from fpdf.enums import TableHeadingsDisplay
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from core.money import format_money
from core.money_words import amount_in_words_uk
from payments.documents.formatting import date_uk
from payments.documents.model import Party, StatementOfAccount
from payments.documents.pdf_base import FAMILY, DocumentPDF, party_rows

TITLE = "Акт звірки взаєморозрахунків"
COLUMNS = ("Дата", "Документ", "Дебет", "Кредит")
PDF_WIDTHS = (24, 102, 30, 30)
HEADING = FontFace(family=FAMILY, emphasis="BOLD", fill_color=(225, 225, 225))
BOLD = FontFace(family=FAMILY, emphasis="BOLD")
# Excel writes the grouping as "," in the format code and shows the reader's locale separator,
# so a Ukrainian Excel or LibreOffice displays 12345.6 as "12 345,60".
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "DD.MM.YYYY"
# Height in mm of the debt sentence and the two signature blocks, kept on one sheet.
CLOSING_BLOCK = 45
XLSX_WIDTHS = (13, 60, 16, 16)
WRAP_CHARS = 95  # about how many characters of the default font fit across the four columns


@dataclass(frozen=True)
class StatementRow:
    """One printed row, shared by both formats so the PDF and the XLSX cannot disagree."""

    on: date | None
    label: str
    debit: Decimal | None
    credit: Decimal | None
    bold: bool = False


def _balance_row(label: str, balance: Decimal) -> StatementRow:
    return StatementRow(None, label, balance if balance > 0 else None, -balance if balance < 0 else None, bold=True)


def statement_rows(s: StatementOfAccount) -> list[StatementRow]:
    rows = [_balance_row(f"Сальдо на {date_uk(s.period_from)}", s.opening_balance)]
    rows += [StatementRow(e.on, e.document, e.debit or None, e.credit or None) for e in s.entries]
    rows.append(StatementRow(None, "Обороти за період", s.debit_turnover, s.credit_turnover, bold=True))
    rows.append(_balance_row(f"Сальдо на {date_uk(s.period_to)}", s.closing_balance))
    return rows


def period_text(s: StatementOfAccount) -> str:
    return f"за період з {date_uk(s.period_from)} по {date_uk(s.period_to)}"


def intro_text(s: StatementOfAccount) -> str:
    return (
        f"Ми, що нижче підписалися, представник {s.supplier.name}, з однієї сторони, і представник "
        f"{s.buyer.name}, з іншої сторони, склали цей акт про те, що стан взаєморозрахунків "
        f"за даними {s.supplier.name} такий:"
    )


def conclusion_text(s: StatementOfAccount) -> str:
    balance = s.closing_balance
    on = f"Станом на {date_uk(s.period_to)}"
    if balance == 0:
        return f"{on} заборгованість відсутня."
    creditor = s.supplier.name if balance > 0 else f"покупця {s.buyer.name}"
    amount = abs(balance)
    return (
        f"{on} заборгованість на користь {creditor} становить "
        f"{format_money(amount, 'uk')} ({amount_in_words_uk(amount)})."
    )


def _signature_lines(role: str, name: str) -> list[str]:
    return [role, name, "", "____________________ / ____________________ /", "М.П."]


# ---- PDF ------------------------------------------------------------------------------------


def render_statement_pdf(s: StatementOfAccount) -> bytes:
    pdf = DocumentPDF(f"{TITLE} {period_text(s)}")
    pdf.text_line(TITLE, bold=True, size=14, h=7, align="C")
    pdf.text_line(period_text(s), size=10, h=5, align="C")
    pdf.rule(width=0.6)
    pdf.labelled_block("Постачальник:", party_rows(s.supplier, with_bank=False))
    pdf.ln(2)
    pdf.labelled_block("Покупець:", party_rows(s.buyer, with_bank=False))
    pdf.ln(3)
    pdf.text_line(intro_text(s))
    pdf.ln(2)
    _pdf_table(pdf, s)
    pdf.ln(3)
    pdf.keep_space(CLOSING_BLOCK)
    pdf.text_line(conclusion_text(s), bold=True)
    pdf.ln(8)
    _pdf_signatures(pdf, s)
    return bytes(pdf.output())


def _pdf_table(pdf: DocumentPDF, s: StatementOfAccount) -> None:
    pdf.set_font(FAMILY, size=8.5)
    with pdf.table(
        width=sum(PDF_WIDTHS),
        col_widths=PDF_WIDTHS,
        text_align=("CENTER", "LEFT", "RIGHT", "RIGHT"),
        align="LEFT",
        line_height=4,
        padding=(0.8, 1.2),
        headings_style=HEADING,
        repeat_headings=TableHeadingsDisplay.ON_TOP_OF_EVERY_PAGE,
    ) as table:
        heading = table.row()
        for label in COLUMNS:
            heading.cell(label, align="CENTER")
        for r in statement_rows(s):
            row = table.row(style=BOLD if r.bold else None)
            if r.on is None:
                row.cell(r.label, colspan=2, align="LEFT")
            else:
                row.cell(date_uk(r.on))
                row.cell(r.label)
            row.cell(format_money(r.debit, "uk", currency=False) if r.debit is not None else "")
            row.cell(format_money(r.credit, "uk", currency=False) if r.credit is not None else "")


def _pdf_signatures(pdf: DocumentPDF, s: StatementOfAccount) -> None:
    column = pdf.epw / 2
    top = pdf.get_y()
    bottom = top
    sides = (("Від постачальника:", s.supplier.name), ("Від покупця:", s.buyer.name))
    for index, (role, name) in enumerate(sides):
        pdf.set_xy(pdf.l_margin + index * column, top)
        for number, text in enumerate(_signature_lines(role, name)):
            pdf.set_font(FAMILY, "B" if number == 1 else "", 9)
            pdf.multi_cell(column - 6, 5, text, align="L", new_x="LEFT", new_y="NEXT")
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(pdf.l_margin, bottom)


# ---- XLSX -----------------------------------------------------------------------------------


def render_statement_xlsx(s: StatementOfAccount) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Акт звірки"
    for letter, width in zip("ABCD", XLSX_WIDTHS):
        ws.column_dimensions[letter].width = width
    # An accountant prints it: one page wide, however many long.
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0

    _merged_text(ws, 1, TITLE, Font(bold=True, size=14), Alignment(horizontal="center"))
    _merged_text(ws, 2, period_text(s), None, Alignment(horizontal="center"))
    _merged_text(ws, 3, f"Постачальник: {_party_line(s.supplier)}", wrap=True)
    _merged_text(ws, 4, f"Покупець: {_party_line(s.buyer)}", wrap=True)
    _merged_text(ws, 5, intro_text(s), wrap=True)

    header_row = 7
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    for column, label in enumerate(COLUMNS, start=1):
        cell = ws.cell(header_row, column, label)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
        cell.fill = PatternFill("solid", fgColor="E1E1E1")
        cell.border = box
    ws.freeze_panes = ws.cell(header_row + 1, 1)

    row_no = header_row
    for r in statement_rows(s):
        row_no += 1
        # A balance or turnover row has no date: its label spans the date and document columns.
        values = (r.on, r.label, r.debit, r.credit) if r.on else (r.label, None, r.debit, r.credit)
        for column, value in enumerate(values, start=1):
            cell = ws.cell(row_no, column, value)
            cell.border = box
            cell.font = Font(bold=r.bold)
        ws.cell(row_no, 2).alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(row_no, 3).number_format = MONEY_FORMAT
        ws.cell(row_no, 4).number_format = MONEY_FORMAT
        if r.on:
            ws.cell(row_no, 1).number_format = DATE_FORMAT
        else:
            ws.merge_cells(start_row=row_no, start_column=1, end_row=row_no, end_column=2)

    row_no += 2
    _merged_text(ws, row_no, conclusion_text(s), Font(bold=True), wrap=True)

    row_no += 2
    for offset, (left, right) in enumerate(zip(
        _signature_lines("Від постачальника:", s.supplier.name),
        _signature_lines("Від покупця:", s.buyer.name),
    )):
        ws.cell(row_no + offset, 1, left).font = Font(bold=offset == 1)
        ws.cell(row_no + offset, 3, right).font = Font(bold=offset == 1)

    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _party_line(party: Party) -> str:
    return ", ".join(text for text, _ in party_rows(party, with_bank=False) if text)


def _merged_text(ws: Worksheet, row: int, text: str, font: Font | None = None,
                 alignment: Alignment | None = None, *, wrap: bool = False) -> None:
    cell = ws.cell(row, 1, text)
    if font:
        cell.font = font
    cell.alignment = alignment or Alignment(wrap_text=wrap, vertical="top")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
    if wrap:
        # Excel does not grow a merged row to fit wrapped text, so give it the lines it needs.
        ws.row_dimensions[row].height = 15 * -(-len(text) // WRAP_CHARS)
