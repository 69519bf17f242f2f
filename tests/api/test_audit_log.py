"""The tamper-evident audit log, on the test's store (SQLite, or PostgreSQL with TIMEBANK_TEST_DATABASE_URL).

Every stored event is sealed into a dense sequence with a hash chain and an RFC 6962 Merkle tree;
the clock signs checkpoints with Ed25519. The independent verifier names the FIRST sealed position
where history was altered, removed, reordered, inserted or truncated - each done here with raw SQL
on the event store's own table, as an operator with database access could.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text

from api.cli import main as cli
from api.clock import run_audit_checkpoint, run_audit_seal
from api.services import Services
from audit import merkle, verify
from audit.entries import entry_of
from audit.signing import checkpoint_message, load_public_key, verify_signature
from audit.tables import audit_log
from tests.api.conftest import ApiClient, Walk, expect
from timebank.settings import Settings

K = 5  # the sealed position every tampering below aims at


def table(engine: Engine) -> tuple[str, str]:
    return ("stored_events", "rowid") if engine.dialect.name == "sqlite" else ("timebank_events", "notification_id")


def position_of(services: Services, seq: int) -> int:
    entry = services.audit.entry(seq)  # type: ignore[union-attr]
    assert entry is not None
    return int(entry["notification_id"])


def sealed_history(walk: Walk, services: Services) -> int:
    """A history of more than K events, sealed, with a signed checkpoint; returns its size."""
    walk.volunteer(name="刘一")
    walk.volunteer(name="陈二")
    assert run_audit_checkpoint(services) == 1
    size = services.audit.size()  # type: ignore[union-attr]
    assert size > K + 2
    return size


def run_sql(engine: Engine, *statements: tuple[str, dict[str, Any]]) -> None:
    with engine.begin() as conn:
        for statement, params in statements:
            conn.execute(text(statement), params)


def alter(services: Services) -> None:
    events = services.audit.events  # type: ignore[union-attr]
    name, pos = table(events)
    run_sql(events, (f"UPDATE {name} SET state = :state WHERE {pos} = :n", {"state": b'{"forged": true}', "n": position_of(services, K)}))


def remove(services: Services) -> None:
    events = services.audit.events  # type: ignore[union-attr]
    name, pos = table(events)
    run_sql(events, (f"DELETE FROM {name} WHERE {pos} = :n", {"n": position_of(services, K)}))


def reorder(services: Services) -> None:
    events = services.audit.events  # type: ignore[union-attr]
    name, pos = table(events)
    a, b = position_of(services, K), position_of(services, K + 1)
    run_sql(
        events,
        (f"UPDATE {name} SET {pos} = -1 WHERE {pos} = :a", {"a": a}),
        (f"UPDATE {name} SET {pos} = :a WHERE {pos} = :b", {"a": a, "b": b}),
        (f"UPDATE {name} SET {pos} = :b WHERE {pos} = -1", {"b": b}),
    )


def insert(services: Services) -> None:
    """Make room before the K-th sealed event and slip a forged one in."""
    events = services.audit.events  # type: ignore[union-attr]
    name, pos = table(events)
    at = position_of(services, K)
    with events.connect() as conn:
        topic, state = conn.execute(text(f"SELECT topic, state FROM {name} WHERE {pos} = :n"), {"n": at}).one()
    originator = "CAST(:oid AS uuid)" if events.dialect.name == "postgresql" else ":oid"
    run_sql(
        events,
        (f"UPDATE {name} SET {pos} = {pos} + 1000000 WHERE {pos} >= :n", {"n": at}),
        (f"UPDATE {name} SET {pos} = {pos} - 999999 WHERE {pos} >= 1000000", {}),
        (f"INSERT INTO {name} (originator_id, originator_version, topic, state, {pos}) VALUES ({originator}, 1, :topic, :state, :n)",
         {"oid": str(uuid.uuid4()), "topic": topic, "state": bytes(state), "n": at}),
    )


def truncate(services: Services) -> None:
    events = services.audit.events  # type: ignore[union-attr]
    name, pos = table(events)
    run_sql(events, (f"DELETE FROM {name} WHERE {pos} >= :n", {"n": position_of(services, K)}))


def report(services: Services) -> verify.Report:
    audit = services.audit
    assert audit is not None
    return verify.verify(audit.events, audit.engine, audit.signer.public_key)


def test_an_untouched_history_verifies_and_later_events_are_merely_unsealed(walk: Walk, services: Services) -> None:
    size = sealed_history(walk, services)
    walk.volunteer(name="张三")

    found = report(services)

    assert found.ok, found.finding
    assert found.sealed == size and found.checkpoints == 1 and found.unsealed > 0


@pytest.mark.parametrize(("tamper", "kind"), [
    (alter, "altered"), (remove, "removed"), (reorder, "reordered"), (insert, "inserted"), (truncate, "truncated"),
])
def test_each_tampering_of_the_store_is_named_at_the_first_position_it_touched(
    walk: Walk, services: Services, tamper: Callable[[Services], None], kind: str,
) -> None:
    sealed_history(walk, services)
    assert report(services).ok

    tamper(services)
    found = report(services)

    assert found.finding is not None, f"{kind} went unnoticed"
    assert (found.finding.kind, found.finding.seq) == (kind, K), found.finding


def test_rewriting_a_sealed_entry_breaks_its_chain_at_that_position(walk: Walk, services: Services) -> None:
    sealed_history(walk, services)
    run_sql(services.engine, ("UPDATE audit_log SET state_sha256 = :h WHERE seq = :k", {"h": "0" * 64, "k": K}))

    found = report(services)

    assert found.finding is not None and (found.finding.kind, found.finding.seq) == ("altered", K)


def test_rewriting_the_sealed_log_consistently_still_fails_the_signed_checkpoint(walk: Walk, services: Services) -> None:
    """An operator who forges an event, its entry and every chain hash after it cannot forge the signed root."""
    sealed_history(walk, services)
    audit = services.audit
    assert audit is not None
    alter(services)
    with services.engine.begin() as conn:
        rows = conn.execute(audit_log.select().where(audit_log.c.seq >= K).order_by(audit_log.c.seq)).all()
        previous = bytes.fromhex(conn.execute(text("SELECT chain_hash FROM audit_log WHERE seq = :s"), {"s": K - 1}).scalar_one())
        for row in rows:
            values = row._asdict()
            if row.seq == K:
                values["state_sha256"] = __import__("hashlib").sha256(b'{"forged": true}').hexdigest()
            leaf = merkle.leaf_hash(entry_of(type("Row", (), values)))
            previous = __import__("hashlib").sha256(previous + leaf).digest()
            conn.execute(audit_log.update().where(audit_log.c.seq == row.seq).values(
                state_sha256=values["state_sha256"], leaf_hash=leaf.hex(), chain_hash=previous.hex()))

    found = report(services)

    assert found.finding is not None and found.finding.kind == "altered" and found.finding.seq == 1
    assert "signed checkpoint" in found.finding.detail


def test_deleting_sealed_entries_is_truncation_against_the_signed_checkpoint(walk: Walk, services: Services) -> None:
    size = sealed_history(walk, services)
    run_sql(services.engine, ("DELETE FROM audit_log WHERE seq >= :k", {"k": K}))

    found = report(services)

    assert found.finding is not None and (found.finding.kind, found.finding.seq) == ("truncated", K), found.finding
    assert str(size) in found.finding.detail


def test_sealing_and_signing_are_idempotent(walk: Walk, services: Services) -> None:
    size = sealed_history(walk, services)

    assert run_audit_seal(services) == 0
    assert run_audit_checkpoint(services) == 0
    assert services.audit.size() == size  # type: ignore[union-attr]


# The API -------------------------------------------------------------------------------------------
def test_checkpoints_are_public_and_signed_by_the_published_key(api: ApiClient, walk: Walk, services: Services) -> None:
    size = sealed_history(walk, services)

    key = expect(api.get("/api/audit/public-key"), 200)
    checkpoints = expect(api.get("/api/audit/checkpoints"), 200)

    public_key = base64.b64decode(key["public_key"])
    assert key["algorithm"] == "Ed25519" and load_public_key(key["public_key_pem"]) == public_key
    [cp] = checkpoints
    assert cp["tree_size"] == size and cp["key_id"] == key["key_id"]
    message = checkpoint_message(cp["tree_size"], cp["root_hash"], cp["chain_hash"], cp["issued_at"])
    assert verify_signature(public_key, message, cp["signature"])
    assert not verify_signature(public_key, message.replace(str(size).encode(), str(size + 1).encode(), 1), cp["signature"])


def test_an_inclusion_proof_leads_from_the_entry_to_the_signed_root(api: ApiClient, walk: Walk, services: Services) -> None:
    size = sealed_history(walk, services)
    auditor = walk.auditor()

    for seq in (1, K, size):
        proof = expect(api.get(f"/api/audit/proofs/{seq}", auditor), 200)
        entry = proof["entry"]
        leaf = merkle.leaf_hash(entry_of(type("Row", (), entry)))
        assert leaf.hex() == entry["leaf_hash"]
        assert merkle.verify_inclusion(leaf, seq - 1, size, [bytes.fromhex(h) for h in proof["audit_path"]],
                                       bytes.fromhex(proof["checkpoint"]["root_hash"]))


def test_a_consistency_proof_shows_an_older_checkpoint_is_a_prefix_of_a_newer(api: ApiClient, walk: Walk, services: Services) -> None:
    first = sealed_history(walk, services)
    walk.volunteer(name="王五")
    assert run_audit_checkpoint(services) == 1
    second = services.audit.size()  # type: ignore[union-attr]

    body = expect(api.get("/api/audit/consistency", first=first, second=second), 200)

    assert merkle.verify_consistency(first, second, bytes.fromhex(body["first"]["root_hash"]), bytes.fromhex(body["second"]["root_hash"]),
                                     [bytes.fromhex(h) for h in body["proof"]])


def test_proofs_refuse_what_no_checkpoint_covers_naming_the_field(api: ApiClient, walk: Walk, services: Services) -> None:
    size = sealed_history(walk, services)
    auditor = walk.auditor()
    walk.volunteer(name="赵六")
    run_audit_seal(services)

    assert expect(api.get(f"/api/audit/proofs/{size + 1}", auditor), 422)["field"] == "tree_size"
    assert expect(api.get(f"/api/audit/proofs/{size + 1000}", auditor), 404)["field"] == "seq"
    assert expect(api.get("/api/audit/proofs/1", auditor, tree_size=size + 1), 404)["field"] == "tree_size"
    assert expect(api.get("/api/audit/consistency", first=size, second=size + 1), 404)["field"] == "second"
    assert expect(api.get("/api/audit/consistency", first=2, second=1), 422)["field"] == "first"
    assert expect(api.get("/api/audit/consistency", first=0, second=1), 422)["field"] == "first"


# The command ---------------------------------------------------------------------------------------
def _env(settings: Settings) -> dict[str, str]:
    env = {"TIMEBANK_DATA_DIR": str(settings.data_dir), "TIMEBANK_SECRET_KEY": settings.secret_key, "TIMEBANK_CALENDAR": "weekdays"}
    if settings.database_url:
        env |= {"TIMEBANK_DATABASE_URL": settings.database_url, "TIMEBANK_DATABASE_SCHEMA": settings.database_schema or ""}
    return env


def test_the_verify_command_reads_the_database_and_a_public_key_file(walk: Walk, services: Services, settings: Settings, tmp_path: Any) -> None:
    sealed_history(walk, services)
    key_file = tmp_path / "audit.pub"
    key_file.write_text(services.audit.signer.public_key_pem)  # type: ignore[union-attr]
    runner = CliRunner()
    env = _env(settings)

    intact = runner.invoke(cli, ["audit", "verify", "--public-key", str(key_file), "--json"], env=env)
    remove(services)
    tampered = runner.invoke(cli, ["audit", "verify", "--public-key", str(key_file)], env=env)

    assert intact.exit_code == 0, intact.output
    assert json.loads(intact.stdout)["ok"] is True  # the progress bar goes to stderr
    assert tampered.exit_code == 1 and f"removed at seq {K}" in tampered.output


def test_the_verifier_loads_no_part_of_the_application() -> None:
    """audit/verify.py and what it imports reach only the audit package, SQLAlchemy and cryptography."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "audit"
    seen, todo = set(), ["verify"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        tree = ast.parse((root / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for module in modules:
                assert module.split(".")[0] not in {"timebank", "api", "projections"}, f"audit/{name}.py imports {module}"
                if module.startswith("audit."):
                    todo.append(module.split(".")[1])
                if module == "audit" and isinstance(node, ast.ImportFrom):
                    todo += [a.name for a in node.names]
    assert {"verify", "store", "entries", "signing", "merkle", "tables"} <= seen
    assert "log" not in seen and os.sep not in "".join(seen)
