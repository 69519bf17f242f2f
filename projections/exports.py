"""Whole views streamed for export (auditors): service records and statement lines, in a stable order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Table, select

from projections.balances import entries
from projections.service_records import service_records

EXPORTS: dict[str, tuple[Table, tuple[str, ...]]] = {
    "records": (service_records, ("recorded_at", "id")),
    "statements": (entries, ("seq",)),
}


def columns(what: str) -> list[str]:
    table, _ = EXPORTS[what]
    return [c.name for c in table.columns]


def rows(conn: Connection, what: str) -> Iterator[dict[str, Any]]:
    """Every row of the view, streamed from the database a thousand at a time."""
    table, order = EXPORTS[what]
    query = select(table).order_by(*(table.c[name] for name in order))
    for row in conn.execution_options(yield_per=1000).execute(query).mappings():
        yield dict(row)
