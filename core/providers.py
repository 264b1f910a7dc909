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
    """

    def __init__(self, provider: str, code: str, detail: str = "", *, retryable: bool):
        super().__init__(f"{provider} {code}: {detail}" if detail else f"{provider} {code}")
        self.provider = provider
        self.code = code
        self.detail = detail
        self.retryable = retryable

    @property
    def permanent(self) -> bool:
        return not self.retryable
