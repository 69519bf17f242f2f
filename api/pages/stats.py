"""Auditors' statistics: charts drawn on the server, each with the numbers behind it as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from flask import Response, render_template
from sqlalchemy import Connection

from api.pages import blp, charts, web
from projections import statistics
from timebank.domain.permissions import require

CHARTS = ("hours", "stars", "flows")

# chart -> (the query, the CSV header and the row's fields)
SOURCES: dict[str, tuple[Callable[[Connection], list[dict[str, Any]]], tuple[str, ...]]] = {
    "hours": (statistics.hours_by_district_month, ("month", "district", "minutes")),
    "stars": (statistics.star_level_distribution, ("level", "volunteers")),
    "flows": (statistics.flows_by_month, ("month", "flow", "minutes")),
}


def _rows(chart: str) -> list[dict[str, Any]]:
    require(web.current(), "audit.read")
    with web.read() as conn:
        return SOURCES[chart][0](conn)


@blp.route("/stats")
@web.login_required
def stats() -> str:
    require(web.current(), "audit.read")
    return render_template("stats.html", charts=CHARTS, chart_language=charts.chart_language(web.lang()))


@blp.route("/stats/<any(hours, stars, flows):chart>.svg")
@web.login_required
def chart_svg(chart: str) -> Response:
    rows = _rows(chart)
    language = web.lang()
    if chart == "hours":
        body = charts.hours_chart(rows, language)
    elif chart == "stars":
        body = charts.stars_chart(rows, language)
    else:
        body = charts.flows_chart(rows, list(statistics.FLOWS), language)
    return Response(body, mimetype="image/svg+xml", headers={"Cache-Control": "private, no-store"})


@blp.route("/stats/<any(hours, stars, flows):chart>.csv")
@web.login_required
def chart_csv(chart: str) -> Response:
    """The numbers behind a chart (minutes are whole credit-minutes; UTF-8 with a BOM for Excel)."""
    rows = _rows(chart)
    fields = SOURCES[chart][1]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(fields)
    writer.writerows([row[f] for f in fields] for row in rows)
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="timebank-{chart}.csv"', "Cache-Control": "private, no-store"})
