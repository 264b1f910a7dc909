"""What the parts of an import share: the tally of one file and the options."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from onec.models import SKIPPED_KEPT

# 1C's Ид is a GUID; the columns that keep one hold 36 characters.
ID_LENGTH = 36


@dataclass
class Tally:
    """What one file changed, and what it left out and why."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    skipped_items: list[dict[str, Any]] = field(default_factory=list)

    def skip(self, ref: str | None, reason: str, detail: str) -> None:
        self.skipped += 1
        if len(self.skipped_items) < SKIPPED_KEPT:
            self.skipped_items.append({"ref": ref, "reason": reason, "detail": detail})

    def takes_id(self, ref: str) -> bool:
        """Whether an Ид fits the columns; one that does not is skipped, not cut."""
        if len(ref) <= ID_LENGTH:
            return True
        self.skip(ref[:100], "bad_id", f"an Ид longer than {ID_LENGTH} characters")
        return False


@dataclass
class Options:
    chunk: int = 2000
    currencies: Sequence[str] = ("UAH", "ГРН", "980")
    # Where the package's image files are (1C names them relative to its folder); None: not kept.
    files_dir: Path | None = None
