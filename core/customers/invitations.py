"""Cabinets created for the customers: one portal user per company that has none,
from the contacts on the company card, each invited by a one-time link."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core import outbox
from core.clock import utcnow
from core.customers.models import Company, User
from core.customers.services import create_customer_user
from core.errors import DomainError
from core.staff.models import StaffUser

INVITE_PURPOSE = "invite"


@dataclass
class InvitationRun:
    invited: int = 0
    # Companies that could not get a cabinet, with the reason (no contact, a contact taken).
    skipped: list[tuple[str, str]] = field(default_factory=list)


def invite_companies_without_users(session: Session, company_ids: Collection[int] | None = None) -> InvitationRun:
    """Safe to run again: a company that has a user (invited or not) is left alone.
    `company_ids`: only these (a company that just arrived from 1C), else every company."""
    run = InvitationRun()
    has_user = select(User.id).where(User.company_id == Company.id).exists()
    query = select(Company).where(Company.is_active, ~has_user).order_by(Company.id)
    if company_ids is not None:
        query = query.where(Company.id.in_(company_ids))
    for company in session.scalars(query):
        if not (company.email or company.phone):
            run.skipped.append((company.name, gettext("У картці немає ні телефону, ні e-mail.")))
            continue
        try:
            with session.begin_nested():
                user = create_customer_user(
                    session, company, full_name=company.name, role="owner",
                    email=company.email or "", phone=company.phone or "",
                )
        except DomainError as exc:
            run.skipped.append((company.name, exc.message))
            continue
        invite(session, user)
        run.invited += 1
    return run


def invite(session: Session, user: User) -> None:
    user.invited_at = utcnow()
    session.flush()
    outbox.emit(session, "user.invited", {
        "user_id": user.id,
        "company_id": user.company_id,
        "login": user.email or user.phone,
        # No link: the sender mints the token when the message goes out, so none is stored.
        "valid_days": current_app.config["INVITATION_MAX_AGE"] // 86400,
    })


@dataclass(frozen=True)
class Activation:
    manager: str
    invited: int
    activated: int


def activation_by_manager(session: Session) -> list[Activation]:
    """Invited users per company manager, and how many have set their password."""
    rows = session.execute(
        select(
            func.coalesce(StaffUser.full_name, ""),
            func.count(User.id),
            func.sum(case((User.password_hash.is_not(None), 1), else_=0)),
        )
        .select_from(User)
        .join(Company, Company.id == User.company_id)
        .outerjoin(StaffUser, StaffUser.id == Company.manager_id)
        .where(User.invited_at.is_not(None))
        # By the person, not the name: two managers may share one.
        .group_by(StaffUser.id, StaffUser.full_name)
        .order_by(StaffUser.full_name, StaffUser.id)
    ).all()
    return [Activation(manager, invited, int(activated or 0)) for manager, invited, activated in rows]
