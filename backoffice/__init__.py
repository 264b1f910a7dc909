"""The staff backoffice: orders, companies and users, catalog, outbox and message log."""
