"""Start and stop a real `timebank serve` process for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

PG_URL_VAR = "TIMEBANK_TEST_DATABASE_URL"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Deployment:
    """One data directory (or PostgreSQL schema) that servers come and go on."""

    def __init__(self, data_dir: Path, database_url: str | None = None, schema: str | None = None) -> None:
        self.data_dir = data_dir
        self.env = {
            **os.environ,
            "TIMEBANK_DATA_DIR": str(data_dir),
            "TIMEBANK_SECRET_KEY": "e2e-secret",
            "TIMEBANK_CALENDAR": "weekdays",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("TIMEBANK_DATABASE_URL", None)
        if database_url:
            self.env["TIMEBANK_DATABASE_URL"] = database_url
            self.env["TIMEBANK_DATABASE_SCHEMA"] = schema or ""

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "api.cli", *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    @contextmanager
    def server(self, *extra: str) -> Iterator[str]:
        port = free_port()
        log = open(self.data_dir / f"server-{port}.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port), *extra],
            env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(base + "/api/health", timeout=1).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("server did not start:\n" + (self.data_dir / f"server-{port}.log").read_text())
                time.sleep(0.1)
            yield base
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
