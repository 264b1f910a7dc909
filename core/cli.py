"""Command line: `flask --app wsgi <command>`."""
from __future__ import annotations

from typing import Any

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import select

from core import relay
from core.config import ROOT
from core.customers.invitations import invite_companies_without_users
from core.customers.models import CUSTOMER_ROLES, Company
from core.customers.services import create_customer_user, set_password
from core.db import db_session
from core.errors import DomainError
from core.phones import normalize_phone
from core.staff.models import STAFF_ROLES, StaffUser


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def init_cli(app: Any) -> None:
    @app.cli.command("db-upgrade")
    def db_upgrade() -> None:
        """Create or upgrade the schema to the newest migration."""
        (ROOT / "instance").mkdir(exist_ok=True)
        command.upgrade(alembic_config(app.config["SQLALCHEMY_DATABASE_URI"]), "head")
        click.echo("schema is at head")

    @app.cli.command("create-staff")
    @click.option("--email", required=True)
    @click.option("--name", "full_name", required=True)
    @click.option("--role", required=True, type=click.Choice(STAFF_ROLES))
    @click.option("--phone", default="", help="Optional; any common spelling.")
    @click.password_option()
    def create_staff(email: str, full_name: str, role: str, phone: str, password: str) -> None:
        """Create a staff account; the password is asked twice and not shown."""
        session = db_session()
        email, full_name = email.strip().lower(), full_name.strip()
        if "@" not in email or not full_name:
            raise click.ClickException("an e-mail address and a name are required")
        if session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is not None:
            raise click.ClickException(f"a staff user with the e-mail {email} already exists")
        normalized_phone = normalize_phone(phone) if phone.strip() else None
        if phone.strip() and normalized_phone is None:
            raise click.ClickException(f"not a valid phone number: {phone}")
        staff = StaffUser(email=email, full_name=full_name, role=role, phone=normalized_phone)
        try:
            with _service_context(app):
                set_password(session, staff, password, password)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        session.add(staff)
        session.commit()
        click.echo(f"staff user {email} ({role}) created")

    @app.cli.command("create-customer-user")
    @click.option("--company-tax-id", "tax_id", required=True, help="The company's ЄДРПОУ or РНОКПП.")
    @click.option("--name", "full_name", required=True)
    @click.option("--role", required=True, type=click.Choice(CUSTOMER_ROLES))
    @click.option("--email", default="")
    @click.option("--phone", default="", help="Any common spelling; stored in E.164.")
    def create_customer_user_command(tax_id: str, full_name: str, role: str, email: str, phone: str) -> None:
        """Open a portal cabinet for a person of a customer company.

        The person sets a password with the "forgot password" link on the login page.
        """
        session = db_session()
        company = session.scalar(select(Company).where(Company.tax_id == tax_id.strip()))
        if company is None:
            raise click.ClickException(f"no company with the tax id {tax_id}")
        if not full_name.strip():
            raise click.ClickException("a name is required")
        try:
            with _service_context(app):
                user = create_customer_user(
                    session, company, full_name=full_name, role=role, email=email, phone=phone
                )
        except DomainError as error:
            raise click.ClickException(error.message) from None
        session.commit()
        click.echo(f"portal user {user.email or user.phone} ({role}) created for {company.name}")

    @app.cli.command("invite-customers")
    def invite_customers_command() -> None:
        """Create a portal user for every company that has none, from the contacts on its
        card, and send each an invitation. Running it again invites nobody twice."""
        with _service_context(app):
            session = db_session()
            run = invite_companies_without_users(session)
            session.commit()
            relay.dispatch_committed(app)  # the sender (worker or demo server) takes it from there
        click.echo(f"invited {run.invited} companies")
        for name, why in run.skipped:
            click.echo(f"  skipped {name}: {why}")


def _service_context(app: Any) -> Any:
    """A request context for service calls: their messages are translated, and the
    locale selector reads the (here empty) session, so they come out in Ukrainian."""
    return app.test_request_context()
