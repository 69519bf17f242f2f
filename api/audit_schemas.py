"""Schemas of the audit log: sealed entries, signed checkpoints, proofs, the public key."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import MinPositionArgs, d

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
    tree_size = fields.Int(validate=validate.Range(min=1), metadata=d("The checkpoint to prove against (its tree size); the latest if omitted."))


class ConsistencyArgs(MinPositionArgs):
    first = fields.Int(required=True, validate=validate.Range(min=1), metadata=d("Tree size of the older checkpoint."))
    second = fields.Int(required=True, validate=validate.Range(min=1), metadata=d("Tree size of the newer checkpoint."))
