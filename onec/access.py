"""Who sees the 1C sync page and who may retry from it (admin passes every check)."""
from __future__ import annotations

# Sales see whether their customers' orders and prices flow; accounting watches the sync
# and reconciles (DESIGN.md).
SYNC_WATCHERS = ("manager", "head_of_sales", "accountant")
# A retry re-imports a file or sends queued events again: those who already retry
# failed events on the outbox monitor (backoffice OUTBOX_WATCHERS), not every manager.
SYNC_RETRIERS = ("accountant", "head_of_sales")
# Who reconciles a customer's debt that 1C sees otherwise: the collectors of the debt queue.
BALANCE_WATCHERS = ("manager", "head_of_sales", "accountant")
