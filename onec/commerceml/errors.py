"""A CommerceML file that cannot be read at all: the importer commits nothing from it."""
from __future__ import annotations


class CommerceMLError(Exception):
    """`code` is stable (the importer and the exchange log key on it); `detail` is for people."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
