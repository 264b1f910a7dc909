"""The shared kernel: app factory, database, auth, outbox and the domain models."""
