"""CSV import of existing service records by an organizer: every row checked, all written or none.

Columns (a header row, UTF-8 with or without BOM, comma-separated):

    volunteer_number   the volunteer's number (志愿者编号), e.g. BJ2026000123
    service_date       YYYY-MM-DD (the recording deadline of the rules applies)
    service_minutes    whole minutes, 1 to the rules' daily maximum
    content            the service content (服务内容), 1 to 1000 characters
    shift_id           optional: the shift the service was part of (its date and length are checked)

The records are written as the organizer's bulk entry (confirmed, credited), one save for the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from timebank.application import BatchEntry, TimeBank
from timebank.application.base import MAX_BATCH_ENTRIES
from timebank.domain.actors import Actor

REQUIRED = ("volunteer_number", "service_date", "service_minutes", "content")
OPTIONAL = ("shift_id",)
MAX_CONTENT = 1000


@dataclass
class ImportReport:
    entries: list[BatchEntry] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the file's line of each entry
    rejected: list[dict[str, Any]] = field(default_factory=list)  # {"line", "field", "reason"}
    rows: int = 0

    def reject(self, line: int, field: str, reason: str) -> None:
        self.rejected.append({"line": line, "field": field, "reason": reason})


def check_import(
    timebank: TimeBank, actor: Actor, project_id: UUID, text: str, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Parse and check every row; the report's `rejected` lists each refused row (line, field, reason).
    Nothing is written. A refusal of the whole import (the project, the actor) is raised."""
    timebank.require_batch_entry(actor, project_id)  # who may import is checked before the file is read
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    header = [name.strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name not in REQUIRED + OPTIONAL]
    if missing or unknown:
        if missing:
            report.reject(1, "header", f"missing columns: {', '.join(missing)} (needs {','.join(REQUIRED)}[,shift_id])")
        if unknown:
            report.reject(1, "header", f"unknown columns: {', '.join(unknown)}")
        return report
    for row in reader:
        report.rows += 1
        if report.rows > MAX_BATCH_ENTRIES:
            report.reject(reader.line_num, "file", f"an import holds at most {MAX_BATCH_ENTRIES} rows; split the file")
            break
        entry = _entry(timebank, row, reader.line_num, report)
        if entry is not None:
            report.entries.append(entry)
            report.lines.append(reader.line_num)
        if progress:
            progress(1)
    if report.rows == 0:
        report.reject(2, "file", "the file has no data rows")
    if report.entries:
        for index, refusal in timebank.check_service_batch(actor, project_id, report.entries):
            name = (refusal.field or "row").rsplit(".", 1)[-1]
            report.reject(report.lines[index], "volunteer_number" if name == "volunteer_id" else name, refusal.message)
    report.rejected.sort(key=lambda r: r["line"])
    return report


def _entry(timebank: TimeBank, row: dict[str, Any], line: int, report: ImportReport) -> BatchEntry | None:
    if None in row:  # more cells than columns
        report.reject(line, "row", "more cells than the header has columns")
        return None
    cells = {name: (row.get(name) or "").strip() for name in REQUIRED + OPTIONAL}
    before = len(report.rejected)
    volunteer_id = timebank.volunteer_id_by_number(cells["volunteer_number"]) if cells["volunteer_number"] else None
    if volunteer_id is None:
        report.reject(line, "volunteer_number", f"no volunteer numbered {cells['volunteer_number']!r}")
    try:
        service_date = date.fromisoformat(cells["service_date"])
    except ValueError:
        report.reject(line, "service_date", f"not a date (YYYY-MM-DD): {cells['service_date']!r}")
    minutes = int(cells["service_minutes"]) if cells["service_minutes"].isdigit() else 0
    if minutes < 1:
        report.reject(line, "service_minutes", f"not a whole number of minutes above 0: {cells['service_minutes']!r}")
    if not cells["content"] or len(cells["content"]) > MAX_CONTENT:
        report.reject(line, "content", f"the service content needs 1 to {MAX_CONTENT} characters")
    shift_id = None
    if cells["shift_id"]:
        try:
            shift_id = UUID(cells["shift_id"])
        except ValueError:
            report.reject(line, "shift_id", f"not a shift id: {cells['shift_id']!r}")
    if len(report.rejected) > before:
        return None
    assert volunteer_id is not None
    return BatchEntry(volunteer_id, service_date, minutes, cells["content"], shift_id)
