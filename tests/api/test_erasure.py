"""Erasure (PIPL): destroying a volunteer's key removes their personal data everywhere, and
nothing else: hours, balances, reconciliation and the views rebuilt from the log still hold."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from adapters.vault import AesGcmVault
from api.services import Services
from projections.db import make_engine
from projections.directory import volunteers
from projections.runner import Projector
from tests.api.conftest import ApiClient, Walk, expect, register, resident_id_number
from tests.conftest import DATABASE_URL_VAR
from timebank.settings import Settings

NAME, PHONE = "欧阳擦除", "13655554444"


def _wrapped_key(services: Services, volunteer_id: str) -> bytes:
    vault = services.timebank.vault
    assert isinstance(vault, AesGcmVault)
    found = vault.store.get_many([UUID(volunteer_id)])
    return found[UUID(volunteer_id)].wrapped if found else b""


def _raw_store(settings: Settings) -> bytes:
    """Everything the stores hold: the SQLite files byte for byte, or every row of the schema."""
    if not settings.uses_postgres:
        return b"".join(p.read_bytes() for p in Path(settings.data_dir).iterdir() if ".sqlite" in p.name)
    with psycopg.connect(os.environ[DATABASE_URL_VAR]) as conn:
        conn.execute("CHECKPOINT")
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (settings.database_schema,))]
        dump = []
        for table in tables:
            query = sql.SQL("SELECT t::text FROM {}.{} t").format(sql.Identifier(str(settings.database_schema)), sql.Identifier(table))
            dump += [row[0] for row in conn.execute(query)]  # bytea (the event bodies) comes out as \x hex
        text = "\n".join(dump)
    return text.encode("utf-8") + _decoded_bytea(text)


def _decoded_bytea(text: str) -> bytes:
    """Decode every \\x... hex run in a text dump, so sealed event bodies are searched as bytes."""
    out = bytearray()
    for part in text.split("\\x")[1:]:
        hexrun = "".join(ch for ch in part[:200_000] if ch in "0123456789abcdef")
        try:
            out += bytes.fromhex(hexrun[: len(hexrun) // 2 * 2])
        except ValueError:
            continue
    return bytes(out)


def test_erasure_leaves_no_trace_of_the_person_and_every_figure_intact(
    api: ApiClient, walk: Walk, services: Services, settings: Settings,
) -> None:
    id_number = resident_id_number(date(1950, 3, 8))
    person = register(api, name=NAME, phone=PHONE, birth_date="1950-03-08", id_number=id_number)
    before = expect(api.get(f"/api/volunteers/{person.id}", person.token), 200)
    assert before["name"] == NAME and before["erased"] is False  # readable until erased
    record = walk.declared(person, minutes=120)
    expect(walk.confirm(record), 200)
    account = expect(api.get(f"/api/accounts/{person.id}", person.token), 200)
    assert account["balance"] == 120

    # Nowhere in the clear, even before erasure: the events and views hold only ciphertext.
    for needle in (NAME.encode(), PHONE.encode(), id_number.encode()):
        assert needle not in _raw_store(settings)
    wrapped = _wrapped_key(services, person.id)
    assert wrapped

    expect(api.delete(f"/api/volunteers/{person.id}/personal-data", person.token), 204)
    expect(api.delete(f"/api/volunteers/{person.id}/personal-data", person.token), 204)  # repeating is harmless

    after = expect(api.get(f"/api/volunteers/{person.id}", walk.auditor()), 200)
    assert after["erased"] is True and after["erased_at"]
    assert [after[f] for f in ("name", "sex", "birth_date", "id_type", "id_number_masked", "phone_masked")] == [None] * 6
    raw = _raw_store(settings)
    assert person.volunteer_number.encode() in raw  # the search sees the stores' contents
    for needle in (NAME.encode(), PHONE.encode(), id_number.encode()):
        assert needle not in raw
    assert wrapped not in raw  # the key itself is gone from the file, not left in a free page
    assert services.timebank.personal_data_of(services.timebank.get_volunteer(UUID(person.id))) is None

    # Hours, balances and the ledger's reconciliation are untouched.
    assert expect(api.get(f"/api/accounts/{person.id}", person.token), 200)["balance"] == 120
    assert expect(api.get(f"/api/service-records/{record}", walk.organizer.token), 200)["status"] == "confirmed"
    report = expect(api.get("/api/reconciliation", walk.auditor()), 200)
    assert report["balanced"] and report["total"]["issued_credits"] == report["total"]["expected_credits"]
    # A rule that needs the person's age can no longer be checked: refused, not guessed.
    redeem = {"debit_account_id": account["id"], "credit_account_id": _redemption_account(api, walk), "minutes": 10, "kind": "redemption"}
    assert expect(api.post("/api/transfers", redeem, person.token), 422)["field"] == "kind"

    # A view rebuilt from the log shows the person erased too.
    rebuilt = _rebuild(services, settings, UUID(person.id))
    assert rebuilt["personal_data"] == "" and rebuilt["erased_at"] is not None


def _redemption_account(api: ApiClient, walk: Walk) -> str:
    system = expect(api.get("/api/accounts/system", walk.auditor()), 200)
    rows: list[dict[str, Any]] = system if isinstance(system, list) else system["accounts"]
    return next(a["id"] for a in rows if a["kind"] == "redemption" or a.get("name") == "redemption")


def _rebuild(services: Services, settings: Settings, volunteer_id: UUID) -> dict[str, Any]:
    url = f"sqlite:///{settings.data_dir / 'rebuilt.sqlite'}"
    engine = make_engine(url)
    try:
        projector = Projector(services.timebank.recorder, services.timebank.mapper, engine)
        projector.create_tables()
        projector.catch_up()
        with engine.connect() as conn:
            row = conn.execute(volunteers.select().where(volunteers.c.id == volunteer_id)).mappings().first()
        assert row is not None
        return dict(row)
    finally:
        engine.dispose()
        (settings.data_dir / "rebuilt.sqlite").unlink(missing_ok=True)


def test_only_the_volunteer_or_an_admin_erases(api: ApiClient, walk: Walk, services: Services) -> None:
    person, other = walk.volunteer(), walk.volunteer()
    for token in (other.token, walk.auditor(), walk.organizer.token):
        expect(api.delete(f"/api/volunteers/{person.id}/personal-data", token), 404)
    assert expect(api.get(f"/api/volunteers/{person.id}", person.token), 200)["erased"] is False
    expect(api.delete(f"/api/volunteers/{person.id}/personal-data", walk.admin), 204)
    assert expect(api.get(f"/api/volunteers/{person.id}", person.token), 200)["erased"] is True


def test_an_erased_volunteer_can_no_longer_log_in_by_phone(api: ApiClient) -> None:
    person = register(api, phone="13600007777")
    expect(api.post("/api/auth/password", {"password": "lantern-42-river"}, person.token), 204)
    expect(api.post("/api/auth/login", {"login": "13600007777", "password": "lantern-42-river"}), 200)
    expect(api.delete(f"/api/volunteers/{person.id}/personal-data", person.token), 204)
    expect(api.post("/api/auth/login", {"login": "13600007777", "password": "lantern-42-river"}), 401)
