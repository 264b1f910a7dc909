"""A small wholesale 1C's books, the same on every start: ten groups of goods, 300
products with barcodes and properties, three price types, two warehouses, a dozen
customers with valid ЄДРПОУ/РНОКПП and their debts."""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from stdnum.ua import edrpou, rntrc

from emulators.onec.records import (
    Balance,
    Company,
    Group,
    Price,
    PriceType,
    Product,
    Property,
    Stock,
    Warehouse,
)

# Ids are 1C-style GUIDs derived from names, so a restarted emulator keeps them.
GUIDS = uuid.UUID("6f1c0a52-3d9e-4b8a-9b7e-1c0000000001")
CENT = Decimal("0.01")

# group -> (product, unit code, unit name, pack quantity, base price, VAT rate)
GOODS: dict[str, list[tuple[str, str, str, str, str, str]]] = {
    "Бакалія": [
        ("Борошно пшеничне 2 кг", "796", "шт", "6", "58.40", "20"),
        ("Гречка ядриця 1 кг", "796", "шт", "10", "64.90", "20"),
        ("Рис довгозерний 1 кг", "796", "шт", "10", "71.20", "20"),
        ("Цукор білий 1 кг", "796", "шт", "10", "36.50", "20"),
        ("Олія соняшникова 0,9 л", "796", "шт", "15", "69.80", "20"),
        ("Сіль кухонна 1 кг", "796", "шт", "20", "14.30", "20"),
    ],
    "Макаронні вироби": [
        ("Спагеті 500 г", "796", "шт", "20", "42.10", "20"),
        ("Ріжки 900 г", "796", "шт", "12", "51.60", "20"),
        ("Вермішель 400 г", "796", "шт", "20", "27.80", "20"),
        ("Пір'я 500 г", "796", "шт", "20", "39.90", "20"),
        ("Локшина яєчна 250 г", "796", "шт", "24", "33.40", "20"),
        ("Макарони вагові", "166", "кг", "5", "48.00", "20"),
    ],
    "Кава та чай": [
        ("Кава мелена 250 г", "796", "шт", "12", "189.00", "20"),
        ("Кава в зернах 1 кг", "796", "шт", "6", "689.00", "20"),
        ("Кава розчинна 100 г", "796", "шт", "12", "214.50", "20"),
        ("Чай чорний 100 пак.", "796", "шт", "12", "129.90", "20"),
        ("Чай зелений 25 пак.", "796", "шт", "24", "54.20", "20"),
        ("Какао 150 г", "796", "шт", "16", "71.30", "20"),
    ],
    "Кондитерські вироби": [
        ("Печиво вівсяне 400 г", "796", "шт", "14", "56.70", "20"),
        ("Вафлі 200 г", "796", "шт", "24", "38.40", "20"),
        ("Шоколад молочний 90 г", "796", "шт", "20", "49.90", "20"),
        ("Цукерки асорті 1 кг", "166", "кг", "3", "259.00", "20"),
        ("Пряники 500 г", "796", "шт", "10", "47.60", "20"),
        ("Зефір 300 г", "796", "шт", "12", "62.30", "20"),
    ],
    "Консервація": [
        ("Горошок зелений 420 г", "796", "шт", "12", "39.80", "20"),
        ("Кукурудза цукрова 340 г", "796", "шт", "12", "44.60", "20"),
        ("Томатна паста 490 г", "796", "шт", "12", "52.10", "20"),
        ("Огірки мариновані 0,9 л", "796", "шт", "8", "68.40", "20"),
        ("Тушонка яловича 525 г", "796", "шт", "12", "119.00", "20"),
        ("Шпроти 160 г", "796", "шт", "24", "64.70", "20"),
    ],
    "Напої": [
        ("Вода мінеральна 1,5 л", "796", "шт", "6", "21.40", "20"),
        ("Сік яблучний 1 л", "796", "шт", "12", "47.90", "20"),
        ("Нектар персиковий 0,95 л", "796", "шт", "12", "45.30", "20"),
        ("Квас 2 л", "796", "шт", "6", "52.80", "20"),
        ("Лимонад 0,5 л", "796", "шт", "12", "24.60", "20"),
        ("Вода питна 6 л", "796", "шт", "2", "44.00", "20"),
    ],
    "Побутова хімія": [
        ("Пральний порошок 3 кг", "796", "шт", "4", "289.00", "20"),
        ("Засіб для посуду 500 мл", "796", "шт", "20", "54.90", "20"),
        ("Засіб для скла 500 мл", "796", "шт", "12", "76.40", "20"),
        ("Відбілювач 1 л", "796", "шт", "12", "38.20", "20"),
        ("Гель для прання 1,5 л", "796", "шт", "8", "219.00", "20"),
        ("Засіб для підлоги 1 л", "796", "шт", "12", "84.50", "20"),
    ],
    "Гігієна": [
        ("Мило туалетне 90 г", "796", "шт", "72", "18.90", "20"),
        ("Шампунь 400 мл", "796", "шт", "12", "119.00", "20"),
        ("Зубна паста 75 мл", "796", "шт", "48", "56.30", "20"),
        ("Туалетний папір 8 рул.", "796", "шт", "6", "89.90", "20"),
        ("Серветки вологі 72 шт", "796", "шт", "24", "42.70", "20"),
        ("Пластир медичний 10 шт", "796", "шт", "50", "24.30", "7"),
    ],
    "Пакування": [
        ("Пакет-майка 30х50, 100 шт", "778", "уп", "10", "64.00", "20"),
        ("Плівка харчова 30 м", "796", "шт", "24", "49.80", "20"),
        ("Фольга 10 м", "796", "шт", "24", "58.20", "20"),
        ("Контейнер 500 мл, 50 шт", "778", "уп", "10", "138.00", "20"),
        ("Стаканчик 200 мл, 100 шт", "778", "уп", "20", "69.40", "20"),
        ("Стрейч-плівка 1,5 кг", "796", "шт", "6", "164.00", "20"),
    ],
    "Книги та календарі": [
        ("Календар настінний", "796", "шт", "10", "89.00", "none"),
        ("Зошит 48 арк.", "796", "шт", "40", "19.60", "none"),
        ("Розмальовка дитяча", "796", "шт", "20", "34.00", "none"),
        ("Книга рецептів", "796", "шт", "5", "245.00", "none"),
        ("Щоденник шкільний", "796", "шт", "20", "72.00", "none"),
        ("Атлас України", "796", "шт", "10", "118.00", "none"),
    ],
}
BRANDS = ["Добродій", "Хуторок", "Смачно", "Зірка", "Карпати"]
COUNTRIES = ["Україна", "Польща", "Молдова"]
WAREHOUSES = [("Київ, основний склад", "kyiv"), ("Львів, філія", "lviv")]
# (name, markup on the base price); every price type is in UAH with VAT included
PRICE_TYPES = [("Оптова", "1.00"), ("Дрібнооптова", "1.08"), ("Роздрібна", "1.25")]
MANAGERS = [("Олена Коваль", "o.koval@example.com"), ("Андрій Мельник", "a.melnyk@example.com")]
COMPANIES = [
    ("legal", 'ТОВ "Альфа-Трейд"', "м. Київ, вул. Велика Васильківська, 72"),
    ("legal", 'ТОВ "Продмаркет Поділля"', "м. Вінниця, вул. Соборна, 15"),
    ("legal", 'ПП "Смак Галичини"', "м. Львів, вул. Городоцька, 120"),
    ("legal", 'ТОВ "Мережа Сусід"', "м. Житомир, вул. Київська, 33"),
    ("legal", 'ТОВ "Оптторг Схід"', "м. Харків, просп. Науки, 8"),
    ("legal", 'ТОВ "Кафе Затишок"', "м. Полтава, вул. Європейська, 41"),
    ("legal", 'ТОВ "Південна логістика"', "м. Одеса, вул. Балківська, 100"),
    ("legal", 'ПрАТ "Дніпровський гурт"', "м. Дніпро, просп. Яворницького, 60"),
    ("sole", "ФОП Іваненко Марія Петрівна", "м. Біла Церква, вул. Ярослава Мудрого, 5"),
    ("sole", "ФОП Бондар Сергій Іванович", "м. Черкаси, бул. Шевченка, 200"),
    ("sole", "ФОП Ткачук Ірина Олегівна", "м. Рівне, вул. Соборна, 9"),
    ("sole", "ФОП Шевчук Василь Миколайович", "м. Тернопіль, вул. Руська, 17"),
]


def guid(kind: str, key: str) -> str:
    return str(uuid.uuid5(GUIDS, f"{kind}:{key}"))


@dataclass
class Books:
    groups: list[Group] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    price_types: list[PriceType] = field(default_factory=list)
    prices: list[Price] = field(default_factory=list)
    warehouses: list[Warehouse] = field(default_factory=list)
    stock: list[Stock] = field(default_factory=list)
    companies: list[Company] = field(default_factory=list)
    balances: list[Balance] = field(default_factory=list)


def seed(now: datetime | None = None) -> Books:
    rng = random.Random(1)
    books = Books()
    books.price_types = [
        PriceType(id=guid("price-type", name), name=name, currency="UAH", vat_included=True)
        for name, _ in PRICE_TYPES
    ]
    books.warehouses = [Warehouse(id=guid("warehouse", key), name=name) for name, key in WAREHOUSES]
    sku = 1000
    for group_name, goods in GOODS.items():
        group = Group(id=guid("group", group_name), parent_id=None, name=group_name)
        books.groups.append(group)
        for brand in BRANDS:
            for name, unit_code, unit_name, pack, base, vat in goods:
                sku += 1
                product = Product(
                    id=guid("product", str(sku)), sku=f"A-{sku}", name=f"{name} «{brand}»", group_id=group.id,
                    unit_code=unit_code, unit_name=unit_name, pack_quantity=Decimal(pack), vat_rate=vat,
                    barcode=[ean13(rng)],
                    property=[Property("Торгова марка", brand), Property("Країна", rng.choice(COUNTRIES))],
                )
                books.products.append(product)
                base_price = Decimal(base) * Decimal(rng.randint(90, 115)) / 100
                for price_type, (_, markup) in zip(books.price_types, PRICE_TYPES, strict=True):
                    books.prices.append(Price(
                        price_type_id=price_type.id, product_id=product.id,
                        price=(base_price * Decimal(markup)).quantize(CENT), currency="UAH",
                    ))
                for warehouse in books.warehouses:
                    books.stock.append(Stock(
                        warehouse_id=warehouse.id, warehouse_name=warehouse.name, product_id=product.id,
                        quantity=Decimal(rng.choice([0, 0, 12, 24, 60, 120, 300, 480])),
                    ))
    at = now or datetime.now(UTC)
    for number, (kind, name, address) in enumerate(COMPANIES):
        company = new_company(
            kind=kind, name=name, tax_id=tax_id(kind, rng), address=address,
            phone=f"+38067{rng.randint(1000000, 9999999)}" if number % 3 else None,
            email=f"buh{number + 1}@example.com" if number % 4 != 3 else None,
            payment_terms=("deferred", "prepayment", "advance")[number % 3],
            credit_limit=Decimal(rng.choice([0, 50000, 100000, 250000])),
            price_type_id=books.price_types[number % 2].id, manager=MANAGERS[number % 2],
        )
        books.companies.append(company)
        debt = Decimal(rng.randint(0, 80000)).quantize(CENT) if company.payment_terms == "deferred" else Decimal("0.00")
        books.balances.append(Balance(
            company_id=company.id, debt=debt, overdue_debt=(debt / 4).quantize(CENT), currency="UAH", as_of=at,
        ))
    return books


def new_company(
    *, kind: str, name: str, tax_id: str, address: str | None, phone: str | None, email: str | None,
    payment_terms: str, credit_limit: Decimal, price_type_id: str | None, manager: tuple[str, str] | None,
) -> Company:
    return Company(
        id=guid("company", tax_id), name=name, full_name=name, kind=kind, tax_id=tax_id,
        vat_number=tax_id + "0000" if kind == "legal" else None, address=address, phone=phone, email=email,
        payment_terms=payment_terms, deferral_days=14 if payment_terms == "deferred" else 0,
        advance_percent=50 if payment_terms == "advance" else 0, credit_limit=credit_limit,
        manager_name=manager[0] if manager else None, manager_email=manager[1] if manager else None,
        price_type_id=price_type_id,
    )


def tax_id(kind: str, rng: random.Random) -> str:
    """A valid ЄДРПОУ (legal) or РНОКПП (sole) by python-stdnum's checksum."""
    if kind == "legal":
        body = str(rng.randint(3000000, 4499999))
        return body + edrpou.calc_check_digit(body)
    body = str(rng.randint(200000000, 399999999))
    return body + rntrc.calc_check_digit(body)


def ean13(rng: random.Random) -> str:
    body = "482" + "".join(str(rng.randint(0, 9)) for _ in range(9))
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(body))
    return body + str((10 - total % 10) % 10)
