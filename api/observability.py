"""Operations: request ids, structured (JSON) logs, one access line per request, and Prometheus metrics."""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from api import job_runs
from api.services import Services

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is kept only if it is short and plain: it goes into every log line of the request.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+=-]{0,127}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
COMMAND_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
access_log = logging.getLogger("timebank.access")


# Logs ------------------------------------------------------------------------------------------
def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Stamps every record with the id of the request being served (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class TextFormatter(logging.Formatter):
    """Human-readable lines; a request's lines end with its id."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} [request {request_id}]" if request_id else line


def configure_logging(level: str = "INFO", fmt: str = "text", *, force: bool = False) -> None:
    """One handler on stderr for the whole process: human-readable lines, or with fmt="json" one JSON
    object per line (time, level, logger, message, request_id and any `extra` fields).

    Like logging.basicConfig, it leaves a root logger that others configured (a test runner, a host
    process) alone unless forced."""
    if fmt not in ("text", "json"):
        raise ValueError("TIMEBANK_LOG_FORMAT must be 'text' or 'json'")
    root = logging.getLogger()
    if root.handlers and not force and not all(getattr(h, "timebank", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        ))
    else:
        handler.setFormatter(TextFormatter(TEXT_FORMAT))
    handler.timebank = True  # type: ignore[attr-defined]
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Our access line replaces werkzeug's (which would log each request a second time, query string and all).
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def configure_logging_from_env() -> None:
    configure_logging(os.environ.get("TIMEBANK_LOG_LEVEL", "INFO"), os.environ.get("TIMEBANK_LOG_FORMAT", "text"))


# Metrics ---------------------------------------------------------------------------------------
class StoreCollector(Collector):
    """Figures read from the databases at scrape time: the log's head, each view's position and lag,
    and the clock's job runs (api/job_runs.py). Any worker can answer them; nothing is kept in memory."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Any]:
        up = GaugeMetricFamily("timebank_database_up", "1 if the event store and the read models answered this scrape.")
        try:
            head = self.services.timebank.recorder.max_notification_id() or 0
            views = self.services.projector.positions()
            jobs = job_runs.last_runs(self.services.engine)
        except Exception:  # noqa: BLE001 - a scrape reports the database as down instead of failing
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("timebank_event_log_position", "The newest position in the event log.", value=head)
        position = GaugeMetricFamily("timebank_projection_position", "Each view's position in the event log.", labels=["view"])
        lag = GaugeMetricFamily("timebank_projection_lag", "How many log positions each view is behind the log's head.", labels=["view"])
        for name, at in sorted(views.items()):
            position.add_metric([name], at)
            lag.add_metric([name], max(0, head - at))
        yield position
        yield lag
        runs = CounterMetricFamily("timebank_job_runs", "Runs of each scheduled job since it was first run.", labels=["job"])
        last = GaugeMetricFamily(
            "timebank_job_last_outcome", "1 for the outcome of each job's last run (ok, failed or running).", labels=["job", "outcome"]
        )
        finished = GaugeMetricFamily("timebank_job_last_finished_timestamp_seconds", "When each job last finished.", labels=["job"])
        for name, row in sorted(jobs.items()):
            runs.add_metric([name], row["runs"])
            if row["runs"]:
                outcome = "running" if row["finished_at"] is None else ("failed" if row["error"] else "ok")
                last.add_metric([name, outcome], 1)
            if row["finished_at"] is not None:
                finished.add_metric([name], row["finished_at"].timestamp())
        yield runs
        yield last
        yield finished


class Metrics:
    """The app's metrics. Request and command figures are counted in this process; with
    PROMETHEUS_MULTIPROC_DIR set (gunicorn with several workers) prometheus-client keeps them in files
    there, and a scrape adds up every worker's."""

    def __init__(self, services: Services) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "timebank_http_request_duration_seconds", "Time to answer a request, by endpoint, method and status.",
            ["endpoint", "method", "status"], registry=self.registry,
        )
        self.commands = Counter(
            "timebank_commands", "Commands (POST, PUT, PATCH, DELETE under /api) by operation and outcome (ok, refused, failed).",
            ["operation", "outcome"], registry=self.registry,
        )
        self.store = StoreCollector(services)
        self.registry.register(self.store)

    def observe(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        self.latency.labels(endpoint, method, str(status)).observe(seconds)
        if method in COMMAND_METHODS and endpoint.startswith("api."):
            outcome = "ok" if status < 400 else "refused" if status < 500 else "failed"
            self.commands.labels(endpoint.removeprefix("api."), outcome).inc()

    def exposition(self) -> Response:
        registry = self.registry
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            registry.register(self.store)
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


# Hooks -----------------------------------------------------------------------------------------
def _request_id() -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    return offered if _SANE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex


def _endpoint() -> str:
    """The route's endpoint name (bounded: never the raw path), `api.` in front of the /api operations."""
    if request.url_rule is None or request.endpoint is None:
        return "unmatched"
    return ("api." if request.path.startswith("/api/") else "") + request.endpoint


def install(app: Flask, services: Services) -> Metrics:
    """Register the hooks first, so every request (a 429 from the limiter included) has an id and a line."""
    metrics = Metrics(services)
    app.extensions["timebank.metrics"] = metrics

    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()
        g.request_id = _request_id()

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = g.get("request_id") or _request_id()
        response.headers[REQUEST_ID_HEADER] = request_id
        seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
        endpoint = _endpoint()
        metrics.observe(endpoint, request.method, response.status_code, seconds)
        who = g.get("actor")
        actor_kind = who.role.value if who is not None else "anonymous"
        # Method, path (ids only: no query string, which may carry personal filters), status and timing.
        access_log.info(
            "%s %s %s %.1f ms %s", request.method, request.path, response.status_code, seconds * 1000, actor_kind,
            extra={"method": request.method, "path": request.path, "status": response.status_code,
                   "duration_ms": round(seconds * 1000, 1), "request_id": request_id, "actor": actor_kind, "endpoint": endpoint},
        )
        return response

    return metrics
