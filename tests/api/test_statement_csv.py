"""The statement as CSV: newest first like the JSON, counterparties by number or name, a BOM for Excel,
amounts also in hours and minutes, times in Beijing time."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest

from api.accounts import hours_and_minutes
from tests.api.conftest import Walk, expect
from tests.api.test_ledger_api import account_id, post, transfer


@pytest.mark.parametrize(("minutes", "text"), [
    (150, "2 h 30 min"), (60, "1 h"), (45, "45 min"), (0, "0 min"), (-20, "-20 min"), (-90, "-1 h 30 min"), (1440, "24 h"),
])
def test_minutes_read_as_hours_and_minutes(minutes: int, text: str) -> None:
    assert hours_and_minutes(minutes) == text


def test_the_csv_matches_the_json_newest_first_with_names_hours_and_beijing_time(walk: Walk) -> None:
    earner = walk.volunteer(name="赵敏")
    expect(walk.confirm(walk.declared(earner, minutes=150)), 200)
    mother = walk.volunteer(name="赵母")
    expect(post(walk.api, "/api/transfers", transfer(walk.api, earner, account_id(walk.api, mother), 30, "gift", relation="parent"), earner), 201)

    response = walk.api.get(f"/api/accounts/{earner.id}/statement.csv", earner.token)

    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())  # Excel reads UTF-8 with a BOM
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    lines = walk.statement(earner)
    assert [r["transfer_id"] for r in rows] == [line["transfer_id"] for line in lines]  # the JSON's order: newest first
    assert [(r["kind"], r["phase"], r["amount"], r["amount_hours"], r["balance_hours"]) for r in rows] == [
        ("gift", "posted", "-30", "-30 min", "2 h"),
        ("service_credit", "posted", "150", "2 h 30 min", "2 h 30 min"),
        ("service_credit", "pending", "150", "2 h 30 min", "0 min"),
    ]
    assert rows[0]["counterparty"] == f"志愿者 volunteer {mother.volunteer_number}"
    assert "赵母" not in raw.decode("utf-8-sig")  # a volunteer is named by number: no personal data
    assert rows[1]["counterparty"] == "时间银行发行 issuance"
    assert all(r["at"].endswith("+08:00") for r in rows)
    assert [datetime.fromisoformat(r["at"]) for r in rows] == [datetime.fromisoformat(line["at"]) for line in lines]  # same moments
    assert datetime.fromisoformat(rows[0]["at"]).utcoffset() == timedelta(hours=8)
