"""The audit sealer and the tree over what it sealed: a small tracked follower of the event store.

`seal()` reads stored events in commit order after the last one sealed and appends to `audit_log`
one row each: a dense `seq` from 1 (PostgreSQL's notification ids have gaps), the notification id,
the aggregate and version, the topic, SHA-256 of the exact stored bytes, the RFC 6962 leaf hash of
the entry and a chain hash. `issue_checkpoint()` signs (tree size, Merkle root, chain head, time).
Both are idempotent: sealing twice seals nothing new, and a checkpoint is issued only when the log
grew. Two sealers racing collide on `seq` and one of them simply stops for this round.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from audit import merkle, store
from audit.entries import GENESIS, chain, entry_bytes
from audit.signing import Signer, checkpoint_message
from audit.tables import audit_checkpoints, audit_log, metadata


class NoSuchCheckpoint(LookupError):
    pass


class AuditLog:
    def __init__(self, events: Engine, engine: Engine, signer: Signer, clock: Callable[[], datetime]) -> None:
        self.events = events  # the event store, read with plain SQL
        self.engine = engine  # the read-model database, where the audit tables live
        self.signer = signer
        self.clock = clock

    def create_tables(self) -> None:
        metadata.create_all(self.engine)

    # Sealing -------------------------------------------------------------------------------
    def head(self) -> tuple[int, int, bytes]:
        """(last seq, its notification id, its chain hash); (0, 0, GENESIS) before the first."""
        with self.engine.connect() as conn:
            last = conn.execute(
                select(audit_log.c.seq, audit_log.c.notification_id, audit_log.c.chain_hash).order_by(audit_log.c.seq.desc()).limit(1)
            ).first()
        return (last.seq, last.notification_id, bytes.fromhex(last.chain_hash)) if last else (0, 0, GENESIS)

    def seal(self, limit: int = 1000) -> int:
        """Seal the next page of stored events; returns how many (0: nothing new, or another sealer won)."""
        seq, position, previous = self.head()
        rows = store.read_page(self.events, position, limit)
        if not rows:
            return 0
        values = []
        for row in rows:
            seq += 1
            state_sha256 = hashlib.sha256(row.state).hexdigest()
            leaf = merkle.leaf_hash(entry_bytes(seq, row.notification_id, row.originator_id, row.originator_version, row.topic, state_sha256))
            previous = chain(previous, leaf)
            values.append({
                "seq": seq, "notification_id": row.notification_id, "originator_id": row.originator_id,
                "originator_version": row.originator_version, "topic": row.topic, "state_sha256": state_sha256,
                "leaf_hash": leaf.hex(), "chain_hash": previous.hex(),
            })
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(audit_log), values)
        except IntegrityError:
            return 0  # another sealer sealed these positions first
        return len(values)

    def seal_all(self, limit: int = 1000, progress: Callable[[int], None] | None = None) -> int:
        total = 0
        while count := self.seal(limit):
            total += count
            if progress:
                progress(count)
        return total

    def size(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.max(audit_log.c.seq), 0))).scalar_one())

    def leaves(self, start: int, end: int, page: int = 10_000) -> Iterator[bytes]:
        """The leaf hashes of 0-based [start, end), i.e. seq start+1 .. end, streamed a page at a time."""
        while start < end:
            stop = min(end, start + page)
            with self.engine.connect() as conn:
                hashes = conn.execute(
                    select(audit_log.c.leaf_hash).where(audit_log.c.seq > start, audit_log.c.seq <= stop).order_by(audit_log.c.seq)
                ).scalars().all()
            if len(hashes) != stop - start:
                raise LookupError(f"the audit log has holes between seq {start + 1} and {stop}")
            yield from (bytes.fromhex(h) for h in hashes)
            start = stop

    def entry(self, seq: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(audit_log).where(audit_log.c.seq == seq)).mappings().first()
        return dict(row) if row else None

    # Checkpoints ---------------------------------------------------------------------------
    def issue_checkpoint(self) -> dict[str, Any] | None:
        """Sign the tree as sealed now; None if no event was sealed since the last checkpoint."""
        size = self.size()
        latest = self.latest_checkpoint()
        if size == 0 or (latest and latest["tree_size"] >= size):
            return None
        root = merkle.root_of(self.leaves(0, size)).hex()
        with self.engine.connect() as conn:
            chain_hash = conn.execute(select(audit_log.c.chain_hash).where(audit_log.c.seq == size)).scalar_one()
        issued_at = self.clock().astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
        checkpoint = {
            "tree_size": size, "root_hash": root, "chain_hash": chain_hash, "issued_at": issued_at, "key_id": self.signer.key_id,
            "signature": self.signer.sign(checkpoint_message(size, root, chain_hash, issued_at)),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(audit_checkpoints).values(**checkpoint))
        except IntegrityError:
            return None  # issued by another clock meanwhile
        return checkpoint

    def latest_checkpoint(self) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.tree_size.desc()).limit(1)).mappings().first()
        return dict(row) if row else None

    def checkpoint(self, tree_size: int | None, field: str = "tree_size") -> dict[str, Any]:
        """The checkpoint of this tree size (the latest if None); NoSuchCheckpoint names the field."""
        found = self.latest_checkpoint() if tree_size is None else None
        if tree_size is not None:
            with self.engine.connect() as conn:
                row = conn.execute(select(audit_checkpoints).where(audit_checkpoints.c.tree_size == tree_size)).mappings().first()
            found = dict(row) if row else None
        if found is None:
            raise NoSuchCheckpoint(field)
        return found

    def checkpoints(self, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        with self.engine.connect() as conn:
            total = int(conn.execute(select(func.count()).select_from(audit_checkpoints)).scalar_one())
            if offset >= total:
                return [], total  # past the last page; a huge page number would overflow the database's integers
            rows = conn.execute(
                select(audit_checkpoints).order_by(audit_checkpoints.c.tree_size.desc()).offset(offset).limit(limit)
            ).mappings().all()
        return [dict(r) for r in rows], total

    # Proofs --------------------------------------------------------------------------------
    def inclusion(self, seq: int, checkpoint: dict[str, Any]) -> list[str]:
        return [h.hex() for h in merkle.inclusion_proof(self.leaves, seq - 1, checkpoint["tree_size"])]

    def consistency(self, first: dict[str, Any], second: dict[str, Any]) -> list[str]:
        return [h.hex() for h in merkle.consistency_proof(self.leaves, first["tree_size"], second["tree_size"])]

