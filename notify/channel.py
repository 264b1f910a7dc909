"""What every outgoing channel (SMS, e-mail) promises the delivery engine."""
from __future__ import annotations


class ChannelError(Exception):
    """A provider refused a message or could not be reached.

    `code` is stable and ours (`notify.reasons` turns it into words staff read);
    `detail` is what the provider said; `permanent` means trying again cannot help
    (a bad number, a refused sender) while a transient error (timeout, 5xx, no money
    on the account) is retried with backoff.
    """

    def __init__(self, code: str, detail: str = "", *, permanent: bool):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.permanent = permanent
