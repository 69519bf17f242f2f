"""The independent verifier: reads the event store's table, the audit tables and a public key, nothing else.

It imports no part of the application (no aggregate, no command, no projection) and writes nothing.
It checks, in one streaming pass each:

1. the sealed log itself: `seq` dense from 1, every leaf and chain hash recomputed from the row,
   every checkpoint's signature, and its Merkle root against the leaves up to its size;
2. the event store against the sealed log, position by position, and names the FIRST position
   (seq) where history was altered, removed, reordered, inserted or truncated.

Events stored after the last sealed one are reported as not yet sealed, not as an error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from audit import merkle, store
from audit.entries import GENESIS, chain, entry_of
from audit.signing import checkpoint_message, key_id, verify_signature
from audit.tables import audit_checkpoints, audit_log

PROGRESS_EVERY = 1000  # rows between two progress reports


@dataclass(frozen=True)
class Finding:
    kind: str  # altered | removed | reordered | inserted | truncated
    seq: int  # the first sealed position affected
    detail: str
    notification_id: int | None = None


@dataclass
class Report:
    sealed: int = 0  # entries in the audit log
    stored: int = 0  # events in the store that were compared or are not yet sealed
    unsealed: int = 0
    checkpoints: int = 0
    finding: Finding | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.finding is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "sealed": self.sealed, "stored": self.stored, "unsealed": self.unsealed, "checkpoints": self.checkpoints,
            "finding": None if self.finding is None else vars(self.finding), "notes": self.notes,
        }


def _sealed(engine: Engine, page: int = 1000) -> Iterator[Any]:
    after = 0
    while True:
        with engine.connect() as conn:
            rows = conn.execute(select(audit_log).where(audit_log.c.seq > after).order_by(audit_log.c.seq).limit(page)).all()
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1].seq


def _sealed_key(engine: Engine, key: tuple[str, int]) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            select(audit_log).where(audit_log.c.originator_id == key[0], audit_log.c.originator_version == key[1])
        ).first()


def check_log(engine: Engine, public_key: bytes, report: Report, progress: Callable[[int], None] | None = None) -> None:
    """The audit log's own integrity and the checkpoints' signatures and roots."""
    with engine.connect() as conn:
        checkpoints = [dict(r) for r in conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.tree_size)).mappings()]
    report.checkpoints = len(checkpoints)
    ours = key_id(public_key)
    for cp in checkpoints:
        message = checkpoint_message(cp["tree_size"], cp["root_hash"], cp["chain_hash"], cp["issued_at"])
        if cp["key_id"] != ours or not verify_signature(public_key, message, cp["signature"]):
            report.finding = Finding("altered", 1, f"checkpoint of tree size {cp['tree_size']} is not signed by this key")
            return
    pending = list(checkpoints)
    stack: list[tuple[int, bytes]] = []
    previous, expected, last_good = GENESIS, 1, 0
    for row in _sealed(engine):
        if progress and row.seq % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
        if row.seq != expected:
            kind = "removed" if row.seq > expected else "reordered"
            report.finding = Finding(kind, expected, f"the audit log jumps from seq {expected - 1} to {row.seq}")
            return
        leaf = merkle.leaf_hash(entry_of(row))
        previous = chain(previous, leaf)
        if leaf.hex() != row.leaf_hash or previous.hex() != row.chain_hash:
            report.finding = Finding("altered", row.seq, "the audit entry does not hash to its leaf and chain hash", row.notification_id)
            return
        size, current = 1, leaf
        while stack and stack[-1][0] == size:
            current = merkle.node_hash(stack.pop()[1], current)
            size *= 2
        stack.append((size, current))
        while pending and pending[0]["tree_size"] == row.seq:
            cp = pending.pop(0)
            root = merkle.root_of(())
            if stack:
                root = stack[-1][1]
                for _, left in reversed(stack[:-1]):
                    root = merkle.node_hash(left, root)
            if root.hex() != cp["root_hash"] or previous.hex() != cp["chain_hash"]:
                report.finding = Finding(
                    "altered", last_good + 1,
                    f"the sealed log between seq {last_good + 1} and {cp['tree_size']} differs from the signed checkpoint",
                )
                return
            last_good = cp["tree_size"]
        expected += 1
    report.sealed = expected - 1
    if pending:
        report.finding = Finding(
            "truncated", report.sealed + 1,
            f"a signed checkpoint covers {pending[-1]['tree_size']} entries; the audit log holds {report.sealed}",
        )


def compare(events: Engine, engine: Engine, report: Report, progress: Callable[[int], None] | None = None) -> None:
    """The event store against the sealed log, position by position."""
    stored = store.stream(events)
    seen = 0
    for row in _sealed(engine):
        if progress and row.seq % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
        event = next(stored, None)
        if event is not None:
            seen += 1
        if event is not None and event.key == (row.originator_id, row.originator_version):
            if event.topic == row.topic and hashlib.sha256(event.state).hexdigest() == row.state_sha256:
                continue
            report.finding = Finding("altered", row.seq, f"{row.topic} v{row.originator_version} of {row.originator_id} was changed",
                                     row.notification_id)
            return
        report.finding = _classify(events, engine, row, event)
        return
    report.unsealed = sum(1 for _ in stored)
    report.stored = seen + report.unsealed


def _classify(events: Engine, engine: Engine, row: Any, event: store.StoredRow | None) -> Finding:
    """What happened at the first position where the store and the sealed log part."""
    sealed_key = (row.originator_id, row.originator_version)
    if event is None:
        return Finding("truncated", row.seq, f"the store ends before seq {row.seq}; the sealed history goes on", row.notification_id)
    still_stored = store.find(events, sealed_key)
    event_was_sealed = _sealed_key(engine, event.key)
    if still_stored is not None and event_was_sealed is not None:
        return Finding("reordered", row.seq, f"the event sealed at seq {row.seq} now stands at position {still_stored.notification_id}",
                       row.notification_id)
    if still_stored is not None:
        return Finding("inserted", row.seq, f"an event never sealed stands at position {event.notification_id}, before seq {row.seq}",
                       event.notification_id)
    if event_was_sealed is not None:
        return Finding("removed", row.seq, f"the event sealed at seq {row.seq} is gone from the store", row.notification_id)
    last = _last_sealed(engine)
    if last is not None and store.find(events, (last.originator_id, last.originator_version)) is None:
        return Finding("truncated", row.seq, f"the sealed history from seq {row.seq} on is gone from the store", row.notification_id)
    return Finding("altered", row.seq, f"the event sealed at seq {row.seq} was replaced", row.notification_id)


def _last_sealed(engine: Engine) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(audit_log).order_by(audit_log.c.seq.desc()).limit(1)).first()


def verify(events: Engine, engine: Engine, public_key: bytes, progress: Callable[[int], None] | None = None) -> Report:
    """`progress` is told how many rows were checked, every PROGRESS_EVERY rows (the log is read twice)."""
    report = Report()
    check_log(engine, public_key, report, progress)
    if report.finding is None:
        compare(events, engine, report, progress)
    return report
