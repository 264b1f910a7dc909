"""Vchasno EDO API v2 on the wire: status codes, the error body and the checks of what
a client sends. Written from Vchasno's API instruction and the public clients named in
the package docstring, deliberately apart from our adapter (edo/), so a mistake there
cannot hide behind a shared copy."""
from __future__ import annotations

import re
from typing import Any

UPLOADED = 7000
READY = 7001
SENT_FOR_FIRST_SIGNATURE = 7002
OWNER_SIGNED = 7003
SENT_TO_RECIPIENT = 7004
REJECTED = 7006
RECIPIENT_SIGNED = 7007
FULLY_SIGNED = 7008
SENT_TO_SIGNERS = 7010
ANNULLED = 7011

STATUS_TEXT = {
    UPLOADED: "Завантажений",
    READY: "Готовий до підписання та надсилання",
    SENT_FOR_FIRST_SIGNATURE: "Надісланий контрагенту на перший підпис",
    OWNER_SIGNED: "Підписаний власником",
    SENT_TO_RECIPIENT: "Підписаний власником та надісланий контрагенту",
    REJECTED: "Відхилений",
    RECIPIENT_SIGNED: "Підписаний контрагентом, очікує інших підписів",
    FULLY_SIGNED: "Підписаний усіма сторонами",
    SENT_TO_SIGNERS: "Надісланий підписантам",
    ANNULLED: "Анульований",
}
# Where the recipient is the one who must act: what the page offers to sign or reject.
AWAITING_RECIPIENT = frozenset({SENT_FOR_FIRST_SIGNATURE, SENT_TO_RECIPIENT, RECIPIENT_SIGNED, SENT_TO_SIGNERS})
# A document in these states has nothing more to happen to it.
FINAL = frozenset({REJECTED, FULLY_SIGNED, ANNULLED})

# Vchasno: at most 500 document ids per POST /api/v2/documents/statuses.
MAX_STATUS_IDS = 500
# The emulator's own page size for GET /api/v2/documents (Vchasno pages with a cursor).
MAX_PAGE = 500
# Vchasno: one file up to 5 MB in the API instruction (15 MB in py-vchasno's README);
# the emulator takes the stricter.
MAX_FILE_BYTES = 5 * 1024 * 1024
# Vchasno's document categories: 3 is "Договір" (contract).
CONTRACT_CATEGORY = 3

TAX_ID = re.compile(r"\d{8}|\d{10}")  # ЄДРПОУ (8 digits) or РНОКПП of a ФОП (10)
EMAIL = re.compile(r"[^@\s,]+@[^@\s,]+\.[^@\s,]+")


class ApiError(Exception):
    """A refusal, answered as `{"code": ..., "reason": ..., "details": ...}` with `status`."""

    def __init__(self, status: int, code: str, reason: str, details: Any = None):
        super().__init__(f"{status} {code}: {reason}")
        self.status, self.code, self.reason, self.details = status, code, reason, details

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "reason": self.reason, "details": self.details}


def invalid(reason: str, details: Any = None) -> ApiError:
    return ApiError(400, "invalid_request", reason, details)


def not_found() -> ApiError:
    # The same answer for an id that does not exist and one of another company: Vchasno
    # does not tell a stranger that a document exists.
    return ApiError(404, "object_does_not_exist", "Документ не знайдено")


def login_required() -> ApiError:
    return ApiError(403, "login_required", "Токен не передано або він недійсний")


def no_tariff() -> ApiError:
    return ApiError(403, "access_denied", "Для роботи з API компанії потрібен тариф «Інтеграція»")


def too_many_requests() -> ApiError:
    return ApiError(429, "too_many_requests", "Перевищено ліміт запитів, повторіть пізніше")


def tax_id(value: Any, field: str) -> str:
    text = str(value or "").strip()
    if not TAX_ID.fullmatch(text):
        raise invalid(f"{field}: ЄДРПОУ — 8 цифр або РНОКПП — 10 цифр", {field: text})
    return text


def emails(value: str) -> list[str]:
    """Vchasno takes several recipient e-mails comma-separated in one parameter."""
    given = [part.strip() for part in value.split(",") if part.strip()]
    wrong = [email for email in given if not EMAIL.fullmatch(email)]
    if wrong:
        raise invalid("Невірна адреса e-mail", {"recipient_emails": wrong})
    return given


def whole(value: str | None, field: str, default: int, *, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise invalid(f"{field}: ціле число від {low} до {high}", {field: value})
    return int(value)


def truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")
