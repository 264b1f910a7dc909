"""Who does what with contracts. Admin passes every staff_required check, except the two
that are the lawyer's alone (the issue: nothing is sent without a lawyer's approval)."""
from __future__ import annotations

from typing import Any

# Upload template versions: the lawyers keep them.
TEMPLATE_EDITORS = ("lawyer",)
# Read the templates (what a generated contract will say).
TEMPLATE_READERS = ("lawyer", "head_of_sales", "manager")
# Generate and edit a company's contract: its manager (or any, see may_handle), the head of sales.
CONTRACT_MAKERS = ("manager", "head_of_sales")
# The contracts pages: a manager sees their own companies' contracts, the others all.
CONTRACT_READERS = ("lawyer", "manager", "head_of_sales")
# Approve or return: the role itself, not admin.
APPROVER_ROLE = "lawyer"


def sees_every_contract(user: Any) -> bool:
    return user.role in ("lawyer", "head_of_sales", "admin")


def may_handle(user: Any, company: Any) -> bool:
    """Generate or edit this company's contracts: the company's own manager, the head of
    sales or admin."""
    if user.role in ("head_of_sales", "admin"):
        return True
    return user.role == "manager" and company.manager_id == user.id


def may_approve(user: Any) -> bool:
    return getattr(user, "role", None) == APPROVER_ROLE
