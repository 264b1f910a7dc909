"""The notify pages with their routes, the backoffice's template context and their
panels on the dashboard and the company card: import this to mount them."""
from backoffice import helpers, panels
from backoffice.notify_blueprint import bp
from backoffice.views_notify import company_channels_panel, message_cards

bp.context_processor(helpers.backoffice_globals)
panels.add_to(bp, dashboard=message_cards, company=company_channels_panel)

__all__ = ["bp"]
