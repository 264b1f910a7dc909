import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.auth import check_password
from core.customers.models import Company, DeliveryPoint, User
from notify.models import Message
from tests.conftest import valid_edrpou, valid_rnokpp


def company_count(db):
    return db.scalar(select(func.count()).select_from(Company))


def wrong_check_digit(code):
    return code[:-1] + str((int(code[-1]) + 1) % 10)


@pytest.fixture
def company_form(price_types, make_staff):
    manager = make_staff("manager")
    return {
        "name": "ТОВ «Смачна кава»",
        "kind": "legal",
        "tax_id": valid_edrpou(),
        "price_type_id": price_types["key"].id,
        "payment_terms": "deferred",
        "deferral_days": "14",
        "advance_percent": "",
        "credit_limit": "150 000,50",
        "manager_id": manager.id,
        "phone": "067 123 45 67",
        "email": "Office@SmachnaKava.ua",
    }


def test_create_a_company(client, db, as_staff, company_form, price_types):
    as_staff("manager")
    response = client.post("/staff/companies/new", data=company_form)
    assert response.status_code == 302
    company = db.scalar(select(Company).where(Company.tax_id == company_form["tax_id"]))
    assert response.headers["Location"] == f"/staff/companies/{company.id}"
    assert company.name == "ТОВ «Смачна кава»" and company.kind == "legal"
    assert company.price_type_id == price_types["key"].id
    assert (company.payment_terms, company.deferral_days, company.advance_percent) == ("deferred", 14, 0)
    assert company.credit_limit == Decimal("150000.50")
    assert company.manager_id == company_form["manager_id"]
    assert company.phone == "+380671234567" and company.email == "office@smachnakava.ua"


def test_create_a_sole_proprietor_with_rnokpp(client, db, as_staff, company_form):
    as_staff("head_of_sales")
    form = {**company_form, "kind": "sole", "tax_id": valid_rnokpp(), "payment_terms": "advance", "advance_percent": "30"}
    assert client.post("/staff/companies/new", data=form).status_code == 302
    company = db.scalar(select(Company).where(Company.tax_id == form["tax_id"]))
    assert (company.kind, company.payment_terms, company.advance_percent, company.deferral_days) == ("sole", "advance", 30, 0)


@pytest.mark.parametrize(
    "kind, tax_id, message",
    [
        ("legal", lambda: wrong_check_digit(valid_edrpou()), "Невірний код ЄДРПОУ"),
        ("legal", lambda: valid_edrpou()[:7], "Невірний код ЄДРПОУ"),
        ("legal", lambda: "3212А456", "Невірний код ЄДРПОУ"),  # a Cyrillic letter among the digits
        ("legal", lambda: valid_rnokpp(), "Невірний код ЄДРПОУ"),  # an РНОКПП is not an ЄДРПОУ
        ("sole", lambda: wrong_check_digit(valid_rnokpp()), "Невірний РНОКПП"),
        ("sole", lambda: valid_rnokpp() + "1", "Невірний РНОКПП"),
        ("sole", lambda: "12345abcde", "Невірний РНОКПП"),
        ("sole", lambda: valid_edrpou(), "Невірний РНОКПП"),
    ],
)
def test_invalid_tax_ids_are_refused(client, db, as_staff, company_form, kind, tax_id, message):
    as_staff("manager")
    before = company_count(db)
    response = client.post("/staff/companies/new", data={**company_form, "kind": kind, "tax_id": tax_id()})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert company_count(db) == before


def test_duplicate_tax_id_is_refused(client, db, as_staff, company_form, make_company):
    existing = make_company()
    as_staff("manager")
    response = client.post("/staff/companies/new", data={**company_form, "tax_id": existing.tax_id})
    assert response.status_code == 400
    assert "Контрагент з таким кодом вже є." in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Company).where(Company.tax_id == existing.tax_id)) == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"credit_limit": "-1"}, "Значення не може бути від'ємним."),
        ({"credit_limit": "багато"}, "Вкажіть число, наприклад 1250,50."),
        ({"payment_terms": "deferred", "deferral_days": ""}, "Відстрочка — від 1 до 365 днів."),
        ({"payment_terms": "deferred", "deferral_days": "400"}, "Відстрочка — від 1 до 365 днів."),
        ({"payment_terms": "advance", "advance_percent": "100"}, "Аванс — від 1 до 99 %."),
        ({"phone": "12345"}, "Невірний номер телефону."),
        ({"email": "not-an-email"}, "Невірна адреса e-mail."),
        ({"name": "   "}, "Вкажіть назву."),
        ({"price_type_id": "999999"}, None),
        ({"kind": "trust"}, None),
    ],
)
def test_bad_company_fields_change_nothing(client, db, as_staff, company_form, change, message):
    as_staff("manager")
    before = company_count(db)
    response = client.post("/staff/companies/new", data={**company_form, **change})
    assert response.status_code == 400
    if message:
        assert message in response.get_data(as_text=True)
    assert company_count(db) == before


def test_the_manager_must_be_from_sales(client, db, as_staff, company_form, make_staff):
    lawyer = make_staff("lawyer")
    as_staff("manager")
    response = client.post("/staff/companies/new", data={**company_form, "manager_id": lawyer.id})
    assert response.status_code == 400
    assert company_count(db) == 0


def test_edit_a_company_and_a_bad_edit_changes_nothing(client, db, as_staff, company_form, make_company):
    company = make_company("ТОВ «Стара назва»")
    as_staff("manager")
    form = {**company_form, "tax_id": company.tax_id, "name": "ТОВ «Нова назва»"}
    assert client.get(f"/staff/companies/{company.id}/edit").status_code == 200
    assert client.post(f"/staff/companies/{company.id}/edit", data=form).status_code == 302
    db.refresh(company)
    assert company.name == "ТОВ «Нова назва»" and company.credit_limit == Decimal("150000.50")

    bad = {**form, "name": "ТОВ «Ще новіша»", "credit_limit": "-5"}
    assert client.post(f"/staff/companies/{company.id}/edit", data=bad).status_code == 400
    db.refresh(company)
    assert company.name == "ТОВ «Нова назва»" and company.credit_limit == Decimal("150000.50")


def test_editing_onto_another_companys_tax_id_is_refused(client, db, as_staff, company_form, make_company):
    mine, theirs = make_company(), make_company()
    as_staff("manager")
    response = client.post(f"/staff/companies/{mine.id}/edit", data={**company_form, "tax_id": theirs.tax_id})
    assert response.status_code == 400
    db.refresh(mine)
    assert mine.tax_id != theirs.tax_id


@pytest.mark.parametrize("role", ["lawyer", "accountant"])
def test_only_sales_and_admin_edit_companies(client, db, as_staff, company_form, make_company, role):
    company = make_company("ТОВ «Не чіпати»")
    as_staff(role)
    assert client.get("/staff/companies").status_code == 200  # looking is fine
    assert client.get(f"/staff/companies/{company.id}").status_code == 200
    assert client.get("/staff/companies/new").status_code == 403
    assert client.post("/staff/companies/new", data=company_form).status_code == 403
    assert client.post(f"/staff/companies/{company.id}/edit", data={**company_form, "name": "X"}).status_code == 403
    assert client.post(f"/staff/companies/{company.id}/points", data={"name": "A", "address": "B"}).status_code == 403
    assert client.post(f"/staff/companies/{company.id}/users", data={"full_name": "A", "role": "buyer", "email": "a@b.ua"}).status_code == 403
    db.refresh(company)
    assert company.name == "ТОВ «Не чіпати»" and company_count(db) == 1
    assert len(company.delivery_points) == 1 and company.users == []


def test_admin_may_edit_companies(client, as_staff):
    as_staff("admin")
    assert client.get("/staff/companies/new").status_code == 200


def test_unknown_company_is_404(client, as_staff):
    as_staff("manager")
    for url in ("/staff/companies/999999", "/staff/companies/999999/edit"):
        assert client.get(url).status_code == 404
    assert client.post("/staff/companies/999999/points", data={"name": "A", "address": "B"}).status_code == 404


def test_search_by_name_in_any_case_or_by_tax_id(client, as_staff, make_company):
    cafe, shop = make_company("ТОВ «Кафе Ромашка»"), make_company("ФОП Коваль", sole=True)
    as_staff("lawyer")
    by_name = client.get("/staff/companies?q=ромашка").get_data(as_text=True)
    assert f"/staff/companies/{cafe.id}" in by_name and f"/staff/companies/{shop.id}\"" not in by_name
    by_code = client.get(f"/staff/companies?q={shop.tax_id}").get_data(as_text=True)
    assert f"/staff/companies/{shop.id}" in by_code and f"/staff/companies/{cafe.id}\"" not in by_code


def test_company_list_is_paged(client, as_staff, make_company):
    for n in range(52):
        make_company(f"ТОВ «Кафе {n:03d}»")
    as_staff("manager")
    first = client.get("/staff/companies").get_data(as_text=True)
    second = client.get("/staff/companies?page=2").get_data(as_text=True)
    assert first.count("ТОВ «Кафе ") == 50 and second.count("ТОВ «Кафе ") == 2
    assert "Кафе 051" in second and "Кафе 051" not in first


# --- delivery points ----------------------------------------------------------------------


def test_add_and_deactivate_a_delivery_point(client, db, as_staff, make_company):
    company = make_company()
    as_staff("manager")
    response = client.post(f"/staff/companies/{company.id}/points", data={"name": "Склад", "address": "Львів, вул. Городоцька, 5"})
    assert response.status_code == 302
    point = db.scalar(select(DeliveryPoint).where(DeliveryPoint.company_id == company.id, DeliveryPoint.name == "Склад"))
    assert point.address == "Львів, вул. Городоцька, 5" and point.is_active
    assert client.post(f"/staff/companies/{company.id}/points/{point.id}/deactivate").status_code == 302
    db.refresh(point)
    assert not point.is_active


def test_a_point_needs_name_and_address(client, db, as_staff, make_company):
    company = make_company()
    as_staff("manager")
    response = client.post(f"/staff/companies/{company.id}/points", data={"name": "Склад", "address": " "})
    assert response.status_code == 400 and "Вкажіть адресу." in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(DeliveryPoint).where(DeliveryPoint.company_id == company.id)) == 1


def test_another_companys_point_is_404_and_stays_active(client, db, as_staff, make_company):
    mine, theirs = make_company(), make_company()
    their_point = db.scalar(select(DeliveryPoint).where(DeliveryPoint.company_id == theirs.id))
    as_staff("manager")
    assert client.post(f"/staff/companies/{mine.id}/points/{their_point.id}/deactivate").status_code == 404
    assert client.post(f"/staff/companies/{mine.id}/points/999999/deactivate").status_code == 404
    db.refresh(their_point)
    assert their_point.is_active


# --- portal users ---------------------------------------------------------------------------


def user_count(db):
    return db.scalar(select(func.count()).select_from(User))


def test_create_a_portal_user_with_an_initial_password(client, db, as_staff, make_company):
    company = make_company()
    as_staff("manager")
    data = {"full_name": "Ірина Бондар", "role": "owner", "email": "Iryna@Cafe.ua", "phone": "+38 (050) 111-22-33", "password": "initial-pass-1"}
    assert client.post(f"/staff/companies/{company.id}/users", data=data).status_code == 302
    user = db.scalar(select(User).where(User.company_id == company.id))
    assert (user.full_name, user.role, user.email, user.phone) == ("Ірина Бондар", "owner", "iryna@cafe.ua", "+380501112233")
    assert check_password(user.password_hash, "initial-pass-1")


def test_create_a_user_with_a_phone_only_and_no_password(client, db, as_staff, make_company):
    company = make_company()
    as_staff("manager")
    data = {"full_name": "Олег", "role": "buyer", "phone": "0671112233"}
    assert client.post(f"/staff/companies/{company.id}/users", data=data).status_code == 302
    user = db.scalar(select(User).where(User.company_id == company.id))
    assert user.email is None and user.phone == "+380671112233" and user.password_hash is None


@pytest.mark.parametrize(
    "data, message",
    [
        ({"email": "TAKEN@cafe.ua"}, "Користувач з таким e-mail вже є."),
        ({"phone": "067 000 00 07"}, "Користувач з таким телефоном вже є."),  # same number, other spelling
        ({"phone": "12-34"}, "Невірний номер телефону."),
        ({"email": "", "phone": ""}, "Потрібен e-mail або телефон для входу."),
        ({"email": "no-at-sign"}, "Невірна адреса e-mail."),
        ({"password": "short"}, "Пароль має містити щонайменше 8 символів."),
        ({"role": "director"}, None),
        ({"full_name": ""}, "Вкажіть ім'я."),
    ],
)
def test_bad_user_input_creates_nobody(client, db, as_staff, make_company, make_user, data, message):
    company = make_company()
    make_user(make_company(), email="taken@cafe.ua", phone="+380670000007")
    as_staff("manager")
    before = user_count(db)
    form = {"full_name": "Нова Людина", "role": "buyer", "email": "new@cafe.ua", **data}
    response = client.post(f"/staff/companies/{company.id}/users", data=form)
    assert response.status_code == 400
    if message:
        assert message in response.get_data(as_text=True)
    assert user_count(db) == before


def test_deactivate_and_activate_a_user(client, db, as_staff, make_company, make_user):
    company = make_company()
    user = make_user(company)
    as_staff("manager")
    assert client.post(f"/staff/companies/{company.id}/users/{user.id}/deactivate").status_code == 302
    db.refresh(user)
    assert not user.is_active
    assert client.post(f"/staff/companies/{company.id}/users/{user.id}/activate").status_code == 302
    db.refresh(user)
    assert user.is_active


def test_another_companys_user_is_404_and_unchanged(client, db, as_staff, make_company, make_user):
    mine, theirs = make_company(), make_company()
    their_user = make_user(theirs)
    as_staff("manager")
    assert client.post(f"/staff/companies/{mine.id}/users/{their_user.id}/deactivate").status_code == 404
    assert client.post(f"/staff/companies/{mine.id}/users/{their_user.id}/password-link").status_code == 404
    assert client.post(f"/staff/companies/{mine.id}/users/999999/activate").status_code == 404
    db.refresh(their_user)
    assert their_user.is_active
    assert db.scalar(select(func.count()).select_from(Message)) == 0


def test_send_a_password_link_to_a_portal_user(client, db, as_staff, make_company, make_user):
    company = make_company()
    user = make_user(company)
    as_staff("manager")
    assert client.post(f"/staff/companies/{company.id}/users/{user.id}/password-link").status_code == 302
    message = db.scalar(select(Message).where(Message.recipient == user.email))
    assert message is not None and "/reset/" in message.body and "/staff/reset/" not in message.body


def test_no_password_link_for_a_disabled_user(client, db, as_staff, make_company, make_user):
    company = make_company()
    user = make_user(company, is_active_flag=False)
    as_staff("manager")
    response = client.post(f"/staff/companies/{company.id}/users/{user.id}/password-link", follow_redirects=True)
    assert "спершу увімкніть його" in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Message)) == 0


def test_company_card_shows_points_users_and_actions_by_role(client, as_staff, make_company, make_user):
    company = make_company("ТОВ «Картка»")
    make_user(company, full_name="Марія Покупець")
    as_staff("lawyer")
    html = client.get(f"/staff/companies/{company.id}").get_data(as_text=True)
    assert "Кафе на Подолі" in html and "Марія Покупець" in html
    assert "Створити користувача" not in html and "/edit" not in html


def test_a_company_can_refuse_that_unnamed_bank_payments_pay_its_oldest_invoices(client, db, as_staff, company_form, make_company):
    company = make_company()
    assert company.pay_oldest_first  # the default
    as_staff("manager")
    form = {**company_form, "tax_id": company.tax_id}  # an unticked box is not sent at all
    assert client.post(f"/staff/companies/{company.id}/edit", data=form).status_code == 302
    db.refresh(company)
    assert company.pay_oldest_first is False
    assert "не найстаріші першими" in client.get(f"/staff/companies/{company.id}").get_data(as_text=True)
    assert client.post(f"/staff/companies/{company.id}/edit", data={**form, "pay_oldest_first": "y"}).status_code == 302
    db.refresh(company)
    assert company.pay_oldest_first is True


def test_the_companies_list_is_in_ukrainian_alphabet_order(client, as_staff, make_company):
    as_staff("manager")
    for name in ["Ґуава", "Гречка", "Іриски", "Їжак", "Йогурт", "Єнот", "Яблуко", "Ананас"]:
        make_company(f"ФОП {name}")
    html = client.get("/staff/companies", query_string={"q": "ФОП"}).get_data(as_text=True)
    assert re.findall(r">ФОП (\w+)</a>", html) == ["Ананас", "Гречка", "Ґуава", "Єнот", "Іриски", "Їжак", "Йогурт", "Яблуко"]
