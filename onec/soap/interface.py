"""What the rest of the portal sees of the 1C web service: the answer to a post and the
one error type (`core.providers.ProviderError`, provider "onec")."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.providers import ProviderError

PROVIDER = "onec"
# The contract's fault codes (onec/WEBSERVICE.md, "Errors") and whether each is worth a
# retry; a fault that names no code is 1C's INTERNAL.
FAULT_CODES = {
    "VALIDATION": False,
    "UNKNOWN_COMPANY": False,
    "UNKNOWN_PRODUCT": False,
    "UNKNOWN_ORDER": False,
    "STATE_CONFLICT": False,
    "BUSY": True,
    "INTERNAL": True,
}


@dataclass(frozen=True)
class DocumentRef:
    """1C's document made (or found again) for what the portal posted."""

    portal_id: str
    onec_id: str
    number: str
    date: datetime  # aware, UTC
    created: bool  # false: a repeat of the same PortalId, 1C changed nothing


def onec_error(code: str, detail: str = "", *, retryable: bool) -> ProviderError:
    return ProviderError(PROVIDER, code, detail, retryable=retryable)
