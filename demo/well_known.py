"""The two customer companies whose logins the demo script and the README name."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random

from demo.customers import CompanyPlan, Person, Registries, user_row
from demo.identifiers import edrpou, mobile_phone, onec_guid, rnokpp
from core.money import money


@dataclass(frozen=True)
class WellKnownLogin:
    email: str
    phone: str
    company: str


CAFE_DEMO = WellKnownLogin("buyer@cafe.demo", "+380671234567", "ТОВ «Кафе Демо»")
# A second tenant, to show that one customer never sees another's orders or prices.
FOP_DEMO = WellKnownLogin("owner@fop.demo", "+380501234567", "ФОП Мельник О. В.")

# Orders the two always get: placed about this many days ago (within these bounds), and
# what becomes of their invoices, so the demo shows open orders next to delivered ones and
# the money side. The café (deferred 14 days) has an overdue invoice (its pay link, "pay the
# overdue") from an order old enough to be past due and young enough for its pay link
# (PAY_LINK_DAYS), open ones not due yet and paid ones; the sole proprietor (prepayment) an
# invoice that waits for payment, still within its 3 days, next to paid ones.
CAFE_SHOWCASE = ((0, (), (0, 1)), (1, (), (0, 3)), (20, ("unpaid",), (16, 90)), (45, (), (30, 180)))
FOP_SHOWCASE = ((1, ("pay_later",), (0, 2.5)), (10, (), (4, 180)))


def well_known_plans(
    rng: Random,
    registries: Registries,
    *,
    price_type_ids: dict[str, int],
    manager_ids: list[int],
    password_hash: str,
    now: datetime,
) -> list[CompanyPlan]:
    since = now - timedelta(days=700)
    for name in (CAFE_DEMO.company, FOP_DEMO.company):
        registries.company_names.reserve(name)
    for domain in ("cafe.demo", "fop.demo"):
        registries.domains.reserve(domain)

    cafe = CompanyPlan(
        company={
            "name": CAFE_DEMO.company,
            "kind": "legal",
            "tax_id": registries.tax_ids.draw(lambda: edrpou(rng)),
            "price_type_id": price_type_ids["wholesale"],
            "payment_terms": "deferred",
            "deferral_days": 14,
            "advance_percent": 0,
            "credit_limit": money(150_000),
            "manager_id": manager_ids[0],
            "phone": registries.phones.draw(lambda: mobile_phone(rng)),
            "email": "info@cafe.demo",
            "onec_guid": onec_guid(rng),
            "vchasno_registered": True,
            "created_at": since,
        },
        venue_kind="Кафе",
        order_weight=5.0,  # a regular: enough history for repeat orders and a statement
        points=[
            {"name": "Кафе «Демо» на Подолі", "address": "Київ, вул. Сагайдачного, 12"},
            {"name": "Кафе «Демо» на Печерську", "address": "Київ, бул. Лесі Українки, 26"},
        ],
    )
    cafe_people = (
        (Person("Олена", "Коваленко", True, "В"), "owner", CAFE_DEMO.email, registries.phones.reserve(CAFE_DEMO.phone)),
        (Person("Дмитро", "Руденко", False, "І"), "buyer", "chef@cafe.demo", None),
        (Person("Ірина", "Бойко", True, "П"), "accountant", "accountant@cafe.demo", None),
    )
    for person, role, email, phone in cafe_people:
        phone = phone or registries.phones.draw(lambda: mobile_phone(rng))
        cafe.users.append(user_row(person, role, registries.emails.reserve(email), phone, since, password_hash))

    owner = Person("Олег", "Мельник", False, "В")
    fop = CompanyPlan(
        company={
            "name": FOP_DEMO.company,
            "kind": "sole",
            "tax_id": registries.tax_ids.draw(lambda: rnokpp(rng, female=owner.female)),
            "price_type_id": price_type_ids["retail"],
            "payment_terms": "prepayment",
            "deferral_days": 0,
            "advance_percent": 0,
            "credit_limit": money(0),
            "manager_id": manager_ids[1 % len(manager_ids)],
            "phone": registries.phones.reserve(FOP_DEMO.phone),  # a sole proprietor's own mobile
            "email": registries.emails.reserve(FOP_DEMO.email),
            "onec_guid": onec_guid(rng),
            "vchasno_registered": False,
            "created_at": since,
        },
        venue_kind="Магазин",
        order_weight=2.0,
        points=[{"name": "Магазин «Смачно»", "address": "Львів, вул. Городоцька, 85"}],
        users=[user_row(owner, "owner", FOP_DEMO.email, FOP_DEMO.phone, since, password_hash)],
    )
    return [cafe, fop]
