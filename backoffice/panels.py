"""Parts of backoffice pages that another feature's pages bring: cards on the dashboard,
sections on the company card. Kept per app (a blueprint adds its own when it is
registered), so an app without that feature shows none of them."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app
from flask.blueprints import BlueprintSetupState
from markupsafe import Markup

PANELS = "backoffice.panels"


def add_to(bp: Blueprint, *, dashboard: Callable[[], Markup] | None = None,
           company: Callable[[Any], Markup] | None = None) -> None:
    def register(state: BlueprintSetupState) -> None:
        panels = state.app.extensions.setdefault(PANELS, {"dashboard": [], "company": []})
        if dashboard is not None:
            panels["dashboard"].append(dashboard)
        if company is not None:
            panels["company"].append(company)

    bp.record_once(register)


def _of(kind: str) -> list[Callable[..., Markup]]:
    return current_app.extensions.get(PANELS, {}).get(kind, [])


def dashboard_cards() -> list[Markup]:
    return [render() for render in _of("dashboard")]


def company_sections(company: Any) -> list[Markup]:
    return [render(company) for render in _of("company")]
