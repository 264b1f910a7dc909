"""The default store: files in a local directory (instance/files)."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

CHUNK = 64 * 1024


class LocalDirectoryStore:
    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        # A key is ours (a hash), but a key that names a place outside the store must
        # never be opened or written, whatever put it in the database.
        if not key or path == self.root or not path.is_relative_to(self.root):
            raise ValueError(f"file key {key!r} points outside the file store")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if path.exists():  # same key, same content
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside its final place and renamed: a reader (or a crash) never meets
        # half a file under the key; two writers of one key both rename whole files.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> Iterator[bytes]:
        path = self._path(key)  # refused at the call, not at the first chunk
        return self._chunks(path)

    @staticmethod
    def _chunks(path: Path) -> Iterator[bytes]:
        with path.open("rb") as source:
            while chunk := source.read(CHUNK):
                yield chunk

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()
