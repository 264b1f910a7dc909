"""The contracts feature's settings: the supplier's side of every contract, how contracts are
numbered, sent and tracked, and Vchasno's connection (edo.vchasno.settings). Read from the
environment; the supplier's details default to the payments feature's (SUPPLIER_*), so a
distributor states them once."""
from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation
from typing import Any

from core.ids import edrpou_is_valid, iban_is_valid
from edo.vchasno.interface import CONTRACT_CATEGORY
from edo.vchasno.settings import VchasnoSettings


def _supplier(name: str, default: str) -> str:
    return os.environ.get(f"EDO_SUPPLIER_{name}") or os.environ.get(f"SUPPLIER_{name}") or default


class EdoSettings(VchasnoSettings):
    EDO_SUPPLIER_NAME = _supplier("NAME", "ТОВ «Оптовик Демо»")
    EDO_SUPPLIER_TAX_ID = _supplier("TAX_ID", "43210989")
    EDO_SUPPLIER_LEGAL_ADDRESS = _supplier("LEGAL_ADDRESS", "04071, м. Київ, вул. Нижній Вал, 17")
    EDO_SUPPLIER_IBAN = _supplier("IBAN", "UA743052990000026007233566001")
    EDO_SUPPLIER_BANK = _supplier("BANK", "АТ КБ «ПриватБанк»")
    EDO_SUPPLIER_SIGNER_NAME = _supplier("SIGNER_NAME", "Коваленко Сергій Петрович")
    EDO_SUPPLIER_SIGNER_POSITION = _supplier("SIGNER_POSITION", "директор")
    EDO_SUPPLIER_SIGNING_BASIS = _supplier("SIGNING_BASIS", "Статуту")
    # {year} and {seq} (a counter per calendar year, Kyiv time). Pad {seq} with zeros: the
    # next number is found as the largest one of the year, which must sort as a number does.
    EDO_CONTRACT_NUMBER_FORMAT = os.environ.get("EDO_CONTRACT_NUMBER_FORMAT", "Д-{year}-{seq:05d}")
    # A template or an edited contract uploaded in the backoffice; the template check has
    # its own limits on what the file unpacks to (edo.docx_template.TemplateLimits).
    EDO_TEMPLATE_MAX_MB = int(os.environ.get("EDO_TEMPLATE_MAX_MB", "5"))
    # The discount (percent of the goods of the next order) offered to a customer invited
    # to register in Vchasno; 0 still invites, without a discount.
    EDO_REGISTRATION_DISCOUNT_PERCENT = os.environ.get("EDO_REGISTRATION_DISCOUNT_PERCENT", "5")
    # Seconds between two questions to Vchasno about the statuses of the contracts sent.
    EDO_POLL_SECONDS = int(os.environ.get("EDO_POLL_SECONDS", "300"))
    # Seconds between two checks whether invited customers have registered, and how many
    # companies one check asks about (one call each: Vchasno answers one code per call).
    EDO_REGISTRATION_CHECK_SECONDS = int(os.environ.get("EDO_REGISTRATION_CHECK_SECONDS", "900"))
    EDO_REGISTRATION_CHECK_BATCH = int(os.environ.get("EDO_REGISTRATION_CHECK_BATCH", "100"))
    # Vchasno's document category of a contract ("Договір" is 3).
    EDO_CONTRACT_CATEGORY = int(os.environ.get("EDO_CONTRACT_CATEGORY", str(CONTRACT_CATEGORY)))
    # Send a PDF made by LibreOffice when the machine has it (the .docx otherwise).
    EDO_SEND_PDF = os.environ.get("EDO_SEND_PDF", "1").strip().lower() in ("1", "yes", "true", "on")


def registration_discount(config: Any) -> Decimal:
    return Decimal(str(config["EDO_REGISTRATION_DISCOUNT_PERCENT"]))


def check_edo_settings(config: Any) -> list[str]:
    problems = []
    if not edrpou_is_valid(config["EDO_SUPPLIER_TAX_ID"]):
        problems.append(f"EDO_SUPPLIER_TAX_ID={config['EDO_SUPPLIER_TAX_ID']!r} is not a valid ЄДРПОУ")
    if not iban_is_valid(config["EDO_SUPPLIER_IBAN"]):
        problems.append(f"EDO_SUPPLIER_IBAN={config['EDO_SUPPLIER_IBAN']!r} is not a valid IBAN")
    number_format = config["EDO_CONTRACT_NUMBER_FORMAT"]
    try:
        sample = number_format.format(year=2026, seq=1)
    except (KeyError, IndexError, ValueError):
        sample = ""
    if "{seq" not in number_format or not sample or len(sample) > 30:
        problems.append(f"EDO_CONTRACT_NUMBER_FORMAT={number_format!r} must name {{seq}} (and may name {{year}}), "
                        "and make numbers of at most 30 characters")
    try:
        percent = registration_discount(config)
        in_range = percent.is_finite() and Decimal(0) <= percent < Decimal(100)
    except InvalidOperation:
        in_range = False
    if not in_range:
        problems.append("EDO_REGISTRATION_DISCOUNT_PERCENT must be a number from 0 to under 100")
    if int(config["EDO_POLL_SECONDS"]) < 10:
        problems.append("EDO_POLL_SECONDS must be at least 10")
    return problems
