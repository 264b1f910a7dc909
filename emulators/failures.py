"""What an emulator's `/_emulator/fail` arms: its next calls answer with a failure (a 5xx,
a late answer, a provider's error), one call used up each, so a test or a person at the
demo can watch the portal retry and recover."""
from __future__ import annotations

import threading
from typing import Generic, Protocol, TypeVar


class Spoiling(Protocol):
    count: int


F = TypeVar("F", bound=Spoiling)


class FailureSwitch(Generic[F]):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failure: F | None = None

    def arm(self, failure: F | None) -> None:
        """`None` disarms."""
        with self._lock:
            self._failure = failure

    def next(self) -> F | None:
        """The armed failure if it still has calls to spoil; uses one of them up."""
        with self._lock:
            failure = self._failure
            if failure is None or failure.count <= 0:
                return None
            failure.count -= 1
            return failure
