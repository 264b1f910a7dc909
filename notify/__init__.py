"""Outgoing messages. Until the SMS and e-mail channels land, messages go to the
"log" channel: stored and shown in the backoffice message log."""
