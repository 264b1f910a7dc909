"""The topics the contracts feature raises: one a line, so a new one merges cleanly."""
from __future__ import annotations

from core.outbox import Topic

TOPICS = [
    Topic("contract.generated", "a contract was generated and waits for the lawyer", announcement=True),
    Topic("contract.returned", "the lawyer returned a contract to the manager with a comment", announcement=True),
    Topic("contract.approved", "a lawyer approved a contract: upload it to Vchasno"),
    Topic("contract.customer_registered", "the customer of a waiting approved contract registered in Vchasno: upload it"),
    Topic("contract.registration_invited", "a customer not in Vchasno was invited to register", announcement=True),
    Topic("contract.sent_for_signature", "a contract awaits the customer's signature in Vchasno", announcement=True),
    Topic("contract.signed", "a contract is fully signed in Vchasno", announcement=True),
    Topic("contract.rejected", "the customer rejected a contract in Vchasno", announcement=True),
    Topic("contract.annulled", "a contract was annulled in Vchasno", announcement=True),
]
