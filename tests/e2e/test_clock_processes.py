"""Real processes: `timebank clock` and `timebank serve` on one store, and exactly one of them runs the jobs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DATABASE_URL_VAR, fresh_schema
from tests.e2e.server import Deployment

WAIT = 90.0  # an upper bound for a process to start and log, never a measured time


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    url = os.environ.get(DATABASE_URL_VAR) or None
    with fresh_schema(url) as schema:
        found = Deployment(tmp_path, url, schema)
        found.env["TIMEBANK_CLOCK_RETRY_SECONDS"] = "0.2"
        yield found


def wait_for(log: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT
    while text not in log.read_text(encoding="utf-8"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not logged:\n{log.read_text(encoding='utf-8')}")
        time.sleep(0.1)


def start(deployment: Deployment, name: str, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
    log = deployment.data_dir / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "api.cli", *args], env=deployment.env, stdout=out, stderr=subprocess.STDOUT)
    return process, log


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_second_clock_and_a_serving_process_stand_by_and_one_takes_over_when_the_clock_stops(deployment: Deployment) -> None:
    deployment.cli("tokens", "create", "--role", "admin")  # creates the store before the processes race for it
    clock, clock_log = start(deployment, "clock", "clock")
    try:
        wait_for(clock_log, "clock running", clock)
        second, second_log = start(deployment, "second-clock", "clock")
        try:
            wait_for(second_log, "another clock is active; waiting", second)
            with deployment.server() as _:
                server_logs = list(deployment.data_dir.glob("server-*.log"))
                assert len(server_logs) == 1
                deadline = time.monotonic() + WAIT
                while "another clock is active; standing by" not in server_logs[0].read_text(encoding="utf-8"):
                    assert time.monotonic() < deadline, server_logs[0].read_text(encoding="utf-8")
                    time.sleep(0.1)
                stop(clock)
                # Exactly one standby takes over: the second clock or the serving process.
                deadline = time.monotonic() + WAIT
                while True:
                    took_over = [
                        "clock running" in second_log.read_text(encoding="utf-8"),
                        "this process is the active clock" in server_logs[0].read_text(encoding="utf-8"),
                    ]
                    if any(took_over):
                        break
                    assert time.monotonic() < deadline, "no standby took over"
                    time.sleep(0.1)
                time.sleep(1.0)  # several retry periods: the other standby must still be standing by
                took_over = [
                    "clock running" in second_log.read_text(encoding="utf-8"),
                    "this process is the active clock" in server_logs[0].read_text(encoding="utf-8"),
                ]
                assert took_over.count(True) == 1, took_over
        finally:
            stop(second)
    finally:
        stop(clock)
