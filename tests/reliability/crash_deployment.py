"""Servers that can die: a real `timebank serve` (or any CLI command) started on one store and killed with SIGKILL.

`tests.e2e.server.Deployment` stops its servers politely (SIGTERM); the crash tests need to pull
the plug at a random moment instead, and start again on the same data directory or PostgreSQL
schema. The environment is the deployment's own, with the worktree on PYTHONPATH so the child
runs this checkout's code, and rate limits lifted (the load comes from one address).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import requests

from tests.e2e.server import PG_URL_VAR, Deployment, free_port

ROOT = Path(__file__).resolve().parents[2]



def crash_deployment(store: str, data_dir: Path, schema: str | None) -> Deployment:
    """A deployment on SQLite, or on PostgreSQL in `schema`, whose children run this worktree's code."""
    deployment = Deployment(data_dir) if store == "sqlite" else Deployment(data_dir, os.environ[PG_URL_VAR], schema)
    deployment.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    deployment.env["TIMEBANK_RATE_LIMIT"] = "1000000/minute"
    deployment.env["TIMEBANK_LOGIN_RATE_LIMIT"] = "1000000/minute"
    # A key claimed by a killed server is taken over by a retry after this long (30 s in production).
    deployment.env["TIMEBANK_IDEMPOTENCY_LEASE_SECONDS"] = "2"
    return deployment


class Child:
    """One child process of the deployment (`python -m api.cli ...`), its output in a log file."""

    def __init__(self, deployment: Deployment, args: list[str], log_name: str, env: dict[str, str] | None = None) -> None:
        self.log_path = deployment.data_dir / log_name
        self._log: IO[str] = open(self.log_path, "w")  # noqa: SIM115 - closed in wait()
        self.process = subprocess.Popen(
            [sys.executable, *args], env={**deployment.env, **(env or {})}, stdout=self._log, stderr=subprocess.STDOUT, cwd=ROOT,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no handler runs, no transaction commits that had not committed."""
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
        self.wait()

    def stop(self, timeout: float = 20) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.wait()

    def wait(self) -> int:
        code = self.process.wait()
        if not self._log.closed:
            self._log.close()
        return code

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


class Server(Child):
    """`timebank serve` on a free port; `base` once it answers /api/health."""

    def __init__(self, deployment: Deployment, *extra: str, start_timeout: float = 60) -> None:
        self.port = free_port()
        super().__init__(deployment, ["-m", "api.cli", "serve", "--port", str(self.port), *extra], f"server-{self.port}.log")
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                if requests.get(self.base + "/api/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if not self.alive() or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("server did not start:\n" + self.output())
            time.sleep(0.05)
