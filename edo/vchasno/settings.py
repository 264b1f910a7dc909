"""Vchasno's settings and their defaults (read from the environment); the contracts
feature declares this class as (part of) its settings."""
from __future__ import annotations

import os


class VchasnoSettings:
    # The API's base URL; the demo and the tests point it at the emulator
    # (emulators/vchasno). Plain http is accepted only to this machine (client.py).
    VCHASNO_BASE_URL = os.environ.get("VCHASNO_BASE_URL", "https://edo.vchasno.ua")
    # The company's API token (Vchasno: Налаштування → Інтеграція); needs the "Інтеграція" tariff.
    VCHASNO_TOKEN = os.environ.get("VCHASNO_TOKEN", "")
    # Seconds to wait for Vchasno (connect, read, write) before the call counts as failed
    # and the outbox tries again later.
    VCHASNO_TIMEOUT = float(os.environ.get("VCHASNO_TIMEOUT", "20"))
