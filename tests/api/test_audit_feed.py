"""The auditors' event feed and exports: the whole history in commit order, page by page, nothing
personal beyond what the events hold (sealed), and the views streamed as JSON Lines or CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

from tests.api.conftest import ApiClient, Walk, event_count, expect


def all_pages(api: ApiClient, token: str, **query: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    after = 0
    while after is not None:
        body = expect(api.get("/api/audit/events", token, after=after, **query), 200)
        events += body["events"]
        after = body["next_after"]
    return events


def test_the_feed_pages_through_the_whole_log_in_commit_order(api: ApiClient, walk: Walk) -> None:
    person = walk.volunteer(name="周记录")
    expect(walk.confirm(walk.declared(person)), 200)
    auditor = walk.auditor()

    events = all_pages(api, auditor, limit=7)

    positions = [e["position"] for e in events]
    assert positions == sorted(positions) and len(set(positions)) == len(positions) == event_count(walk.services)
    confirmed = [e for e in events if e["type"] == "ServiceRecord.Confirmed"]
    assert len(confirmed) == 1 and confirmed[0]["actor"] == f"volunteer:{walk.organizer.id}" and confirmed[0]["timestamp"]


def test_personal_data_stays_sealed_and_secrets_are_withheld(api: ApiClient, walk: Walk) -> None:
    walk.volunteer(name="吴隐私", phone="13800001111")
    events = all_pages(api, walk.auditor(), limit=1000)

    text = json.dumps(events, ensure_ascii=False)
    assert "吴隐私" not in text and "13800001111" not in text
    registered = [e for e in events if e["type"] == "Volunteer.Registered"]
    assert registered and all(e["data"]["personal_data"] == "(sealed)" for e in registered)
    tokens = [e for e in events if e["topic"].startswith("timebank.domain.access:")]
    assert tokens and all(e["data"] is None for e in tokens)


def test_the_feed_filters_by_type_aggregate_and_time(api: ApiClient, walk: Walk) -> None:
    auditor = walk.auditor()
    person = walk.volunteer()
    start = walk.clock()
    walk.clock.advance(minutes=5)
    record_id = walk.declared(person)
    expect(walk.confirm(record_id), 200)

    by_type = all_pages(api, auditor, type="ServiceRecord.Confirmed")
    by_aggregate = all_pages(api, auditor, aggregate_id=record_id)
    before = all_pages(api, auditor, to=(start + timedelta(minutes=1)).isoformat())
    after = all_pages(api, auditor, **{"from": (start + timedelta(minutes=1)).isoformat()})

    assert [e["aggregate_id"] for e in by_type] == [record_id]
    assert [e["type"] for e in by_aggregate] == ["ServiceRecord.Recorded", "ServiceRecord.Confirmed"]
    assert not {e["position"] for e in before} & {e["position"] for e in after}
    assert record_id not in {e["aggregate_id"] for e in before} and record_id in {e["aggregate_id"] for e in after}


def test_bad_feed_queries_name_the_field(api: ApiClient, walk: Walk) -> None:
    auditor = walk.auditor()
    assert expect(api.get("/api/audit/events", auditor, limit=0), 422)["field"] == "limit"
    assert expect(api.get("/api/audit/events", auditor, aggregate_id="nope"), 422)["field"] == "aggregate_id"
    assert expect(api.get("/api/audit/events", auditor, after=-1), 422)["field"] == "after"
    assert expect(api.get("/api/audit/events", auditor, colour="red"), 422)["field"] == "colour"
    assert expect(api.get("/api/audit/events", walk.organizer.token), 403)


def test_exports_stream_every_event_record_and_statement_line(api: ApiClient, walk: Walk) -> None:
    person = walk.volunteer()
    expect(walk.confirm(walk.declared(person, minutes=90)), 200)
    auditor = walk.auditor()

    events = api.get("/api/audit/export/events.jsonl", auditor)
    records = api.get("/api/audit/export/records.csv", auditor)
    statements = api.get("/api/audit/export/statements.jsonl", auditor)

    assert events.status_code == records.status_code == statements.status_code == 200
    lines = [json.loads(line) for line in events.get_data(as_text=True).splitlines()]
    assert [e["position"] for e in lines] == sorted(e["position"] for e in lines) and len(lines) == event_count(walk.services)
    table = list(csv.DictReader(io.StringIO(records.get_data(as_text=True))))
    assert [(r["volunteer_id"], r["status"], r["service_minutes"]) for r in table] == [(person.id, "confirmed", "90")]
    credits = [json.loads(line) for line in statements.get_data(as_text=True).splitlines()]
    assert sum(c["amount"] for c in credits if c["phase"] == "posted") == 0  # double entry: the lines sum to zero
    assert api.get("/api/audit/export/events.csv", person.token).status_code == 403


def test_the_cli_export_writes_the_same_rows_as_the_http_export(api: ApiClient, walk: Walk, tmp_path: Any) -> None:
    from click.testing import CliRunner

    from api.cli import main
    from tests.api.test_cli_reconcile import cli_env

    person = walk.volunteer()
    expect(walk.confirm(walk.declared(person, minutes=90)), 200)
    auditor = walk.auditor()
    for what, fmt in (("events", "jsonl"), ("records", "csv"), ("statements", "csv")):
        target = tmp_path / f"{what}.{fmt}"
        result = CliRunner().invoke(main, ["audit", "export", what, str(target), "--format", fmt], env=cli_env(walk.services.settings))
        assert result.exit_code == 0, result.output
        served = api.get(f"/api/audit/export/{what}.{fmt}", auditor).get_data(as_text=True)
        written = target.read_bytes().decode("utf-8")  # as written: CSV lines end in CRLF
        assert written == served and written.count("\n") >= 2
        rows = written.count("\n") - (1 if fmt == "csv" else 0)
        assert f"wrote {rows} {what}" in result.output
