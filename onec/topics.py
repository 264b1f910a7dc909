"""The topics the 1C feature raises."""
from __future__ import annotations

from core.outbox import Topic

TOPICS = [
    # An announcement: notify turns it into messages to staff when it is enabled; without
    # it the event is settled unheard, and the sync page still shows the stall.
    Topic("onec.exchange_stalled", "no successful exchange from 1C for ONEC_STALE_AFTER_MINUTES", announcement=True),
]
