"""Schemas of the audit log: sealed entries, signed checkpoints, proofs, the public key."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import BIGGEST_INTEGER, MinPositionArgs, d

HEX = d("Lowercase hex of a SHA-256 hash.")


class AuditEntrySchema(Schema):
    seq = fields.Int(required=True, metadata=d("Position in the sealed sequence: dense from 1, in commit order."))
    notification_id = fields.Int(required=True, metadata=d("The event store's own position (PostgreSQL's have gaps)."))
    originator_id = fields.Str(required=True, metadata=d("The aggregate the event belongs to."))
    originator_version = fields.Int(required=True, metadata=d("The event's version within its aggregate."))
    topic = fields.Str(required=True, metadata=d("The event's type, as stored (module:Class)."))
    state_sha256 = fields.Str(required=True, metadata=d("SHA-256 of the exact stored bytes of the event."))
    leaf_hash = fields.Str(required=True, metadata=d("RFC 6962 leaf hash, SHA-256(0x00 || entry), of this entry."))
    chain_hash = fields.Str(required=True, metadata=d("SHA-256(previous chain hash || leaf hash); 32 zero bytes before seq 1."))


class CheckpointSchema(Schema):
    tree_size = fields.Int(required=True, metadata=d("How many sealed entries the tree covers."))
    root_hash = fields.Str(required=True, metadata=d("The RFC 6962 Merkle tree hash of those entries."))
    chain_hash = fields.Str(required=True, metadata=d("The chain hash of the last entry covered."))
    issued_at = fields.Str(required=True, metadata=d("When the clock issued it, ISO 8601 UTC, exactly as signed."))
    key_id = fields.Str(required=True, metadata=d("First 16 hex digits of SHA-256 of the raw public key."))
    signature = fields.Str(required=True, metadata=d(
        "Base64 Ed25519 signature over 'timebank-audit-checkpoint/1\\n{tree_size}\\n{root_hash}\\n{chain_hash}\\n{issued_at}\\n'."))


class PublicKeySchema(Schema):
    algorithm = fields.Str(required=True, metadata=d("Always Ed25519."))
    key_id = fields.Str(required=True, metadata=d("First 16 hex digits of SHA-256 of the raw public key."))
    public_key = fields.Str(required=True, metadata=d("The raw 32-byte public key, base64."))
    public_key_pem = fields.Str(required=True, metadata=d("The same key as PEM (SubjectPublicKeyInfo)."))


class InclusionProofSchema(Schema):
    seq = fields.Int(required=True, metadata=d("The sealed entry proved."))
    leaf_index = fields.Int(required=True, metadata=d("Its 0-based index in the tree (seq - 1)."))
    entry = fields.Nested(AuditEntrySchema, required=True, metadata=d("The sealed entry."))
    audit_path = fields.List(fields.Str(), required=True, metadata=d("RFC 6962 §2.1.1 audit path, from the leaf up, hex."))
    checkpoint = fields.Nested(CheckpointSchema, required=True, metadata=d("The signed checkpoint the path leads to."))


class ConsistencyProofSchema(Schema):
    first = fields.Nested(CheckpointSchema, required=True, metadata=d("The older checkpoint."))
    second = fields.Nested(CheckpointSchema, required=True, metadata=d("The newer checkpoint."))
    proof = fields.List(fields.Str(), required=True, metadata=d("RFC 6962 §2.1.2 consistency proof, hex."))


class ProofArgs(MinPositionArgs):
    tree_size = fields.Int(validate=validate.Range(min=1, max=BIGGEST_INTEGER), metadata=d("The checkpoint to prove against (its tree size); the latest if omitted."))


class ConsistencyArgs(MinPositionArgs):
    first = fields.Int(required=True, validate=validate.Range(min=1, max=BIGGEST_INTEGER), metadata=d("Tree size of the older checkpoint."))
    second = fields.Int(required=True, validate=validate.Range(min=1, max=BIGGEST_INTEGER), metadata=d("Tree size of the newer checkpoint."))


class FeedArgs(MinPositionArgs):
    after = fields.Int(load_default=0, validate=validate.Range(min=0, max=BIGGEST_INTEGER), metadata=d("Start after this event-log position (the previous page's next_after)."))
    limit = fields.Int(load_default=100, validate=validate.Range(min=1, max=1000), metadata=d("At most this many events (1-1000, default 100)."))
    type = fields.Str(validate=validate.Length(min=1, max=300), metadata=d("Only events of this type: 'ServiceRecord.Confirmed' or a full topic."))
    aggregate_id = fields.UUID(metadata=d("Only the events of this aggregate."))
    since = fields.AwareDateTime(data_key="from", metadata=d("Only events at or after this time (ISO 8601 with offset)."))
    until = fields.AwareDateTime(data_key="to", metadata=d("Only events before this time (ISO 8601 with offset)."))


class AuditEventSchema(Schema):
    position = fields.Int(required=True, metadata=d("The event-log position (commit order)."))
    aggregate_id = fields.Str(required=True, metadata=d("The aggregate the event belongs to."))
    version = fields.Int(required=True, metadata=d("The event's version within its aggregate."))
    type = fields.Str(required=True, metadata=d("The event's type, e.g. ServiceRecord.Confirmed."))
    topic = fields.Str(required=True, metadata=d("The stored topic (module:Class.Event)."))
    timestamp = fields.DateTime(required=True, metadata=d("When the event happened."))
    actor = fields.Str(allow_none=True, metadata=d("Who acted: volunteer:<id>, admin:<id>, system:clock, ..."))
    data = fields.Dict(allow_none=True, metadata=d("The event's fields; personal data shows only as (sealed) or (erased); null for secrets' events."))


class FeedSchema(Schema):
    events = fields.List(fields.Nested(AuditEventSchema), required=True, metadata=d("The matching events, in commit order."))
    next_after = fields.Int(allow_none=True, metadata=d("Pass as `after` for the next page; null once the end of the log was reached."))


class FlagArgs(MinPositionArgs):
    kind = fields.Str(validate=validate.OneOf(("overlapping_sessions", "two_organizations", "daily_total")),
                      metadata=d("Only flags of this kind: overlapping_sessions, two_organizations or daily_total."))


class SessionSchema(Schema):
    shift_id = fields.UUID(required=True, metadata=d("The shift attended."))
    organization_id = fields.UUID(required=True, metadata=d("The organization that ran it."))
    checked_in_at = fields.DateTime(required=True, metadata=d("Check-in."))
    checked_out_at = fields.DateTime(required=True, metadata=d("Check-out."))


class FlagSchema(Schema):
    kind = fields.Str(required=True, metadata=d("overlapping_sessions, two_organizations (the same person at the same time) or daily_total."))
    volunteer_id = fields.UUID(required=True, metadata=d("The person flagged."))
    date = fields.Date(required=True, metadata=d("The day it happened."))
    minutes = fields.Int(allow_none=True, metadata=d("For daily_total: the minutes recorded that day."))
    organization_ids = fields.List(fields.UUID(), required=True, metadata=d("The organizations involved."))
    sessions = fields.List(fields.Nested(SessionSchema), required=True, metadata=d("The overlapping sessions (check-in to check-out)."))
    record_ids = fields.List(fields.Str(), required=True, metadata=d("The service records that raised it: open their event histories."))
