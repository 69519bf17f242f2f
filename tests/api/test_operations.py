"""Operations: liveness and readiness probes, Prometheus metrics, request ids and JSON access logs."""

from __future__ import annotations

import json
import logging

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from api import job_runs
from api.app import create_app
from api.observability import RequestIdFilter, configure_logging
from api.services import Services
from tests.api.conftest import Walk, expect, registration
from tests.conftest import Clock
from timebank.settings import Settings


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus exposition, by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text) for sample in family.samples
    }


@pytest.fixture
def idle_client(settings: Settings, services: Services) -> FlaskClient:
    """A client whose projector does not run: the views stay where they are until caught up by hand."""
    return create_app(settings, services=services).test_client()


# Probes -----------------------------------------------------------------------------------------
def test_healthz_answers_without_a_token_or_a_database(idle_client: FlaskClient, services: Services) -> None:
    services.engine.dispose()
    broken = services.projector.positions
    services.projector.positions = lambda: (_ for _ in ()).throw(RuntimeError("down"))  # type: ignore[method-assign]
    try:
        assert expect(idle_client.get("/healthz"), 200) == {"status": "ok"}
    finally:
        services.projector.positions = broken  # type: ignore[method-assign]


@pytest.mark.settings(ready_max_lag=0)
def test_readyz_is_503_with_retry_after_while_a_view_lags_beyond_the_bound_then_200(idle_client: FlaskClient, services: Services) -> None:
    expect(idle_client.post("/api/volunteers", json=registration()), 201)

    response = idle_client.get("/readyz")
    body = expect(response, 503)
    assert response.headers["Retry-After"] == "5"
    assert body["status"] == "lagging"
    assert "behind by more than 0 positions" in body["reason"]
    assert body["lag"]["directory"] == body["event_position"] > 0

    services.projector.catch_up()
    body = expect(idle_client.get("/readyz"), 200)
    assert body["status"] == "ready"
    assert set(body["lag"].values()) == {0}
    assert body["max_lag"] == 0


def test_readyz_is_503_when_the_database_does_not_answer(idle_client: FlaskClient, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable() -> int:
        raise ConnectionError("refused")

    monkeypatch.setattr(services.timebank.recorder, "max_notification_id", unreachable)
    response = idle_client.get("/readyz")
    body = expect(response, 503)
    assert body == {"status": "unavailable", "reason": "database unreachable (ConnectionError)"}
    assert response.headers["Retry-After"] == "5"


@pytest.mark.settings(rate_limit="2/minute")
def test_probes_and_metrics_are_not_rate_limited_and_the_old_health_still_answers(idle_client: FlaskClient) -> None:
    for _ in range(5):
        expect(idle_client.get("/healthz"), 200)
        assert idle_client.get("/metrics").status_code == 200
        assert idle_client.get("/readyz").status_code in (200, 503)
    assert [idle_client.get("/api/health").status_code for _ in range(3)] == [200, 200, 429]  # /api keeps its limit


# Metrics ----------------------------------------------------------------------------------------
def test_metrics_count_requests_commands_projection_lag_and_job_runs(walk: Walk, services: Services, clock: Clock) -> None:
    person = walk.volunteer()
    record_id = walk.served(person)
    expect(walk.confirm(record_id), 200)
    expect(walk.confirm(record_id), 409)
    job_runs.run_and_record(services.engine, "expire_records", lambda: 3, clock)
    job_runs.run_and_record(services.engine, "broken", lambda: 1 // 0, clock)
    walk.record(record_id)  # waits (min_position) until the views include the last command

    response = walk.api.client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=") and response.content_type.count("charset") == 1
    found = samples(response.get_data(as_text=True))

    confirm = "service_records.Confirm"
    assert found[("timebank_commands_total", (("operation", confirm), ("outcome", "ok")))] == 1
    assert found[("timebank_commands_total", (("operation", confirm), ("outcome", "refused")))] == 1
    key = ("timebank_http_request_duration_seconds_count", (("endpoint", f"api.{confirm}"), ("method", "POST"), ("status", "200")))
    assert found[key] == 1
    assert found[("timebank_database_up", ())] == 1
    head = found[("timebank_event_log_position", ())]
    assert head == services.timebank.recorder.max_notification_id()
    assert found[("timebank_projection_lag", (("view", "service_records"),))] == 0
    assert found[("timebank_projection_position", (("view", "service_records"),))] == head
    assert found[("timebank_job_runs_total", (("job", "expire_records"),))] == 1
    assert found[("timebank_job_last_outcome", (("job", "expire_records"), ("outcome", "ok")))] == 1
    assert found[("timebank_job_last_outcome", (("job", "broken"), ("outcome", "failed")))] == 1


def test_metrics_report_lag_of_views_behind_the_log(idle_client: FlaskClient, services: Services) -> None:
    expect(idle_client.post("/api/volunteers", json=registration()), 201)
    found = samples(idle_client.get("/metrics").get_data(as_text=True))
    head = services.timebank.recorder.max_notification_id()
    assert found[("timebank_projection_lag", (("view", "directory"),))] == head


# Request ids and logs ---------------------------------------------------------------------------
def test_every_response_carries_a_request_id_a_sane_one_offered_is_kept(idle_client: FlaskClient) -> None:
    first = idle_client.get("/healthz").headers["X-Request-ID"]
    second = idle_client.get("/api/nowhere").headers["X-Request-ID"]
    assert len(first) == 32 and first != second
    assert idle_client.get("/healthz", headers={"X-Request-ID": "lb-42.abc"}).headers["X-Request-ID"] == "lb-42.abc"
    for insane in ("x" * 200, "bad id with spaces", "-leading-dash", "<script>"):
        replaced = idle_client.get("/healthz", headers={"X-Request-ID": insane}).headers["X-Request-ID"]
        assert replaced != insane and len(replaced) == 32


def test_one_access_line_per_request_with_id_actor_kind_and_no_token_or_query(
    walk: Walk, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="timebank.access"):
        response = walk.api.client.get(
            f"/api/volunteers/{walk.organizer.id}", query_string={"min_position": 1},
            headers={"Authorization": f"Bearer {walk.organizer.token}", "X-Request-ID": "req-1"},
        )
    expect(response, 200)
    [line] = [r for r in caplog.records if r.name == "timebank.access"]
    assert (line.method, line.path, line.status, line.request_id, line.actor) == (  # type: ignore[attr-defined]
        "GET", f"/api/volunteers/{walk.organizer.id}", 200, "req-1", "volunteer",
    )
    assert line.duration_ms >= 0  # type: ignore[attr-defined]
    assert walk.organizer.token not in line.getMessage() and "min_position" not in line.getMessage()


def test_json_log_lines_carry_the_request_id_of_their_request(idle_client: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("INFO", "json", force=True)
    try:
        idle_client.get("/healthz", headers={"X-Request-ID": "trace-7"})
        logging.getLogger("outside").warning("no request here")
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    [access] = [line for line in lines if line["logger"] == "timebank.access"]
    assert access["request_id"] == "trace-7"
    assert (access["level"], access["method"], access["path"], access["status"], access["actor"]) == (
        "INFO", "GET", "/healthz", 200, "anonymous",
    )
    assert "time" in access and isinstance(access["duration_ms"], float)
    [outside] = [line for line in lines if line["logger"] == "outside"]
    assert outside["request_id"] is None and outside["message"] == "no request here"


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="TIMEBANK_LOG_FORMAT"):
        configure_logging("INFO", "xml")
    assert RequestIdFilter().filter(logging.LogRecord("x", logging.INFO, "", 0, "m", None, None))


def test_text_log_lines_end_with_the_request_id_of_their_request(idle_client: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("INFO", "text", force=True)
    try:
        idle_client.get("/healthz", headers={"X-Request-ID": "trace-8"})
        logging.getLogger("outside").warning("no request here")
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    lines = capsys.readouterr().err.splitlines()
    [access] = [line for line in lines if "timebank.access" in line]
    assert "INFO timebank.access: GET /healthz 200 " in access and access.endswith(" ms anonymous [request trace-8]")
    [outside] = [line for line in lines if "outside" in line]
    assert outside.endswith("outside: no request here")
