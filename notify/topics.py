"""The topics notify publishes, and those its messages await from packages not built yet."""
from __future__ import annotations

from core.outbox import Topic

TOPICS = [
    Topic("prices.changed", "a company's prices changed since its last digest"),
    # Raised in the transaction that queued them, so the kick follows their commit.
    Topic("messages.queued", "messages were queued: the sender may start now"),
]

# Messages are ready for these (notify/events.py SPECS); their handler stays inactive
# until an enabled feature declares the topic (quotes, contracts through Vchasno, the
# 1C feature's stalled exchange).
AWAITS = ("quote.sent", "contract.sent_for_signature", "contract.signed", "contract.returned", "contract.rejected",
          "contract.registration_invited", "onec.exchange_stalled")
