"""What a manager's edited contract changed, paragraph by paragraph, so the lawyer reads only that.

Paragraphs are compared by their text (python-docx), in document order, table cells
included, then those of the headers, footers and notes (printed too); formatting is not
compared (a lawyer approves words) and empty paragraphs are left out (blank lines added
or removed are not a change to read). The edited file is an
upload, so it passes the same file checks as a template before it is opened.
"""
from __future__ import annotations

import difflib
import hashlib
import io
import zipfile
from dataclasses import dataclass
from typing import Literal

from docx import Document
from docx.opc.exceptions import PackageNotFoundError
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from lxml import etree

from edo.docx_template import TemplateLimits, TemplateProblem, check_docx_file, configured_limits


@dataclass(frozen=True)
class ParagraphChange:
    kind: Literal["changed", "added", "removed"]
    # 1-based numbers among the non-empty paragraphs of each document; None where the
    # paragraph does not exist on that side
    generated_number: int | None
    edited_number: int | None
    generated_text: str | None
    edited_text: str | None


# Printed with the body, so read after it: a manager's change there is one the lawyer must see.
_PRINTED_PARTS = frozenset(f"application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}+xml"
                           for kind in ("header", "footer", "footnotes", "endnotes"))


def paragraphs(data: bytes, limits: TemplateLimits | None = None) -> list[str]:
    """The text of every non-empty paragraph of a .docx, body and tables in order, then its
    headers, footers and notes."""
    check_docx_file(data, limits or configured_limits())
    try:
        document = Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, etree.LxmlError):
        raise TemplateProblem("not_docx") from None
    texts = [paragraph_text(element, document.part) for element in document.element.body.iter(qn("w:p"))]
    for part in sorted(document.part.package.iter_parts(), key=lambda part: part.partname):
        if part.content_type in _PRINTED_PARTS:
            texts += [paragraph_text(element, part) for element in parse_xml(part.blob).iter(qn("w:p"))]
    return [text for text in texts if text]


_P, _T = qn("w:p"), qn("w:t")
_SPACING = {qn("w:tab"): "\t", qn("w:br"): "\n", qn("w:cr"): "\n"}
_BLIP, _IMAGEDATA = qn("a:blip"), "{urn:schemas-microsoft-com:vml}imagedata"
_EMBED, _RELATION_ID = qn("r:embed"), qn("r:id")


def paragraph_text(paragraph: etree._Element, part: Part) -> str:
    """All the text Word prints for a paragraph, stripped, a picture in it as a mark with
    its hash. Not python-docx's `.text`, which reads only the runs directly in it: a run
    inside a tracked insertion (w:ins), a content control or a smart tag is printed too,
    and a manager's clause hidden there, or drawn in a picture, must show."""
    pieces = []
    for node in paragraph.iter(_T, _BLIP, _IMAGEDATA, *_SPACING):
        if next(node.iterancestors(_P), None) is not paragraph:
            continue  # a text box's own paragraph, read as one of its own
        if node.tag == _T:
            pieces.append(node.text or "")
        elif node.tag in _SPACING:
            pieces.append(_SPACING[node.tag])
        else:
            pieces.append(_picture_mark(part, node.get(_EMBED) or node.get(_RELATION_ID)))
    return "".join(pieces).strip()


def _picture_mark(part: Part, relation_id: str | None) -> str:
    """The picture by what it is: the same picture marks the same in both files."""
    related = part.related_parts.get(relation_id) if relation_id else None
    return f"[зображення {hashlib.sha256(related.blob).hexdigest()[:12]}]" if related is not None else "[зображення]"


def paragraph_diff(generated: bytes, edited: bytes, limits: TemplateLimits | None = None) -> list[ParagraphChange]:
    """The paragraphs that differ between the generated contract and the edited one; empty when none."""
    before, after = paragraphs(generated, limits), paragraphs(edited, limits)
    changes: list[ParagraphChange] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if tag == "equal":
            continue
        # A replaced block pairs its paragraphs one to one; what is left over on either
        # side was removed or added.
        paired = min(a_end - a_start, b_end - b_start) if tag == "replace" else 0
        for offset in range(paired):
            i, j = a_start + offset, b_start + offset
            changes.append(ParagraphChange("changed", i + 1, j + 1, before[i], after[j]))
        for i in range(a_start + paired, a_end):
            changes.append(ParagraphChange("removed", i + 1, None, before[i], None))
        for j in range(b_start + paired, b_end):
            changes.append(ParagraphChange("added", None, j + 1, None, after[j]))
    return changes
