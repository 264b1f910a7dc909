"""The contracts feature's settings and their defaults (read from the environment):
Vchasno's connection (edo/vchasno/settings.py) and how contracts are sent and tracked."""
from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation
from typing import Any

from edo.vchasno.interface import CONTRACT_CATEGORY
from edo.vchasno.settings import VchasnoSettings


class EdoSettings(VchasnoSettings):
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
