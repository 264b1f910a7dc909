"""A contract's text for the lawyer's page: paragraphs and tables in document order, read
with python-docx from the stored file. Plain strings only: the page escapes them, so nothing
in a document becomes markup."""
from __future__ import annotations

import io
from dataclasses import dataclass

from docx import Document
from docx.oxml.ns import qn
from docx.table import Table

from edo.docx_diff import paragraph_text
from edo.docx_template import TemplateLimits, check_docx_file, configured_limits


@dataclass(frozen=True)
class Block:
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()  # a table: each cell's paragraphs joined by line breaks

    @property
    def is_table(self) -> bool:
        return bool(self.rows)


def preview(data: bytes, limits: TemplateLimits | None = None) -> list[Block]:
    check_docx_file(data, limits or configured_limits())
    document = Document(io.BytesIO(data))
    blocks = []
    for element in document.element.body.iterchildren():
        if element.tag == qn("w:p"):
            text = paragraph_text(element, document.part)
            if text:
                blocks.append(Block(text=text))
        elif element.tag == qn("w:tbl"):
            table = Table(element, document)
            rows = tuple(tuple("\n".join(paragraph_text(p._p, document.part) for p in cell.paragraphs).strip() for cell in row.cells)
                         for row in table.rows)
            blocks.append(Block(rows=rows))
    return blocks
