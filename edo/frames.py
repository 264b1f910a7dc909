"""Frames between the template server, its children and the worker: an 8-byte length, then
a pickle of plain values. Only our own processes write them, and a child writes only what
`edo.docx_template.run` returned."""
from __future__ import annotations

import os
import pickle
import select
import struct
import time
from typing import Any

_HEADER = struct.Struct("!Q")


def write_frame(fd: int, value: Any) -> None:
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    data = memoryview(_HEADER.pack(len(body)) + body)
    while data:
        data = data[os.write(fd, data):]


def read_frame(fd: int, deadline: float | None) -> Any:
    """The next value, or None when the writer closed the pipe before a frame began.
    TimeoutError past the deadline (monotonic clock); EOFError on a frame cut short."""
    header = _read_exact(fd, _HEADER.size, deadline)
    if header is None:
        return None
    body = _read_exact(fd, _HEADER.unpack(header)[0], deadline)
    if body is None:
        raise EOFError("frame without a body")
    return pickle.loads(body)


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes | None:
    chunks: list[bytes] = []
    got = 0
    while got < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(size - got, 1 << 20))
        if not chunk:
            if got == 0:
                return None
            raise EOFError("frame cut short")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)
