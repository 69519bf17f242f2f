"""The audit tables in the read-model database: the sealed sequence and the signed checkpoints."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text

metadata = MetaData()

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),  # dense from 1, in commit order
    Column("notification_id", BigInteger, nullable=False, unique=True),  # the store's position (gaps on PostgreSQL)
    Column("originator_id", String(64), nullable=False),
    Column("originator_version", Integer, nullable=False),
    Column("topic", Text, nullable=False),
    Column("state_sha256", String(64), nullable=False),  # of the exact stored bytes (encrypted, if the store is)
    Column("leaf_hash", String(64), nullable=False),  # SHA-256(0x00 || entry), entry = audit.log.entry_bytes(...)
    Column("chain_hash", String(64), nullable=False),  # SHA-256(previous chain hash || leaf hash)
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", String(64), nullable=False),
    Column("chain_hash", String(64), nullable=False),
    Column("issued_at", String(40), nullable=False),  # ISO 8601 UTC, exactly as signed
    Column("key_id", String(16), nullable=False),
    Column("signature", String(100), nullable=False),  # base64 Ed25519 over audit.signing.checkpoint_message(...)
)
