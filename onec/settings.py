"""The 1C feature's settings and their defaults (read from the environment)."""
from __future__ import annotations

import os
from typing import Any

from limits import parse, parse_many


class OnecSettings:
    # The credentials 1C's "exchange with website" is given (HTTP Basic on /1c/exchange);
    # the password is a secret (onec/feature.py).
    ONEC_EXCHANGE_USER = os.environ.get("ONEC_EXCHANGE_USER", "1c-exchange")
    ONEC_EXCHANGE_PASSWORD = os.environ.get("ONEC_EXCHANGE_PASSWORD") or None
    # Where uploaded exchange files wait for their import.
    ONEC_EXCHANGE_DIR = os.environ.get("ONEC_EXCHANGE_DIR", "instance/onec-exchange")
    # No successful exchange for this long raises a stalled-exchange event.
    ONEC_STALE_AFTER_MINUTES = int(os.environ.get("ONEC_STALE_AFTER_MINUTES", "60"))
    # Prices in another currency are skipped with a reason: the portal sells in hryvnias.
    ONEC_ACCEPTED_CURRENCIES = os.environ.get("ONEC_ACCEPTED_CURRENCIES", "UAH,ГРН,980")
    # Items read, looked up and written together: one query per chunk, not per item.
    ONEC_IMPORT_CHUNK = int(os.environ.get("ONEC_IMPORT_CHUNK", "2000"))
    # /1c/exchange: refusals (bad credentials, a missing or expired cookie, a bad file name,
    # an archive refused...) counted per address; past the limit the endpoint answers 429.
    ONEC_EXCHANGE_RATE_LIMIT = os.environ.get("ONEC_EXCHANGE_RATE_LIMIT", "20 per minute;200 per hour")
    # Refusals kept as exchange runs, all addresses together; past it they go to the process
    # log only (a flood from many addresses cannot fill the table).
    ONEC_EXCHANGE_REFUSAL_LOG_LIMIT = os.environ.get("ONEC_EXCHANGE_REFUSAL_LOG_LIMIT", "500 per hour")
    # How long the cookie checkauth gives stays good (1C uses it for one exchange).
    ONEC_EXCHANGE_SESSION_MINUTES = int(os.environ.get("ONEC_EXCHANGE_SESSION_MINUTES", "60"))
    # init's answer: whether 1C may send the package as one zip archive, and the largest
    # body of one POST in bytes (1C splits a larger file into several POSTs).
    ONEC_EXCHANGE_ZIP = os.environ.get("ONEC_EXCHANGE_ZIP", "yes").strip().lower() in ("1", "yes", "true", "on")
    ONEC_EXCHANGE_FILE_LIMIT = int(os.environ.get("ONEC_EXCHANGE_FILE_LIMIT", str(8 * 1024 * 1024)))
    # What one exchange may write into its folder, uploads and unpacked archives together.
    ONEC_EXCHANGE_MAX_MB = int(os.environ.get("ONEC_EXCHANGE_MAX_MB", "2048"))
    # What all sessions together may have written (sessions are not limited in number; an
    # expired one's folder stays until the sweep, onec.exchange_sweep).
    ONEC_EXCHANGE_TOTAL_MB = int(os.environ.get("ONEC_EXCHANGE_TOTAL_MB", "8192"))
    # An archive member packed tighter than this (unpacked / packed) is refused unread: 1C's
    # XML packs about 10-30 to one; a zip bomb, thousands.
    ONEC_EXCHANGE_ZIP_MAX_RATIO = int(os.environ.get("ONEC_EXCHANGE_ZIP_MAX_RATIO", "200"))
    ONEC_EXCHANGE_ZIP_MAX_MEMBERS = int(os.environ.get("ONEC_EXCHANGE_ZIP_MAX_MEMBERS", "100000"))
    # An import runs beside the request (a file commits whole, and a large one outlasts a
    # request's timeout); each import call waits this long for it before answering progress.
    ONEC_EXCHANGE_IMPORT_WAIT_SECONDS = float(os.environ.get("ONEC_EXCHANGE_IMPORT_WAIT_SECONDS", "20"))
    # An import with no end after this long died with its process: answered failure.
    ONEC_EXCHANGE_IMPORT_LOST_MINUTES = int(os.environ.get("ONEC_EXCHANGE_IMPORT_LOST_MINUTES", "30"))
    # Orders one sale query sends; the rest go in the next exchange.
    ONEC_EXCHANGE_SALE_BATCH = int(os.environ.get("ONEC_EXCHANGE_SALE_BATCH", "500"))
    # The encoding of the orders document: UTF-8, or windows-1251 for old configurations.
    ONEC_EXCHANGE_SALE_ENCODING = os.environ.get("ONEC_EXCHANGE_SALE_ENCODING", "utf-8")
    # The PortalExchange web service 1C publishes (onec/WEBSERVICE.md), e.g.
    # https://<host>/<base>/ws/portal_exchange.1cws; empty: the web service is not used
    # and no SOAP call is made (1C then exchanges by CommerceML only).
    ONEC_SERVICE_URL = os.environ.get("ONEC_SERVICE_URL", "").strip()
    # The 1C user the portal calls as (HTTP Basic). The password is not a `Secret`: it is
    # needed only when ONEC_SERVICE_URL is set (check_onec_settings says so).
    ONEC_SERVICE_USER = os.environ.get("ONEC_SERVICE_USER", "portal")
    ONEC_SERVICE_PASSWORD = os.environ.get("ONEC_SERVICE_PASSWORD", "")
    # Seconds to wait for 1C's answer to one call (connecting: at most 5 of them).
    ONEC_SERVICE_TIMEOUT = float(os.environ.get("ONEC_SERVICE_TIMEOUT", "10"))
    # Items asked for per GetChanges page (the contract allows 1 to 1000).
    ONEC_PULL_LIMIT = int(os.environ.get("ONEC_PULL_LIMIT", "500"))
    # Seconds between scheduled pulls of every entity (Celery beat, the demo's loop).
    ONEC_PULL_SECONDS = int(os.environ.get("ONEC_PULL_SECONDS", "60"))


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
    if config["ONEC_EXCHANGE_TOTAL_MB"] < config["ONEC_EXCHANGE_MAX_MB"]:
        problems.append("ONEC_EXCHANGE_TOTAL_MB must be at least ONEC_EXCHANGE_MAX_MB")
    for name in ("ONEC_EXCHANGE_SESSION_MINUTES", "ONEC_EXCHANGE_FILE_LIMIT", "ONEC_EXCHANGE_MAX_MB",
                 "ONEC_EXCHANGE_ZIP_MAX_RATIO", "ONEC_EXCHANGE_ZIP_MAX_MEMBERS", "ONEC_EXCHANGE_SALE_BATCH",
                 "ONEC_EXCHANGE_IMPORT_LOST_MINUTES"):
        if config[name] < 1:
            problems.append(f"{name} must be at least 1")
    for name, read, example in (("ONEC_EXCHANGE_RATE_LIMIT", parse_many, "20 per minute;200 per hour"),
                                ("ONEC_EXCHANGE_REFUSAL_LOG_LIMIT", parse, "500 per hour")):
        try:
            read(str(config[name]))
        except ValueError:
            problems.append(f"{name} is not a rate limit like '{example}'")
    if config["ONEC_EXCHANGE_IMPORT_WAIT_SECONDS"] < 0:
        problems.append("ONEC_EXCHANGE_IMPORT_WAIT_SECONDS must not be negative")
    if str(config["ONEC_EXCHANGE_SALE_ENCODING"]).lower() not in ("utf-8", "windows-1251"):
        problems.append("ONEC_EXCHANGE_SALE_ENCODING must be utf-8 or windows-1251")
    url = str(config["ONEC_SERVICE_URL"])
    if url and not url.startswith(("https://", "http://")):
        problems.append("ONEC_SERVICE_URL must be an http(s):// address of the 1C web service")
    if url and not (config["ONEC_SERVICE_USER"] and config["ONEC_SERVICE_PASSWORD"]):
        problems.append("ONEC_SERVICE_USER and ONEC_SERVICE_PASSWORD are required when ONEC_SERVICE_URL is set")
    if not config["ONEC_SERVICE_TIMEOUT"] > 0:
        problems.append("ONEC_SERVICE_TIMEOUT must be more than 0 seconds")
    if not 1 <= config["ONEC_PULL_LIMIT"] <= 1000:
        problems.append("ONEC_PULL_LIMIT must be from 1 to 1000 (the contract's limit)")
    if config["ONEC_PULL_SECONDS"] < 1:
        problems.append("ONEC_PULL_SECONDS must be at least 1")
    return problems
