"""The customers' 1C pages with their routes: import this to mount them."""
from onec import customer_views  # noqa: F401
from onec.customer_blueprint import bp

__all__ = ["bp"]
