"""What a sealed entry is, byte for byte: its leaf data and its link in the hash chain."""

from __future__ import annotations

import hashlib
from typing import Any

GENESIS = bytes(32)  # the chain hash before the first entry


def entry_bytes(seq: int, notification_id: int, originator_id: str, originator_version: int, topic: str, state_sha256: str) -> bytes:
    """The leaf data of one sealed event: its position and identity, and the hash of its stored bytes."""
    return f"timebank-audit-entry/1\n{seq}\n{notification_id}\n{originator_id}\n{originator_version}\n{topic}\n{state_sha256}\n".encode()


def entry_of(row: Any) -> bytes:
    return entry_bytes(row.seq, row.notification_id, row.originator_id, row.originator_version, row.topic, row.state_sha256)


def chain(previous: bytes, leaf: bytes) -> bytes:
    return hashlib.sha256(previous + leaf).digest()
