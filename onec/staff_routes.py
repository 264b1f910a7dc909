"""The staff's 1C pages with their routes and the backoffice's template context (their
templates extend its layout): import this to mount them."""
from backoffice import helpers
from onec import staff_views  # noqa: F401
from onec.staff_blueprint import bp

bp.context_processor(helpers.backoffice_globals)

__all__ = ["bp"]
