"""The process that opens and fills contract templates: one per worker, one fork per template.

Why not `multiprocessing`: a Celery prefork worker is a daemonic process, and multiprocessing
refuses to start a child from one; its forkserver also runs the program's main script again
in every child (gunicorn's or pytest's imports: 100-150 ms a render). This server is a
plain subprocess of the worker (`python -m edo.template_server`, started on first use by
`edo.docx_template`). It loads docxtpl and fills one small template once, so regular
expressions and Jinja's lexer are compiled before any child exists, freezes what it holds
out of the garbage collector (a child's collection would otherwise copy every page), then
for each request forks a child — safe here, the server has one thread — which limits its
address space, does the work and writes its outcome back. The server kills a child that
outlives its time and answers for it.

Every pipe carries `edo.frames`.
"""
from __future__ import annotations

import gc
import io
import os
import resource
import signal
import sys
import time
from typing import Any

from edo.frames import read_frame, write_frame

def _warm_up() -> None:
    from docx import Document

    from edo.docx_template import TemplateLimits, run
    from edo.fields import PLACEHOLDERS

    document = Document()
    document.sections[0].header.paragraphs[0].text = "{{ contract_number }}"
    document.add_paragraph("{% if company_name %}{{ company_name }}{% endif %}{% for i in range(2) %}{{ i }}{% endfor %}")
    document.add_table(rows=1, cols=1).cell(0, 0).text = "{{ company_iban }}"
    out = io.BytesIO()
    document.save(out)
    for operation, context in (("check", {}), ("render", {name: "" for name in PLACEHOLDERS})):
        outcome = run(operation, out.getvalue(), context, TemplateLimits())
        if outcome[0] != "ok":
            raise RuntimeError(f"warming up: {outcome}")


def _in_a_child(request: tuple[str, bytes, dict[str, Any], Any]) -> tuple[Any, ...]:
    from edo.docx_template import megabytes, number, run

    operation, data, context, limits = request
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: whatever happens, it ends here
        try:
            os.close(read_end)
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
            write_frame(write_end, run(operation, data, context, limits))
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        outcome = read_frame(read_end, time.monotonic() + limits.seconds)
    except TimeoutError:
        os.kill(pid, signal.SIGKILL)
        outcome = ("problem", "too_slow", {"seconds": number(limits.seconds)})
    except EOFError:
        outcome = None
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    if outcome is None:  # gone without a word: killed for its memory, or lxml crashed
        outcome = ("problem", "too_big_to_render", {"limit": megabytes(limits.memory_bytes)})
    return outcome


def main() -> None:
    requests, replies = sys.stdin.fileno(), os.dup(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # the replies pipe carries frames only
    _warm_up()
    gc.freeze()
    while (request := read_frame(requests, None)) is not None:
        write_frame(replies, _in_a_child(request))


if __name__ == "__main__":
    main()
