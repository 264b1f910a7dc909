"""The staff's contract pages with their routes, the backoffice's template context and the
company card's contracts section: import this to mount them."""
from backoffice import helpers, panels
from edo import staff_views  # noqa: F401
from edo.staff_blueprint import bp
from edo.staff_views import company_contracts_panel

bp.context_processor(helpers.backoffice_globals)
panels.add_to(bp, company=company_contracts_panel)

__all__ = ["bp"]
