"""The distributor's own people: five managers and one of every other staff role."""
from __future__ import annotations

from random import Random

from sqlalchemy.orm import Session

from demo.identifiers import Unique, mobile_phone
from core.staff.models import StaffUser

STAFF = (
    ("admin@distributor.demo", "Андрій Бондаренко", "admin"),
    ("head@distributor.demo", "Наталія Савченко", "head_of_sales"),
    ("lawyer@distributor.demo", "Юрій Гаврилюк", "lawyer"),
    ("accountant@distributor.demo", "Людмила Петренко", "accountant"),
    ("manager1@distributor.demo", "Олег Ткаченко", "manager"),
    ("manager2@distributor.demo", "Ірина Шевчук", "manager"),
    ("manager3@distributor.demo", "Максим Кравчук", "manager"),
    ("manager4@distributor.demo", "Оксана Литвиненко", "manager"),
    ("manager5@distributor.demo", "Тарас Федорчук", "manager"),
)


def seed_staff(session: Session, rng: Random, phones: Unique, password_hash: str) -> list[StaffUser]:
    staff = [
        StaffUser(
            email=email,
            full_name=full_name,
            role=role,
            phone=phones.draw(lambda: mobile_phone(rng)),
            password_hash=password_hash,
        )
        for email, full_name, role in STAFF
    ]
    session.add_all(staff)
    session.flush()
    return staff
