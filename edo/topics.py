"""The topics the contracts feature raises: one a line, so a new one merges cleanly."""
from __future__ import annotations

from core.outbox import Topic

TOPICS = [
    Topic("contract.generated", "a contract was generated and waits for the lawyer", announcement=True),
    Topic("contract.returned", "the lawyer returned a contract to the manager with a comment", announcement=True),
    # An announcement only until the upload to Vchasno handles it (then: announcement=False,
    # so an app that would leave approved contracts unsent refuses to start).
    Topic("contract.approved", "the lawyer approved a contract: it may go to Vchasno", announcement=True),
]
