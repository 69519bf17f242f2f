"""A private PostgreSQL cluster and private databases, for tests that stop, restart or break the store.

The machine's PostgreSQL is shared with tests running in parallel: it is never restarted nor
reconfigured. A test that needs an outage starts a cluster of its own (initdb as the `postgres`
user into a temporary directory, trust authentication, a free port); a test that needs a database
with other settings (read-only) creates one and drops it afterwards.
"""

from __future__ import annotations

import glob
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.server import free_port


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class PrivateCluster:
    """A PostgreSQL cluster in a temporary directory, on a free port, that a test may stop and restart."""

    def __init__(self, root: Path, bin_dir: Path, data_on: Path | None = None) -> None:
        self.root = root
        self.bin = bin_dir
        self.data = (data_on or root) / "data"
        self.wal = root / "wal" if data_on else None
        self.log = root / "postgres.log"
        self.port = free_port()

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def _run(self, tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin / tool), *args],
            capture_output=True, text=True, timeout=timeout, check=False,
        )

    def init(self) -> None:
        waldir = ["--waldir", str(self.wal)] if self.wal else []
        result = self._run("initdb", "-D", str(self.data), *waldir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stderr}")

    def _ctl(self, action: str, *args: str) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off -c max_connections=60"
        result = self._run("pg_ctl", action, "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, *args)
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl {action} failed: {result.stderr}\n{self.log_text()}")

    def start(self) -> None:
        self._ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("stop", "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        self._ctl("restart", "-m", mode)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


@contextmanager
def private_cluster(data_on: Path | None = None) -> Iterator[PrivateCluster]:
    """A running private cluster, stopped and removed afterwards; skips the test if one cannot be made.

    `data_on`: a directory (e.g. a small tmpfs) for the data files; the WAL then stays in a
    temporary directory, so filling `data_on` fails writes without making PostgreSQL panic."""
    bin_dir = _pg_bin()
    if bin_dir is None or shutil.which("runuser") is None:
        pytest.skip("a private PostgreSQL cluster needs /usr/lib/postgresql/*/bin/initdb and runuser")
    # Not under pytest's tmp_path: it is private to root, and the cluster runs as `postgres`.
    root = Path(tempfile.mkdtemp(prefix="tb-pg-"))
    try:
        for directory in (root, data_on):
            if directory is not None:
                shutil.chown(directory, user="postgres")
    except (LookupError, PermissionError) as error:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"cannot hand a directory to the postgres user: {error}")
    cluster = PrivateCluster(root, bin_dir, data_on)
    try:
        try:
            cluster.init()
            cluster.start()
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
            pytest.skip(f"cannot start a private PostgreSQL cluster: {error}")
        yield cluster
    finally:
        if (cluster.data / "postmaster.pid").exists():
            cluster._run("pg_ctl", "stop", "-D", str(cluster.data), "-m", "immediate", "-w", "-t", "30")
        shutil.rmtree(root, ignore_errors=True)
        if data_on is not None:
            shutil.rmtree(cluster.data, ignore_errors=True)


def with_database(url: str, dbname: str) -> str:
    """The same server URL with another database name."""
    base, _, _ = url.rpartition("/")
    return f"{base}/{dbname}"


@contextmanager
def private_database(server_url: str) -> Iterator[str]:
    """A database of its own on the server of `server_url` (so its settings touch no other test), dropped after."""
    import psycopg
    from psycopg import sql

    name = f"tb_fault_{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
