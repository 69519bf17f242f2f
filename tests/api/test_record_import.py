"""CSV import of existing records: every row checked, all written or none, a report of every refused row."""

from __future__ import annotations

import io
from typing import Any

from werkzeug.test import TestResponse

from tests.api.conftest import Person, Walk, expect

DAY = "2026-11-17"  # the working day before the test clock's start
HEADER = "volunteer_number,service_date,service_minutes,content\n"


def upload(walk: Walk, text: str, token: str | None = None, *, multipart: bool = False, key: str | None = None) -> TestResponse:
    headers = {"Authorization": f"Bearer {token or walk.organizer.token}", **({"Idempotency-Key": key} if key else {})}
    query = {"project_id": walk.project_id}
    body = text.encode("utf-8")
    if multipart:
        return walk.api.client.post("/api/service-records/imports", query_string=query, headers=headers,
                                    data={"file": (io.BytesIO(body), "records.csv")}, content_type="multipart/form-data")
    return walk.api.client.post("/api/service-records/imports", query_string=query, headers=headers, data=body, content_type="text/csv")


def row(person: Person, minutes: Any = 120, day: str = DAY, content: str = "社区清扫") -> str:
    return f"{person.volunteer_number},{day},{minutes},{content}\n"


def test_a_valid_file_is_written_as_confirmed_bulk_entries_and_credited(walk: Walk) -> None:
    first, second = walk.volunteer(), walk.volunteer()
    text = "\ufeff" + HEADER + row(first, 120) + row(second, 45, content='"陪老人, 聊天"')

    body = expect(upload(walk, text), 201)

    assert body["rows"] == 2 and len(body["ids"]) == 2
    walk.api.position = max(walk.api.position, walk.event_count())
    records = [walk.record(i) for i in body["ids"]]
    assert [(r["volunteer_id"], r["service_minutes"], r["source"], r["status"]) for r in records] == [
        (first.id, 120, "bulk_entry", "confirmed"), (second.id, 45, "bulk_entry", "confirmed"),
    ]
    assert records[1]["content"] == "陪老人, 聊天"
    assert walk.account(first)["balance"] == 120


def test_multipart_uploads_work_too_and_a_retry_with_the_same_key_imports_once(walk: Walk) -> None:
    person = walk.volunteer()
    # The idempotency hook reads the raw body first; the form's file must still be there.
    assert len(expect(upload(walk, HEADER + row(person, 60), multipart=True, key="import-1"), 201)["ids"]) == 1
    first = expect(upload(walk, HEADER + row(person, 30), key="import-2"), 201)
    again = expect(upload(walk, HEADER + row(person, 30), key="import-2"), 201)
    assert again == first
    walk.api.position = walk.event_count()
    assert walk.account(person)["balance"] == 90


def test_any_bad_row_writes_nothing_and_every_refused_row_is_reported(walk: Walk) -> None:
    good, other = walk.volunteer(), walk.volunteer()
    text = (
        HEADER
        + row(good, 120)                      # line 2: fine
        + "BJ0000000000,2026-11-17,60,x\n"  # line 3: unknown volunteer
        + row(other, "ninety")                # line 4: minutes not a number
        + row(other, 60, day="17/11/2026")    # line 5: not a date
        + row(other, 60, content="")          # line 6: no content
        + row(other, 60, day="2026-11-19")    # line 7: in the future (a domain refusal)
        + row(walk.organizer, 60)             # line 8: the organizer's own hours
    )
    before = walk.event_count()

    problem = expect(upload(walk, text), 422)

    assert problem["field"] == "file"
    assert [(r["line"], r["field"]) for r in problem["rejected"]] == [
        (3, "volunteer_number"), (4, "service_minutes"), (5, "service_date"), (6, "content"), (7, "service_date"), (8, "volunteer_number"),
    ]
    assert all(r["reason"] for r in problem["rejected"])
    assert walk.event_count() == before
    assert walk.account(good)["balance"] == 0


def test_a_wrong_header_names_the_missing_and_unknown_columns(walk: Walk) -> None:
    problem = expect(upload(walk, "volunteer,service_date,minutes,content\nx,y,z,w\n"), 422)
    reasons = [r["reason"] for r in problem["rejected"]]
    assert [r["line"] for r in problem["rejected"]] == [1, 1]
    assert "volunteer_number" in reasons[0] and "service_minutes" in reasons[0]
    assert "minutes" in reasons[1] and "volunteer" in reasons[1]


def test_empty_files_bad_encoding_and_missing_project_are_422_naming_the_field(walk: Walk) -> None:
    assert expect(upload(walk, ""), 422)["field"] == "file"
    assert expect(upload(walk, HEADER), 422)["rejected"][0]["field"] == "file"
    headers = {"Authorization": f"Bearer {walk.organizer.token}"}
    latin = walk.api.client.post("/api/service-records/imports", query_string={"project_id": walk.project_id}, headers=headers,
                                 data=HEADER.encode() + "é".encode("latin-1"), content_type="text/csv")
    assert expect(latin, 422)["field"] == "file"
    missing = walk.api.client.post("/api/service-records/imports", headers=headers, data=HEADER.encode(), content_type="text/csv")
    assert expect(missing, 422)["field"] == "project_id"


def test_only_the_projects_organizers_import(walk: Walk) -> None:
    person = walk.volunteer()
    rival = walk.volunteer(name="别队队长")
    expect(walk.api.post("/api/organizations", {"name": "别的队", "district": "海淀区"}, rival.token), 201)
    auditor = walk.auditor()
    before = walk.event_count()
    for token in (person.token, rival.token, walk.admin, auditor):
        expect(upload(walk, HEADER + row(person), token), 403)
    assert walk.event_count() == before
