"""The process that fills templates: it serves Celery's daemonic workers and outlives its own death."""
from __future__ import annotations

import os
import signal

from billiard import Pool

from edo import docx_template
from edo.docx_template import render
from tests.edo.documents import contract_fields, docx, texts


def _fill() -> list[str]:
    return texts(render(docx("{{ company_name }}"), contract_fields()))


def test_a_celery_pool_worker_fills_a_template():
    # Celery's prefork workers are billiard's daemonic processes, which multiprocessing
    # forbids to have children of their own.
    with Pool(1) as pool:
        assert pool.apply(_fill)[0] == "ТОВ «Ромашка & Ко»"


def test_a_server_that_died_is_replaced_on_the_next_call():
    assert _fill()[0] == "ТОВ «Ромашка & Ко»"
    first = docx_template._server
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    assert _fill()[0] == "ТОВ «Ромашка & Ко»"
    assert docx_template._server.pid != first.pid
