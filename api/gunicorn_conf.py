"""gunicorn settings for the web processes: `gunicorn -c python:api.gunicorn_conf api.wsgi:app` (docs/DEPLOY.md).

Every figure can be overridden on the command line or with GUNICORN_CMD_ARGS. With
PROMETHEUS_MULTIPROC_DIR set, each worker's metrics live in files there and /metrics adds them up;
the directory is emptied when gunicorn starts, and a dead worker's live gauges are dropped.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = 4  # requests mostly wait on the database; threads are cheaper than processes
timeout = 30  # a read waits at most TIMEBANK_READ_WAIT_SECONDS (5 s) for the views; 30 s means a stuck worker
graceful_timeout = 20
keepalive = 5
preload_app = False  # each worker builds its own engines and connections after the fork (see docs/DEPLOY.md)
accesslog = None  # the app writes one access line per request itself (api/observability.py)


def on_starting(server: Any) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:  # metrics files of an earlier run would be counted again
        path = Path(directory)
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
