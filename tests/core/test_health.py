def test_healthz_reports_database_broker_and_outbox(client, db):
    from core import outbox

    outbox.emit(db, "nobody.listens", {})
    db.commit()
    response = client.get("/healthz")
    data = response.get_json()
    assert response.status_code == 200 and data["status"] == "ok"
    assert data["database"]["ok"] is True
    assert data["outbox"]["pending"] >= 1 and data["outbox"]["oldest_pending_age_s"] is not None
    assert data["broker"]["ok"] is True
