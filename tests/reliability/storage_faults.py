"""Storage faults for tests: a small tmpfs to fill (a real "disk full"), SQLite connections turned
read-only, and a PostgreSQL database made read-only. Each can be lifted again."""

from __future__ import annotations

import contextlib
import errno
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHUNK = 64 * 1024


@contextmanager
def tmpfs(size_mb: int) -> Iterator[Path]:
    """A fresh tmpfs of `size_mb` MiB, unmounted afterwards; skips the test if mounting is not permitted."""
    where = Path(tempfile.mkdtemp(prefix="tb-tmpfs-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0755", "tmpfs", str(where)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        where.rmdir()
        pytest.skip(f"cannot mount a tmpfs for a real disk-full fault: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], capture_output=True, check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)  # files still open: detach
        where.rmdir()


def fill(directory: Path) -> Path:
    """Write a file until the file system is full; returns it (delete it to free the space)."""
    filler = directory / "filler.bin"
    block = b"\0" * CHUNK
    with open(filler, "wb", buffering=0) as out:
        try:
            while True:
                out.write(block)
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
    with open(filler, "ab", buffering=0) as out:  # the last partial pages too
        try:
            while True:
                out.write(b"\0" * 512)
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
    return filler


def truncate_wal(database: Path) -> None:
    """Checkpoint a WAL-mode database and cut its -wal file to nothing, so the next write must grow it.

    SQLite reuses a WAL file from its start after a checkpoint; a full disk would not stop writes
    that fit in the file it already has."""
    conn = sqlite3.connect(database, timeout=10)
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0, f"could not checkpoint {database}: readers held it"
    finally:
        conn.close()


class SqliteReadOnly:
    """Every SQLite connection made while installed can be switched to query_only mode: then any
    write fails with SQLITE_READONLY ("attempt to write a readonly database"), reads go on.

    As root, file permissions do not stop writes, and a mounted file system with files open for
    writing cannot be remounted read-only; query_only is SQLite's own read-only switch."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, only: str | None = None) -> None:
        """`only`: the file name of the one database to switch (e.g. the read models'); all if None."""
        self.read_only = False
        self.only = only
        self._connections: list[sqlite3.Connection] = []  # sqlite3 connections take no weak references
        connect = sqlite3.connect

        def tracked(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            conn = connect(*args, **kwargs)
            target = str(kwargs.get("database", args[0] if args else ""))
            if self.only is not None and not target.endswith(self.only):
                return conn
            self._connections.append(conn)
            if self.read_only:
                conn.execute("PRAGMA query_only = ON")
            return conn

        monkeypatch.setattr(sqlite3, "connect", tracked)  # eventsourcing's
        monkeypatch.setattr(sqlite3.dbapi2, "connect", tracked)  # SQLAlchemy's (pysqlite imports dbapi2)

    def _switch(self, on: bool) -> None:
        self.read_only = on
        for conn in self._connections:
            with contextlib.suppress(sqlite3.ProgrammingError):  # closed meanwhile
                conn.execute(f"PRAGMA query_only = {'ON' if on else 'OFF'}")

    def inject(self) -> None:
        self._switch(True)

    def lift(self) -> None:
        self._switch(False)


class PostgresReadOnly:
    """A private database made read-only the way an operator would: the default for new sessions,
    and the sessions open now ended, so every connection the service makes next is read-only."""

    def __init__(self, server_url: str, dbname: str) -> None:
        self.server_url = server_url
        self.dbname = dbname

    def _set(self, on: bool) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER DATABASE {} SET default_transaction_read_only = {}").format(
                sql.Identifier(self.dbname), sql.SQL("on" if on else "off")))
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                         (self.dbname,))

    def inject(self) -> None:
        self._set(True)

    def lift(self) -> None:
        self._set(False)
