"""The page every PDF document shares: A4, the shipped DejaVu fonts, a page footer."""
from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from payments.documents.model import Party

# Loaded from the package, never from the system: a fresh server has no Cyrillic fonts at all.
FONT_DIR = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"
BASE_SIZE = 9
GREY = (110, 110, 110)


class DocumentPDF(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.add_font(FAMILY, "", FONT_DIR / "DejaVuSans.ttf")
        self.add_font(FAMILY, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
        self.set_margins(left=12, top=10, right=12)
        self.set_auto_page_break(True, margin=14)
        self.set_title(title)
        self.set_lang("uk")
        self.set_creator("B2B portal")
        self._footer_text = title
        self.add_page()
        self.set_font(FAMILY, size=BASE_SIZE)

    def footer(self) -> None:
        # A long invoice is printed and stapled: each sheet says what it belongs to.
        self.set_y(-10)
        self.set_font(FAMILY, size=7)
        self.set_text_color(*GREY)
        self.cell(0, 4, f"{self._footer_text} · сторінка {self.page_no()} з {{nb}}", align="R")
        self.set_text_color(0)

    def text_line(self, text: str, *, bold: bool = False, size: float = BASE_SIZE, h: float = 4.5,
                  align: str = "L") -> None:
        """A paragraph across the page width that wraps as needed."""
        self.set_font(FAMILY, "B" if bold else "", size)
        self.multi_cell(0, h, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def labelled_block(self, label: str, rows: list[tuple[str, bool]], label_width: float = 30) -> None:
        """"Постачальник:" on the left, its lines (text, bold) stacked in a column beside it."""
        top = self.get_y()
        self.set_font(FAMILY, "", BASE_SIZE)
        self.cell(label_width, 4.5, label)
        self.set_xy(self.l_margin + label_width, top)
        for text, bold in rows:
            if not text:
                continue
            self.set_font(FAMILY, "B" if bold else "", BASE_SIZE)
            self.multi_cell(0, 4.5, text, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_x(self.l_margin)

    def rule(self, width: float = 0.2, gap: float = 1.5) -> None:
        self.ln(gap)
        self.set_line_width(width)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_line_width(0.2)
        self.ln(gap)

    def keep_space(self, height: float) -> None:
        """Start a new page unless `height` mm still fit, so a block is not split across sheets."""
        if self.will_page_break(height):
            self.add_page()


def party_rows(party: Party, *, with_bank: bool) -> list[tuple[str, bool]]:
    """A party's requisites as Ukrainian documents print them, name first and in bold."""
    ids = f"код за ЄДРПОУ {party.tax_id}" if party.tax_id_label == "ЄДРПОУ" else f"РНОКПП {party.tax_id}"
    if party.vat_payer_id:
        ids += f", ІПН {party.vat_payer_id}"
    rows = [(party.name, True), (ids, False)]
    if with_bank and party.iban:
        bank = f"IBAN {party.iban}"
        if party.bank_name:
            bank += f" в {party.bank_name}"
        if party.mfo:
            bank += f", МФО {party.mfo}"
        rows.append((bank, False))
    address = party.address
    if party.phone:
        address = f"{address}, тел. {party.phone}" if address else f"тел. {party.phone}"
    rows.append((address, False))
    return rows
