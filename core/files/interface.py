"""What every file store promises, and how a file's key is made."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol


class FileStore(Protocol):
    """Bytes under a key. Keys come from `key_for` (the content's SHA-256), so a key is
    written once and never changes: no overwrite or rename to get wrong, and the same
    file uploaded twice is stored once."""

    def put(self, key: str, data: bytes) -> None: ...

    def open(self, key: str) -> Iterator[bytes]:
        """The file in chunks, so a large one never has to sit in memory whole."""
        ...

    def exists(self, key: str) -> bool: ...


def key_for(sha256: str) -> str:
    # Two levels of fan-out keep any one directory (or S3 listing prefix) small.
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"
