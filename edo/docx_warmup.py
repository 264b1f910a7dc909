"""Imported only by the server that forks the template children (`edo.docx_template`).

A process that has never filled a template compiles docxtpl's regular expressions and
Jinja's lexer on its first one, which costs several times the filling itself. The server
fills one small template here, once, so every child forked from it starts with them
compiled.
"""
from __future__ import annotations

import gc
import io
import os
from multiprocessing import spawn

from docx import Document

from edo.docx_template import MAIN_PATH_VARIABLE, _check, _render
from edo.fields import PLACEHOLDERS


def _warm_up() -> None:
    document = Document()
    document.sections[0].header.paragraphs[0].text = "{{ contract_number }}"
    document.add_paragraph("{% if company_name %}{{ company_name }}{% endif %}{% for i in range(2) %}{{ i }}{% endfor %}")
    document.add_table(rows=1, cols=1).cell(0, 0).text = "{{ company_iban }}"
    out = io.BytesIO()
    document.save(out)
    _check(out.getvalue(), {})
    _render(out.getvalue(), {name: "" for name in PLACEHOLDERS})


if os.environ.get(MAIN_PATH_VARIABLE):
    spawn.import_main_path(os.environ[MAIN_PATH_VARIABLE])
_warm_up()
# Everything the server holds now is kept out of the children's garbage collections: a
# collection touching each of these objects would copy every page of them into the child.
gc.freeze()
