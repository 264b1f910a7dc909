"""What the emulated Vchasno remembers: the companies registered in it and every document
uploaded through the API, with its signatures, comments and history. One lock around
plain dicts: a request holds it for a few dict operations, so a batch of 500 statuses is
a dictionary lookup each and many server threads can call at once."""
from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import emulators.vchasno.protocol as p
from emulators.failures import FailureSwitch

FAILURE_MODES = ("server_error", "rate_limited", "no_tariff", "slow")
# Registered in the emulated Vchasno from the start (the demo's customers that "already use
# Vchasno"); any other code is unregistered until the page or /_emulator/register adds it.
SEED_COMPANIES = {
    "32855961": "ТОВ «Ресторанна група Смак»",
    "41234565": "ТОВ «Кав'ярні Зерно»",
    "2980317653": "ФОП Коваленко Ірина Петрівна",
}


@dataclass
class Failure:
    mode: str
    count: int
    retry_after: int
    seconds: int = 0  # "slow": how long the call waits before it is answered as usual


@dataclass(frozen=True)
class Signature:
    side: str  # "owner" or "recipient"
    edrpou: str
    signer: str
    signed_at: datetime
    serial_number: str


@dataclass(frozen=True)
class Event:
    at: datetime
    status: int
    actor: str
    note: str


@dataclass
class Document:
    id: str
    owner: str
    vendor_id: str | None
    title: str
    number: str | None
    category: int
    filename: str
    content: bytes
    recipient_edrpou: str | None
    recipient_emails: list[str]
    first_sign_by: str
    owner_expected: int
    recipient_expected: int
    created_at: datetime
    status: int = p.UPLOADED
    finished_at: datetime | None = None
    signatures: list[Signature] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    history: list[Event] = field(default_factory=list)

    @property
    def extension(self) -> str:
        _, dot, ext = self.filename.rpartition(".")
        return f".{ext.lower()}" if dot else ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def signed_by(self, side: str) -> int:
        return sum(1 for signature in self.signatures if signature.side == side)

    @property
    def owner_done(self) -> bool:
        return self.signed_by("owner") >= self.owner_expected

    @property
    def recipient_done(self) -> bool:
        return self.signed_by("recipient") >= self.recipient_expected

    @property
    def recipient_may_act(self) -> bool:
        """Sent to the recipient and still waiting for its signature: the page's buttons."""
        return self.status in p.AWAITING_RECIPIENT and not self.recipient_done

    def move(self, status: int, actor: str, note: str = "") -> None:
        now = datetime.now(UTC)
        self.status = status
        if status in p.FINAL:
            self.finished_at = now
        self.history.append(Event(now, status, actor, note))


class Office:
    def __init__(self, owners: Mapping[str, str], companies: Mapping[str, str]):
        """`owners`: the API token -> the ЄДРПОУ of the company it belongs to.
        `companies`: registered from the start, ЄДРПОУ -> name."""
        self.owners = dict(owners)
        self.initial_companies = dict(companies) | {edrpou: f"Компанія {edrpou}" for edrpou in self.owners.values()}
        self._lock = threading.Lock()
        self.failures: FailureSwitch[Failure] = FailureSwitch()
        self.reset()

    def reset(self) -> None:
        """The seeded companies again, no documents, no armed failure."""
        with self._lock:
            self.companies: dict[str, str] = dict(self.initial_companies)
            self.documents: dict[str, Document] = {}
            self.failures.arm(None)

    # -- companies ----------------------------------------------------------------

    def register(self, edrpou: str, name: str) -> None:
        with self._lock:
            self.companies[edrpou] = name

    def check(self, edrpou: str) -> dict[str, Any]:
        with self._lock:
            name = self.companies.get(edrpou)
        return {"edrpou": edrpou, "name": name or "", "is_registered": name is not None}

    # -- the owner's API ----------------------------------------------------------

    def upload(self, owner: str, document: Document) -> Document:
        with self._lock:
            document.history.append(Event(document.created_at, p.UPLOADED, owner, "завантажено через API"))
            if document.recipient_edrpou:
                document.move(p.READY, owner, f"контрагент {document.recipient_edrpou}")
            self.documents[document.id] = document
            return document

    def seed(self, documents: list[Document]) -> None:
        """Many documents at once, as if each was uploaded with its recipient (7001)."""
        with self._lock:
            for document in documents:
                document.history.append(Event(document.created_at, p.UPLOADED, document.owner, "створено /_emulator/seed"))
                document.move(p.READY, document.owner, f"контрагент {document.recipient_edrpou}")
                self.documents[document.id] = document

    def find(self, owner: str, document_id: str) -> Document:
        with self._lock:
            document = self.documents.get(document_id)
        if document is None or document.owner != owner:
            raise p.not_found()
        return document

    def listing(self, owner: str, match: Mapping[str, Any]) -> list[Document]:
        """The owner's documents in upload order, those matching every given filter."""
        with self._lock:
            mine = [document for document in self.documents.values() if document.owner == owner]
        ids = set(match.get("ids") or ())
        return [
            document for document in mine
            if (not ids or document.id in ids)
            and match.get("vendor_id") in (None, document.vendor_id)
            and match.get("status") in (None, document.status)
            and match.get("recipient_edrpou") in (None, document.recipient_edrpou)
        ]

    def statuses(self, owner: str, ids: Iterable[str]) -> list[dict[str, Any]]:
        """One row per known id of this owner; ids Vchasno does not know are left out."""
        with self._lock:
            found = [self.documents.get(document_id) for document_id in ids]
        return [
            {"document_id": document.id, "status_id": document.status, "status_text": p.STATUS_TEXT[document.status]}
            for document in found if document is not None and document.owner == owner
        ]

    def owner_sign(self, owner: str, document_id: str, serial_number: str) -> Document:
        document = self.find(owner, document_id)
        with self._lock:
            waiting_for_owner = (
                document.status in (p.UPLOADED, p.READY, p.OWNER_SIGNED)
                if document.first_sign_by == "owner" else document.status == p.RECIPIENT_SIGNED and document.recipient_done
            )
            if not waiting_for_owner or document.owner_done:
                raise _wrong_status(document, "власник не може підписати документ")
            document.signatures.append(Signature("owner", owner, "Підписант власника", datetime.now(UTC), serial_number))
            done = document.owner_done and document.recipient_done
            document.move(p.FULLY_SIGNED if done else p.OWNER_SIGNED, owner, "підпис власника")
            return document

    def send(self, owner: str, document_id: str) -> Document:
        document = self.find(owner, document_id)
        with self._lock:
            if document.status == p.UPLOADED:
                raise p.invalid("У документа немає контрагента: вкажіть recipient_edrpou")
            if document.status == p.READY and (document.first_sign_by == "recipient" or document.owner_expected == 0):
                document.move(p.SENT_FOR_FIRST_SIGNATURE, owner, "надіслано контрагенту на перший підпис")
            elif document.status == p.OWNER_SIGNED and document.owner_done and document.recipient_edrpou:
                document.move(p.SENT_TO_RECIPIENT, owner, "надіслано контрагенту")
            else:
                raise _wrong_status(document, "документ не можна надіслати")
            return document

    # -- the recipient (the page and the test controls) ---------------------------

    def recipient_sign(self, document_id: str, signer: str) -> Document:
        """The customer signs in Vchasno; signing registers its company there, as it does
        for a real customer who must log in with a key to sign."""
        with self._lock:
            document = self._any(document_id)
            if not document.recipient_may_act:
                raise _wrong_status(document, "контрагент не може підписати документ")
            edrpou = document.recipient_edrpou or ""
            self.companies.setdefault(edrpou, f"Компанія {edrpou}")
            serial = hashlib.sha1(f"{document.id}:{len(document.signatures)}".encode()).hexdigest()[:16].upper()
            document.signatures.append(Signature("recipient", edrpou, signer, datetime.now(UTC), serial))
            done = document.owner_done and document.recipient_done
            document.move(p.FULLY_SIGNED if done else p.RECIPIENT_SIGNED, edrpou, f"підписав {signer}")
            return document

    def recipient_reject(self, document_id: str, reason: str) -> Document:
        with self._lock:
            document = self._any(document_id)
            if not document.recipient_may_act:
                raise _wrong_status(document, "контрагент не може відхилити документ")
            edrpou = document.recipient_edrpou or ""
            now = datetime.now(UTC)
            document.comments.append({
                "id": str(uuid.uuid4()), "text": reason, "type": "rejection", "edrpou": edrpou,
                "date_created": now.isoformat(), "is_internal": False,
            })
            document.move(p.REJECTED, edrpou, reason)
            return document

    def force_status(self, document_id: str, status: int) -> Document:
        """A test control: put a document into any status (7010, 7011 have no other way here)."""
        with self._lock:
            document = self._any(document_id)
            document.move(status, "emulator", "встановлено /_emulator/status")
            return document

    def _any(self, document_id: str) -> Document:
        document = self.documents.get(document_id)
        if document is None:
            raise p.not_found()
        return document

    def snapshot(self) -> list[Document]:
        with self._lock:
            return list(self.documents.values())


def _wrong_status(document: Document, what: str) -> p.ApiError:
    return p.ApiError(
        400, "invalid_document_status", f"{what} у статусі {document.status} ({p.STATUS_TEXT[document.status]})",
        {"status": document.status},
    )
