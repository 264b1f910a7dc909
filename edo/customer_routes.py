"""The customers' contracts page with its routes: import this to mount it."""
from edo import customer_views  # noqa: F401
from edo.customer_blueprint import bp

__all__ = ["bp"]
