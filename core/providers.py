"""What every adapter to an outside service (LiqPay, Atompark, SMTP, 1C, Vchasno) promises.

The rest of the code sees a provider through a small interface of its own feature and
hears of its failures through one error type: `ProviderError` says whether trying again
can help and carries the provider's own code, so the outbox relay (and any sender) decides
retries from it without knowing which provider failed.
"""
from __future__ import annotations


class ProviderError(Exception):
    """A provider refused a request, could not be reached, or answered nonsense.

    `provider`: who failed ("liqpay", "atompark", "smtp", ...).
    `code`: stable and ours or the provider's own ("timeout", "http_503", "err_access");
    staff pages turn it into words.
    `detail`: what the provider said, for the log.
    `retryable`: a timeout, a 5xx, a full queue: the same request may succeed later.
    Otherwise it is permanent (a bad number, a refused key, a malformed answer):
    repeating it cannot help, and the relay stops at once.
    `retry_after`: seconds the provider asked us to wait (a 429's Retry-After); the relay
    tries again no sooner than that, even when its own backoff would be shorter.
    """

    def __init__(
        self, provider: str, code: str, detail: str = "", *, retryable: bool, retry_after: float | None = None
    ):
        super().__init__(f"{provider} {code}: {detail}" if detail else f"{provider} {code}")
        self.provider = provider
        self.code = code
        self.detail = detail
        self.retryable = retryable
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        return not self.retryable


# Answers that say "not now" rather than "not this": a timed-out or throttled request
# (408, 425, 429) and every server-side failure (5xx) may pass when asked again; any
# other 4xx refuses the request itself, and repeating it repeats the refusal.
RETRYABLE_4XX = frozenset({408, 425, 429})


def retryable_status(http_status: int) -> bool:
    """Whether a provider's HTTP error status is worth another try."""
    return http_status >= 500 or http_status in RETRYABLE_4XX
