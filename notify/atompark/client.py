"""The only place that talks to Atompark SMS API v3 (https://atompark.com/bulk-sms-service/smsapiv3).

A thin httpx client: parameters as a form POST (Atompark recommends POST, so they stay
out of proxy logs), each request signed with `control_sum`. The same code talks to
Atompark or to the local emulator (another base_url): nothing here knows which.
"""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from collections.abc import Callable
from typing import Any

import httpx

from core.providers import retryable_status
from notify.atompark.interface import (
    PENDING,
    STATUSES,
    Campaign,
    DeliveryReport,
    SmsAccepted,
    atompark_error,
    provider_refusal,
)

VERSION = "3.0"
LIST_PAGE = 100
PROVIDER_TIME = "%Y-%m-%d %H:%M:%S"


def control_sum(params: dict[str, str], private_key: str) -> str:
    """md5 hex of the parameters' values concatenated in the order of their names, then
    the private key. `params` is everything sent except `sum`: `key`, `version` and
    `action` included, although the action also travels in the URL."""
    joined = "".join(params[name] for name in sorted(params)) + private_key
    return hashlib.md5(joined.encode()).hexdigest()


class AtomparkClient:
    """A `notify.gateways.SmsGateway`. One keep-alive httpx.Client, safe to share between
    threads (httpx's is). Every failure is a `ProviderError` of provider "atompark"."""

    def __init__(
        self, public_key: str, private_key: str, sender: str,
        base_url: str = "https://api.atompark.com/sms/3.0", timeout: float = 10.0,
    ):
        self._public_key = public_key
        self._private_key = private_key
        self.sender = sender
        # The trailing slash makes each method name a child of base_url's path.
        self._http = httpx.Client(base_url=base_url.rstrip("/") + "/", timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def send_sms(self, phone_e164: str, text: str) -> SmsAccepted:
        result = self._call(
            # Atompark takes the international number without the +; datetime "" sends
            # now and sms_lifetime 0 keeps trying for as long as Atompark allows.
            "sendSMS", sender=self.sender, text=text, phone=phone_e164.removeprefix("+"),
            datetime="", sms_lifetime="0",
        )
        return SmsAccepted(
            campaign_id=str(_field(result, "id", "sendSMS")),
            price=_decimal(_field(result, "price", "sendSMS")),
            currency=str(result.get("currency", "")),
        )

    def delivery_stats(self, campaign_id: str) -> list[DeliveryReport]:
        """One report per phone of the campaign (ours have one)."""
        result = self._call("getCampaignDeliveryStats", id=campaign_id)
        phones, statuses, done = (result.get(name) for name in ("phone", "status", "donedate"))
        if not (isinstance(phones, list) and isinstance(statuses, list) and isinstance(done, list)) or not (
            len(phones) == len(statuses) == len(done)
        ):
            raise atompark_error("provider_error", f"getCampaignDeliveryStats: not parallel arrays: {result!r:.200}")
        reports = []
        for phone, provider_status, done_date in zip(phones, statuses, done, strict=True):
            # Upper-cased: clients in the wild have seen "duplicate" next to "DELIVERED".
            status = STATUSES.get(str(provider_status).upper(), PENDING)
            reports.append(DeliveryReport(
                phone="+" + str(phone).removeprefix("+"),
                status=status,
                done_at=None if status == PENDING else _provider_time(done_date),
            ))
        return reports

    def campaigns(self, skip: int = 0, count: int = LIST_PAGE) -> list[Campaign]:
        """Campaigns of the account, newest first (getCampaignList)."""
        result = self._call("getCampaignList", **{"from": str(skip), "offset": str(count)})
        columns = [result.get(name, []) for name in ("id", "from", "body")]
        if not all(isinstance(column, list) for column in columns) or len({len(column) for column in columns}) > 1:
            raise atompark_error("provider_error", f"getCampaignList: not parallel arrays: {result!r:.200}")
        return [Campaign(str(campaign_id), str(sender), str(body)) for campaign_id, sender, body in zip(*columns, strict=True)]

    def find_campaigns(self, phone_e164: str, same_text: Callable[[str], bool], max_campaigns: int = 20000) -> list[str]:
        """Ids of our sender's campaigns whose text passes `same_text` and that went to
        this phone. sendSMS takes no id of ours, so this is the only way to learn whether
        a request whose answer we lost was received. The list is read to its end: "not
        found" among only the newest campaigns would send a second SMS once other messages
        pushed this one further back, so a list longer than `max_campaigns` is no answer."""
        candidates: list[str] = []
        for skip in range(0, max_campaigns, LIST_PAGE):
            page = self.campaigns(skip, LIST_PAGE)
            candidates += [c.campaign_id for c in page if c.sender == self.sender and same_text(c.body)]
            if len(page) < LIST_PAGE:
                break
        else:
            raise atompark_error("lookup_incomplete", f"getCampaignList: more than {max_campaigns} campaigns to look through")
        return [campaign_id for campaign_id in candidates
                if any(report.phone == phone_e164 for report in self.delivery_stats(campaign_id))]

    def balance(self, currency: str = "UAH") -> Decimal:
        result = self._call("getUserBalance", currency=currency)
        if result.get("currency") != currency:
            raise atompark_error(
                "provider_error", f"getUserBalance: asked in {currency}, answered in {result.get('currency')!r}"
            )
        return _decimal(_field(result, "balance_currency", "getUserBalance"))

    def _call(self, action: str, **args: str) -> dict[str, Any]:
        params = args | {"key": self._public_key, "version": VERSION, "action": action}
        params["sum"] = control_sum(params, self._private_key)
        try:
            response = self._http.post(action, data=params)
        except httpx.TimeoutException as exc:
            raise atompark_error("timeout", f"{action}: no answer in time: {exc}") from exc
        except httpx.HTTPError as exc:
            raise atompark_error("unreachable", f"{action}: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            code = "provider_error" if retryable_status(response.status_code) else "provider_refused"
            raise atompark_error(code, f"{action}: HTTP {response.status_code}: {response.text[:200]}")
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise atompark_error("provider_error", f"{action}: not a JSON object: {response.text[:200]}")
        # Atompark refuses with HTTP 200 and {"error": text, "code": code}.
        if body.get("error"):
            raise provider_refusal(str(body.get("code", "")), str(body["error"]))
        result = body.get("result")
        if not isinstance(result, dict):
            raise atompark_error("provider_error", f"{action}: no result object: {response.text[:200]}")
        return result


def _field(result: dict[str, Any], name: str, action: str) -> Any:
    if result.get(name) is None:
        raise atompark_error("provider_error", f"{action}: the result lacks {name}: {result!r:.200}")
    return result[name]


def _decimal(value: Any) -> Decimal:
    # str() first: Atompark sends JSON numbers, and Decimal(float) would keep the binary noise.
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = Decimal("NaN")
    if isinstance(value, bool) or not amount.is_finite():
        raise atompark_error("provider_error", f"{value!r} is not an amount")
    return amount


def _provider_time(value: Any) -> datetime | None:
    """Atompark's "YYYY-MM-DD HH:MM:SS", or None for its "0000-00-00 00:00:00". Its docs
    name no time zone; taken as UTC (the emulator writes UTC)."""
    try:
        return datetime.strptime(str(value), PROVIDER_TIME).replace(tzinfo=UTC)
    except ValueError:
        return None
