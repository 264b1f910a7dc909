"""What the contracts feature sees of Vchasno EDO: one document's id and status, the
status codes, and the operations of `EdoProvider`.

The signing flow is the customer's signature only: a contract is uploaded with
`first_sign_by=recipient` and `expected_owner_signatures=0`, then sent (7001 → 7002), and
the customer's qualified signature makes it 7008 at once. The portal holds no qualified
key of its company (a server cannot apply a КЕП without a cloud signer or an HSM of
its own), and the issue keeps the manager out of the loop, so nobody on our side would
be there to sign first; with an owner signature expected, every contract would wait at
7001 for a person.

Every failure is `core.providers.ProviderError` with provider "vchasno" and one of the
codes: auth (the token is missing or wrong), no_tariff (the company lacks Vchasno's
"Інтеграція" tariff), not_found, rate_limited (retryable, `retry_after` seconds),
timeout / unreachable / http_5xx (retryable), bad_answer (an answer we cannot read), or
Vchasno's own code of any other refusal (invalid_request, invalid_document_status...).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# Vchasno's document status codes.
UPLOADED = 7000  # no recipient yet
READY = 7001  # ready to be signed and sent
SENT_FOR_FIRST_SIGNATURE = 7002  # sent to the customer, who signs first (our flow)
OWNER_SIGNED = 7003
SENT_TO_RECIPIENT = 7004  # owner signed and sent
REJECTED = 7006
RECIPIENT_SIGNED = 7007  # the customer signed, other signatures still expected
FULLY_SIGNED = 7008
SENT_TO_SIGNERS = 7010
ANNULLED = 7011

# Nothing more happens to a document in these: its tracking stops.
FINAL = frozenset({REJECTED, FULLY_SIGNED, ANNULLED})

# Vchasno's document category "Договір".
CONTRACT_CATEGORY = 3

# Vchasno answers at most this many ids per status call.
STATUS_BATCH = 500


@dataclass(frozen=True)
class VchasnoDocument:
    id: str
    status: int


class EdoProvider(Protocol):
    def upload(
        self, content: bytes, filename: str, *, vendor_id: str, recipient_edrpou: str, recipient_email: str,
        title: str, number: str, category: int = CONTRACT_CATEGORY,
    ) -> VchasnoDocument:
        """Upload a document for the customer's signature (READY). `vendor_id` is our id of
        it (the contract's), by which `find_by_vendor_id` finds it again. Vchasno does
        not refuse a second upload with the same vendor_id: look before uploading again."""

    def send(self, document_id: str) -> None:
        """Send a READY document to the customer (→ SENT_FOR_FIRST_SIGNATURE): Vchasno
        e-mails and texts them. A document already sent is refused
        (invalid_document_status): check its status first when resuming."""

    def find_by_vendor_id(self, vendor_id: str, recipient_edrpou: str | None = None) -> list[VchasnoDocument]:
        """Every document uploaded with this vendor_id (to this recipient, when named),
        oldest first."""

    def statuses(self, document_ids: Sequence[str]) -> dict[str, int]:
        """The status of each id, in calls of at most STATUS_BATCH ids. An id Vchasno does
        not know (or of another company) is absent from the answer."""

    def download_original(self, document_id: str) -> bytes: ...

    def download_signature(self, document_id: str) -> bytes:
        """The signature container (.p7s) of a signed document."""

    def rejection_reason(self, document_id: str) -> str | None:
        """What the customer wrote when rejecting the document; None if it was not rejected."""

    def is_registered(self, edrpou: str) -> bool:
        """Whether a company (ЄДРПОУ, or a ФОП's РНОКПП) is registered in Vchasno."""

    def close(self) -> None: ...
