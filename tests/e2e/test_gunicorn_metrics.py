"""Several gunicorn workers with PROMETHEUS_MULTIPROC_DIR: /metrics adds up every worker's counts,
the probes answer, and JSON logs carry the request id."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.server import free_port

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_two_workers_count_into_one_metrics_page_and_log_json_with_request_ids(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ, "PYTHONPATH": str(ROOT), "TIMEBANK_DATA_DIR": str(tmp_path / "data"), "TIMEBANK_SECRET_KEY": "e2e-secret",
        "TIMEBANK_CALENDAR": "weekdays", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "TIMEBANK_LOG_FORMAT": "json",
        "PORT": str(port),
    }
    env.pop("TIMEBANK_DATABASE_URL", None)
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:api.gunicorn_conf", "--workers", "2", "api.wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:  # the master listens before its workers have built the app
                pass
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        # New connections for each request: gunicorn hands them to whichever worker accepts first, so
        # on a busy machine one worker may take many in a row; probe until both have answered.
        probes = 0
        while probes < 40 or (len(list((tmp_path / "metrics").iterdir())) < 2 and probes < 2000):
            assert requests.get(base + "/healthz", headers={"X-Request-ID": f"probe-{probes}"}, timeout=5).status_code == 200
            probes += 1
        ready = requests.get(base + "/readyz", timeout=5)
        assert ready.status_code == 200 and ready.json()["status"] == "ready"

        text = requests.get(base + "/metrics", timeout=5).text
        counts = {
            tuple(sorted(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples
            if s.name == "timebank_http_request_duration_seconds_count" and s.labels.get("endpoint") == "probes.healthz"
        }
        assert sum(counts.values()) >= probes + 1  # the probes and the first successful wait, whichever worker answered
        assert len({p.name for p in (tmp_path / "metrics").iterdir()}) >= 2  # both workers wrote their files
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "timebank.access" and line["path"] == "/healthz"]
    assert {f"probe-{i}" for i in range(probes)} <= {line["request_id"] for line in access}
