"""In-process signals for follow-ups that must land in the same transaction.

`core` raises them and feature packages subscribe (payments issues invoices when an
order is confirmed, and checks credit when one is submitted), so `core` never imports
a feature package. Receivers get the session as the sender and only `flush()`; a
receiver's DomainError aborts the change that raised the signal.
"""
from blinker import Namespace

_signals = Namespace()

# sender: the Session; kwargs: order, previous (status or None at submit), actor
order_status_changed = _signals.signal("order-status-changed")
