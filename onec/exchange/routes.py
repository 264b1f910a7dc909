"""Every view of the exchange blueprint (imported for their routes)."""
from onec.exchange import views  # noqa: F401
from onec.exchange.blueprint import bp

__all__ = ["bp"]
