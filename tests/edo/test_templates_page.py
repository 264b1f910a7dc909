"""The templates page: a lawyer uploads a version (checked: unknown fields by name, not a
Word file, a zip bomb), the sales side reads and downloads, nobody else uploads."""
from __future__ import annotations

import hashlib
import io

from sqlalchemy import func, select

from edo.models import ContractTemplate
from tests.edo.documents import docx
from tests.edo.test_docx_template import _with_member
from tests.edo.conftest import logged


def upload(client, data: bytes, name: str = "dogovir.docx", comment: str = ""):
    return client.post("/staff/contract-templates", data={"file": (io.BytesIO(data), name), "comment": comment},
                       content_type="multipart/form-data")


def versions(db) -> int:
    return db.scalar(select(func.count()).select_from(ContractTemplate))


def test_a_lawyer_uploads_a_new_version_that_lists_its_fields(app, db, make_staff, template):
    lawyer = make_staff("lawyer", full_name="Юрій Гаврилюк")
    client = logged(app, lawyer)
    response = upload(client, docx("Договір № {{ contract_number }} з {{ company_name }}"), comment="Коротша редакція")
    assert response.status_code == 302
    newest = db.scalar(select(ContractTemplate).order_by(ContractTemplate.version.desc()))
    assert newest.version == template.version + 1 and newest.placeholders == ["company_name", "contract_number"]
    assert newest.uploaded_by_id == lawyer.id and len(newest.file.sha256) == 64
    html = client.get("/staff/contract-templates").get_data(as_text=True)
    assert "Юрій Гаврилюк" in html and "Коротша редакція" in html and "встановлено з системою" in html
    download = client.get(f"/staff/contract-templates/{newest.id}/file")
    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")


def test_an_unknown_placeholder_is_refused_by_its_name_and_nothing_is_kept(app, db, make_staff, template):
    client = logged(app, make_staff("lawyer"))
    response = upload(client, docx("{{ company_name }} {{ compnay_iban }}"))
    assert response.status_code == 400
    assert "Шаблон містить невідомі поля: compnay_iban." in response.get_data(as_text=True)
    assert versions(db) == 1


def test_what_is_not_a_word_document_is_refused(app, db, make_staff, template):
    client = logged(app, make_staff("lawyer"))
    assert "Завантажте шаблон у форматі Word (.docx)." in upload(client, b"%PDF-1.7", "dogovir.pdf").get_data(as_text=True)
    response = upload(client, b"PK\x03\x04 not really", "dogovir.docx")
    assert response.status_code == 400 and "Файл не вдалося прочитати як документ Word (.docx)." in response.get_data(as_text=True)
    assert versions(db) == 1


def test_a_zip_bomb_is_refused(app, db, make_staff, template):
    client = logged(app, make_staff("lawyer"))
    bomb = _with_member(docx("{{ company_name }}"), "word/media/filler.bin", b"\0" * (60 * 1024 * 1024))
    response = upload(client, bomb)
    assert response.status_code == 400 and "розпаковується у забагато даних" in response.get_data(as_text=True)
    assert versions(db) == 1


def test_sales_read_the_templates_but_only_a_lawyer_or_admin_uploads(app, db, make_staff, template):
    for role in ("manager", "head_of_sales"):
        client = logged(app, make_staff(role))
        assert client.get("/staff/contract-templates").status_code == 200
        assert hashlib.sha256(client.get(f"/staff/contract-templates/{template.id}/file").data).hexdigest() == template.file.sha256
        assert upload(client, docx("{{ company_name }}")).status_code == 403
    accountant = logged(app, make_staff("accountant"))
    assert accountant.get("/staff/contract-templates").status_code == 403
    assert upload(logged(app, make_staff("admin")), docx("{{ company_name }}")).status_code == 302
    assert versions(db) == 2


def test_the_english_page_says_it_in_english(app, db, make_staff, template):
    client = logged(app, make_staff("lawyer"))
    client.get("/lang/en")
    response = upload(client, docx("{{ nope }}"))
    assert "The template contains unknown fields: nope." in response.get_data(as_text=True)


def test_the_install_command_adds_the_built_in_template_or_a_file(app, db, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["edo-install-template"])
    assert result.exit_code == 0 and "installed (32 fields)" in result.output
    own = tmp_path / "nash.docx"
    own.write_bytes(docx("Договір № {{ contract_number }}"))
    assert runner.invoke(args=["edo-install-template", str(own)]).exit_code == 0
    bad = tmp_path / "bad.docx"
    bad.write_bytes(docx("{{ oops }}"))
    refused = runner.invoke(args=["edo-install-template", str(bad)])
    assert refused.exit_code == 1 and "невідомі поля: oops" in refused.output
    newest = db.scalar(select(ContractTemplate).order_by(ContractTemplate.version.desc()))
    assert newest.placeholders == ["contract_number"] and newest.file.name == "nash.docx"
