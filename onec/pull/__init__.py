"""Incremental pulls from 1C's PortalExchange web service: GetChanges per entity from a
cursor, each page applied in the transaction that moves the cursor, each entity's pull an
ExchangeRun (onec/pull/run.py)."""
