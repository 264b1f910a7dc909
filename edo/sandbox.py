"""The Jinja environment a contract template runs in: an upload, so nothing in it is trusted.

The sandbox refuses attributes such as `__class__` and `mro` (no way out to Python), the
globals are cut to a `range()` of at most MAX_RANGE items (no `lipsum`, whose size is the
caller's to choose), values are XML-escaped (a company called "Ромашка & Ко" must not break
the document) and an unknown name is an error rather than a silent blank. What a sandbox
cannot bound — loops nested inside loops, a filter asked for a gigabyte — the process the
render runs in bounds: see `edo.docx_template`.
"""
from __future__ import annotations

from jinja2 import StrictUndefined, nodes
from jinja2.sandbox import SandboxedEnvironment

# A contract has no use for long loops: a clause repeated a thousand times is a mistake.
MAX_RANGE = 1000


class RangeTooLong(Exception):
    def __init__(self, length: int) -> None:
        super().__init__(f"range of {length} items")
        self.length = length


def limited_range(*args: int) -> range:
    items = range(*args)
    if len(items) > MAX_RANGE:
        raise RangeTooLong(len(items))
    return items


def contract_environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    env.globals.clear()
    env.globals["range"] = limited_range
    return env


def private_names(tree: nodes.Template) -> list[str]:
    """Names after a dot (or in brackets) that start with "_": what an escape from the
    sandbox reaches for. The sandbox would stop them at render; the upload names them now."""
    found = [node.attr for node in tree.find_all(nodes.Getattr) if node.attr.startswith("_")]
    found += [
        node.arg.value
        for node in tree.find_all(nodes.Getitem)
        if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str) and node.arg.value.startswith("_")
    ]
    return sorted(set(found))
