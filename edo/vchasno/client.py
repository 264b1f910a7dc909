"""Vchasno EDO's API v2 through py-vchasno (the package the issue names), every failure
turned into `core.providers.ProviderError`.

How py-vchasno 0.2.0 is used, and where it falls short:
- It retries 429, 5xx and network failures itself, sleeping in the caller's thread:
  `max_retries=0`, so the outbox relay decides when to try again (our hook below
  raises on an error answer before its loop could retry; the setting stops its
  retries of timeouts and refused connections).
- Its errors keep the status and the body but not the headers, so a 429's Retry-After
  is lost, and 401 and 403 are one class whatever Vchasno's code. We therefore read
  every error answer ourselves, in a response hook of the httpx client it wraps, and
  raise our ProviderError from there (an exception of a hook passes through its
  transport untouched). The client is reached by a private attribute
  (`_transport._client`): py-vchasno takes no client or hooks of ours. The version is
  pinned, and every test of the adapter builds a client through that attribute.
- upload() sends the recipient's code as `edrpou` (it cannot send `recipient_edrpou`,
  the name Vchasno's newer clients use); the e-mail goes under both names.
- It refuses a plain-http base URL unless told: we allow it only to this machine (the
  emulator), so a token never crosses a network unencrypted.
"""
from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pydantic
from vchasno import Vchasno
from vchasno.exceptions import VchasnoError

from core.providers import ProviderError, retryable_status
from edo.vchasno.interface import CONTRACT_CATEGORY, STATUS_BATCH, VchasnoDocument

PROVIDER = "vchasno"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
# Vchasno's 403 codes: a token missing or wrong, and a company without the API tariff.
FORBIDDEN_CODES = {"login_required": "auth", "access_denied": "no_tariff"}
# Our signing flow (interface.py): the customer's signature only.
CUSTOMER_SIGNS_ONLY = {"first_sign_by": "recipient", "expected_owner_signatures": 0, "expected_recipient_signatures": 1}
# The longest Retry-After we honour: the outbox's own longest backoff. A wait of years (or
# "inf", "nan") is a broken header, and would overflow the relay's date arithmetic.
MAX_RETRY_AFTER_SECONDS = 3600.0


class VchasnoClient:
    """`EdoProvider` over Vchasno's API v2. Each call is one request (statuses: one per
    STATUS_BATCH ids; find_by_vendor_id: one per page), never retried here."""

    def __init__(self, base_url: str, token: str, *, timeout: float):
        host = urlsplit(base_url).hostname or ""
        try:
            self._api = Vchasno(
                token=token, base_url=base_url.rstrip("/"), timeout=timeout, max_retries=0,
                allow_http=host in LOOPBACK,
            )
        except ValueError as exc:  # http:// to another machine
            raise ProviderError(PROVIDER, "insecure_url", str(exc), retryable=False) from exc
        self._api._transport._client.event_hooks["response"] = [_refuse_errors]

    def upload(
        self, content: bytes, filename: str, *, vendor_id: str, recipient_edrpou: str, recipient_email: str,
        title: str, number: str, category: int = CONTRACT_CATEGORY,
    ) -> VchasnoDocument:
        with _calling("upload"):
            answer = self._api.documents.upload(
                io.BytesIO(content), filename=filename, category=category, recipient_edrpou=recipient_edrpou,
                email=recipient_email, recipient_emails=recipient_email, title=title, doc_number=number,
                vendor_id=vendor_id, **CUSTOMER_SIGNS_ONLY,
            )
            if len(answer.documents) != 1:
                raise _bad_answer(f"upload answered {len(answer.documents)} documents")
            return VchasnoDocument(answer.documents[0].id, answer.documents[0].status)

    def send(self, document_id: str) -> None:
        with _calling("send"):
            self._api.documents.send(document_id)

    def find_by_vendor_id(self, vendor_id: str, recipient_edrpou: str | None = None) -> list[VchasnoDocument]:
        found: list[VchasnoDocument] = []
        cursor: str | None = None
        only = {"recipient_edrpou": recipient_edrpou} if recipient_edrpou else {}
        with _calling("list"):
            while True:
                page = self._api.documents.list(vendor_id=vendor_id, cursor=cursor, **only)
                found += [VchasnoDocument(document.id, document.status) for document in page.documents]
                if not page.next_cursor or not page.documents:
                    return found
                cursor = page.next_cursor

    def statuses(self, document_ids: Sequence[str]) -> dict[str, int]:
        ids = list(dict.fromkeys(document_ids))  # one question per document
        found: dict[str, int] = {}
        with _calling("statuses"):
            for start in range(0, len(ids), STATUS_BATCH):
                answer = self._api.documents.statuses(ids[start:start + STATUS_BATCH])
                found.update((row.document_id, row.status_id) for row in answer.data_list)
        return found

    def download_original(self, document_id: str) -> bytes:
        with _calling("original"):
            return self._api.documents.download_original(document_id)

    def download_signature(self, document_id: str) -> bytes:
        with _calling("p7s"):
            return self._api.documents.download_p7s(document_id)

    def rejection_reason(self, document_id: str) -> str | None:
        with _calling("comments"):
            comments = self._api.comments.list_for_document(document_id)
        reasons = [comment.text for comment in comments if comment.type == "rejection" and comment.text]
        return reasons[-1] if reasons else None

    def is_registered(self, edrpou: str) -> bool:
        with _calling("check_company"):
            return self._api.company.check(edrpou=edrpou).is_registered

    def close(self) -> None:
        self._api.close()


def from_config(config: Mapping[str, Any]) -> VchasnoClient:
    return VchasnoClient(config["VCHASNO_BASE_URL"], config["VCHASNO_TOKEN"], timeout=config["VCHASNO_TIMEOUT"])


@contextmanager
def opened(config: Mapping[str, Any]) -> Iterator[VchasnoClient]:
    """A client for the length of a job, closed after it whatever happens."""
    client = from_config(config)
    try:
        yield client
    finally:
        client.close()


@contextmanager
def _calling(operation: str) -> Iterator[None]:
    """What did not come from an error answer (those raise in the hook): the network, and
    answers py-vchasno or its models cannot read."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise ProviderError(PROVIDER, "timeout", f"{operation}: {exc}", retryable=True) from exc
    except httpx.TransportError as exc:
        raise ProviderError(PROVIDER, "unreachable", f"{operation}: {exc}", retryable=True) from exc
    except (VchasnoError, pydantic.ValidationError) as exc:
        raise _bad_answer(f"{operation}: {exc}") from exc


def _bad_answer(detail: str) -> ProviderError:
    return ProviderError(PROVIDER, "bad_answer", detail[:500], retryable=False)


def _refuse_errors(response: httpx.Response) -> None:
    if not response.is_success:
        response.read()
        raise refusal(response)


def refusal(response: httpx.Response) -> ProviderError:
    """An error answer as ProviderError: Vchasno's JSON `{"code", "reason", "details"}`
    when it sent one (a gateway's 5xx is HTML)."""
    status = response.status_code
    body = _json_object(response.content)
    vchasno_code, reason = str(body.get("code") or ""), str(body.get("reason") or "")
    detail = f"HTTP {status}: {reason or response.text[:200]}"
    if status in (401, 403):
        code = FORBIDDEN_CODES.get(vchasno_code, vchasno_code or "auth")
        return ProviderError(PROVIDER, code, detail, retryable=False)
    if status == 404:
        return ProviderError(PROVIDER, "not_found", detail, retryable=False)
    if status == 429:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        return ProviderError(PROVIDER, "rate_limited", detail, retryable=True, retry_after=wait)
    if status >= 500:
        return ProviderError(PROVIDER, f"http_{status}", detail, retryable=True)
    return ProviderError(PROVIDER, vchasno_code or f"http_{status}", detail, retryable=retryable_status(status))


def _json_object(content: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(content)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def retry_after_seconds(retry_after: str | None) -> float | None:
    """Retry-After is seconds or an HTTP date (RFC 9110); anything else is not a wait.
    At most MAX_RETRY_AFTER_SECONDS."""
    if not retry_after:
        return None
    try:
        seconds = float(retry_after)
    except ValueError:
        try:
            when = parsedate_to_datetime(retry_after)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)
