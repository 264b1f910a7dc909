"""The 1C feature's settings and their defaults (read from the environment)."""
from __future__ import annotations

import os
from typing import Any


class OnecSettings:
    # The credentials 1C's "exchange with website" is given (HTTP Basic on /1c/exchange);
    # the password is a secret (onec/feature.py).
    ONEC_EXCHANGE_USER = os.environ.get("ONEC_EXCHANGE_USER", "1c-exchange")
    # Where uploaded exchange files wait for their import.
    ONEC_EXCHANGE_DIR = os.environ.get("ONEC_EXCHANGE_DIR", "instance/onec-exchange")
    # No successful exchange for this long raises a stalled-exchange event.
    ONEC_STALE_AFTER_MINUTES = int(os.environ.get("ONEC_STALE_AFTER_MINUTES", "60"))
    # Prices in another currency are skipped with a reason: the portal sells in hryvnias.
    ONEC_ACCEPTED_CURRENCIES = os.environ.get("ONEC_ACCEPTED_CURRENCIES", "UAH,ГРН,980")
    # Items read, looked up and written together: one query per chunk, not per item.
    ONEC_IMPORT_CHUNK = int(os.environ.get("ONEC_IMPORT_CHUNK", "2000"))


def accepted_currencies(config: Any) -> list[str]:
    return [c.strip() for c in str(config["ONEC_ACCEPTED_CURRENCIES"]).split(",") if c.strip()]


def check_onec_settings(config: Any) -> list[str]:
    problems = []
    if not str(config["ONEC_EXCHANGE_USER"]).strip():
        problems.append("ONEC_EXCHANGE_USER is empty")
    if config["ONEC_STALE_AFTER_MINUTES"] < 1:
        problems.append("ONEC_STALE_AFTER_MINUTES must be at least 1")
    if not accepted_currencies(config):
        problems.append("ONEC_ACCEPTED_CURRENCIES names no currency")
    if config["ONEC_IMPORT_CHUNK"] < 1:
        problems.append("ONEC_IMPORT_CHUNK must be at least 1")
    return problems
