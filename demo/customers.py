"""Customer companies (legal entities and sole proprietors), their delivery points and users."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from random import Random
from typing import Any

from sqlalchemy.orm import Session

from core.customers.models import ORDERING_ROLES, Company, DeliveryPoint, User
from core.bulk import insert_keyed, insert_returning_ids
from demo.identifiers import Unique, edrpou, mobile_phone, onec_guid, rnokpp
from demo.vocabulary import (
    CITIES,
    FEMALE_FIRST_NAMES,
    LEGAL_FORMS,
    MALE_FIRST_NAMES,
    SURNAMES,
    VENUE_KINDS,
    VENUE_NAMES,
    slug,
    transliterate,
)
from core.money import money
from core.textkeys import uk_sort_key

SOLE_PROPRIETOR_SHARE = 0.4
# Sole proprietors are small shops and cafés: mostly retail prices, rarely key-account ones.
PRICE_TYPE_WEIGHTS = {"legal": (20, 55, 25), "sole": (55, 40, 5)}  # retail, wholesale, key
PAYMENT_TERMS = (  # terms, deferral days, advance percent, weight
    ("prepayment", 0, 0, 40),
    ("deferred", 7, 0, 12),
    ("deferred", 14, 0, 16),
    ("deferred", 30, 0, 12),
    ("advance", 0, 30, 10),
    ("advance", 0, 50, 10),
)
POINT_COUNT_WEIGHTS = (60, 28, 12)  # one, two or three delivery points


@dataclass(frozen=True)
class Person:
    first_name: str
    surname: str
    female: bool
    father_initial: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.surname}"

    @property
    def sole_proprietor_name(self) -> str:
        return f"ФОП {self.surname} {self.first_name[0]}. {self.father_initial}."


@dataclass
class CompanyPlan:
    """One company's rows before the database has given them ids."""

    company: dict[str, Any]
    venue_kind: str
    order_weight: float  # how often it orders, relative to the others
    points: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)


@dataclass(eq=False)
class DemoCompany:
    """What the order and payment history needs to know about a company."""

    id: int
    name: str
    tax_id: str
    price_type_id: int
    manager_id: int
    venue_kind: str
    delivery_point_ids: list[int]
    orderers: list[tuple[int, str]]  # id and name of each of its users who may place orders
    order_weight: float
    payment_terms: str
    deferral_days: int
    advance_percent: int
    credit_limit: Decimal  # resized to the company's turnover once its orders are known


class Registries:
    """Everything that must be unique across the whole demo."""

    def __init__(self, phones: Unique) -> None:
        self.phones = phones
        self.tax_ids = Unique()
        self.emails = Unique()
        self.domains = Unique()
        self.company_names = Unique()


def random_person(rng: Random) -> Person:
    female = rng.random() < 0.5
    return Person(
        first_name=rng.choice(FEMALE_FIRST_NAMES if female else MALE_FIRST_NAMES),
        surname=rng.choice(SURNAMES),
        female=female,
        father_initial=rng.choice(MALE_FIRST_NAMES)[0],
    )


def user_row(person: Person, role: str, email: str, phone: str, created_at: datetime, password_hash: str) -> dict:
    return {
        "full_name": person.full_name,
        "role": role,
        "email": email,
        "phone": phone,
        "password_hash": password_hash,
        "created_at": created_at,
        # Every cabinet was created by staff and its invitation accepted.
        "invited_at": created_at,
    }


def await_cabinet(plan: CompanyPlan, rng: Random, now: datetime) -> None:
    """A customer taken on in the last days: on the card, no cabinet and no orders yet,
    so the backoffice's "create cabinets and invite" has someone to invite."""
    plan.users.clear()
    plan.company["created_at"] = now - timedelta(days=rng.randint(1, 10))
    plan.company["onec_guid"] = None


def _identity(rng: Random, registries: Registries) -> tuple[str, str, str, Person, str, str]:
    """Kind, name, tax id and owner of a company, and the kind and name of the venue it runs."""
    owner = random_person(rng)
    if rng.random() < SOLE_PROPRIETOR_SHARE:
        while not registries.company_names.try_reserve(owner.sole_proprietor_name):
            owner = random_person(rng)
        tax_id = registries.tax_ids.draw(lambda: rnokpp(rng, female=owner.female))
        return "sole", owner.sole_proprietor_name, tax_id, owner, rng.choice(VENUE_KINDS), rng.choice(VENUE_NAMES)
    while True:
        venue_kind, venue_name = rng.choice(VENUE_KINDS), rng.choice(VENUE_NAMES)
        name = f"{rng.choice(LEGAL_FORMS)} «{venue_kind} {venue_name}»"
        if registries.company_names.try_reserve(name):
            return "legal", name, registries.tax_ids.draw(lambda: edrpou(rng)), owner, venue_kind, venue_name


def random_company_plan(
    rng: Random,
    registries: Registries,
    *,
    price_type_ids: dict[str, int],
    manager_ids: list[int],
    password_hash: str,
    now: datetime,
) -> CompanyPlan:
    kind, name, tax_id, owner, venue_kind, venue_name = _identity(rng, registries)
    sole = kind == "sole"
    venue = f"{venue_kind} «{venue_name}»"
    domain = registries.domains.first_free(f"{slug(venue)}{n or ''}.demo" for n in itertools.count())
    terms, deferral_days, advance_percent, _ = rng.choices(PAYMENT_TERMS, [t[3] for t in PAYMENT_TERMS])[0]
    largest_credit = 100_000 if sole else 300_000
    credit_limit = {
        "prepayment": 0,
        "deferred": rng.randrange(10_000, largest_credit + 1, 5_000),
        "advance": rng.randrange(10_000, largest_credit // 3 + 1, 5_000),
    }[terms]
    created_at = now - timedelta(days=rng.randint(200, 1500))
    price_code = rng.choices(("retail", "wholesale", "key"), PRICE_TYPE_WEIGHTS[kind])[0]
    plan = CompanyPlan(
        company={
            "name": name,
            "name_sort": uk_sort_key(name),
            "kind": kind,
            "tax_id": tax_id,
            "price_type_id": price_type_ids[price_code],
            "payment_terms": terms,
            "deferral_days": deferral_days,
            "advance_percent": advance_percent,
            "credit_limit": money(credit_limit),
            "manager_id": rng.choice(manager_ids),
            "phone": registries.phones.draw(lambda: mobile_phone(rng)),
            "email": f"info@{domain}",
            # The newest customers are not in 1C yet.
            "onec_guid": onec_guid(rng) if rng.random() < 0.95 else None,
            "vchasno_registered": rng.random() < (0.3 if sole else 0.6),
            "created_at": created_at,
        },
        venue_kind=venue_kind,
        # Few customers order often, many order now and then.
        order_weight=rng.lognormvariate(0, 0.9),
    )

    home = rng.choices(CITIES, [city[1] for city in CITIES])[0]
    for number in range(1, rng.choices((1, 2, 3), POINT_COUNT_WEIGHTS)[0] + 1):
        # A chain's next venue is usually in the same city, sometimes in another one.
        city_name, _, streets = home if number == 1 or rng.random() < 0.7 else rng.choice(CITIES)
        plan.points.append({
            "name": venue if number == 1 else f"{venue} №{number}",
            "address": f"{city_name}, {rng.choice(streets)}, {rng.randint(1, 140)}",
        })

    roles = ["owner"]
    if rng.random() < (0.4 if sole else 0.6):
        roles.append("buyer")
    if rng.random() < (0.2 if sole else 0.35):
        roles.append("accountant")
    for role in roles:
        person = owner if role == "owner" else random_person(rng)
        local = f"{transliterate(person.first_name)}.{transliterate(person.surname)}"
        email = registries.emails.first_free(f"{local}{n or ''}@{domain}" for n in itertools.count())
        phone = registries.phones.draw(lambda: mobile_phone(rng))
        plan.users.append(user_row(person, role, email, phone, created_at, password_hash))
    return plan


def insert_companies(session: Session, plans: list[CompanyPlan]) -> list[DemoCompany]:
    company_ids = insert_keyed(session, Company, [plan.company for plan in plans], ("tax_id",))
    points = [(index, {**point, "company_id": company_ids[index]})
              for index, plan in enumerate(plans) for point in plan.points]
    users = [(index, {**user, "company_id": company_ids[index]})
             for index, plan in enumerate(plans) for user in plan.users]
    point_ids = insert_returning_ids(session, DeliveryPoint, [row for _, row in points])
    user_ids = insert_keyed(session, User, [row for _, row in users], ("email",))

    point_ids_of: list[list[int]] = [[] for _ in plans]
    for (index, _), point_id in zip(points, point_ids):
        point_ids_of[index].append(point_id)
    orderers_of: list[list[tuple[int, str]]] = [[] for _ in plans]
    for (index, row), user_id in zip(users, user_ids):
        if row["role"] in ORDERING_ROLES:
            orderers_of[index].append((user_id, row["full_name"]))
    return [
        DemoCompany(
            id=company_id,
            name=plan.company["name"],
            tax_id=plan.company["tax_id"],
            price_type_id=plan.company["price_type_id"],
            manager_id=plan.company["manager_id"],
            venue_kind=plan.venue_kind,
            delivery_point_ids=point_ids_of[index],
            orderers=orderers_of[index],
            order_weight=plan.order_weight,
            payment_terms=plan.company["payment_terms"],
            deferral_days=plan.company["deferral_days"],
            advance_percent=plan.company["advance_percent"],
            credit_limit=plan.company["credit_limit"],
        )
        for index, (plan, company_id) in enumerate(zip(plans, company_ids))
    ]
