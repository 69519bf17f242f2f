"""The tamper-evident audit log: signed checkpoints, the key that signs them, inclusion and consistency proofs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from api.audit_schemas import (
    CheckpointSchema,
    ConsistencyArgs,
    ConsistencyProofSchema,
    FeedArgs,
    FeedSchema,
    FlagArgs,
    FlagSchema,
    InclusionProofSchema,
    ProofArgs,
    PublicKeySchema,
)
from api.auth import actor, public
from api.schemas import MinPositionArgs
from api.services import audit_log, services
from api.streams import csv_chunks, jsonl_chunks
from audit import feed
from audit.log import NoSuchCheckpoint
from projections import exports, flags
from timebank.domain.errors import InvalidInput, NotFound
from timebank.domain.permissions import require

blp = Blueprint("audit-log", __name__, url_prefix="/api/audit", description="The tamper-evident audit log: checkpoints and proofs.")


def checkpoint(tree_size: int | None, field: str) -> dict[str, Any]:
    """A signed checkpoint by tree size (the latest if None), or 404 naming the field."""
    try:
        return audit_log().checkpoint(tree_size, field)
    except NoSuchCheckpoint:
        what = f"checkpoint of tree size {tree_size}" if tree_size else "checkpoint (none issued yet)"
        raise NotFound(f"no {what}", field=field) from None


@blp.route("/public-key")
class PublicKey(MethodView):
    @public
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, PublicKeySchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Show the Ed25519 public key that signs the checkpoints (public)"""
        signer = audit_log().signer
        return {"algorithm": "Ed25519", "key_id": signer.key_id, "public_key": signer.public_key_b64, "public_key_pem": signer.public_key_pem}


@blp.route("/checkpoints")
class Checkpoints(MethodView):
    @public
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, CheckpointSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """List the signed checkpoints, newest first (public): tree size, Merkle root, chain head, time, signature"""
        items, pagination_parameters.item_count = audit_log().checkpoints(pagination_parameters.first_item, pagination_parameters.page_size)
        return items


@blp.route("/proofs/<int:seq>")
class InclusionProof(MethodView):
    @blp.arguments(ProofArgs, location="query")
    @blp.response(200, InclusionProofSchema)
    def get(self, args: dict[str, Any], seq: int) -> dict[str, Any]:
        """Prove a sealed entry is in a signed checkpoint's tree (auditors, admins): RFC 6962 audit path"""
        require(actor(), "audit.read")
        entry = audit_log().entry(seq)
        if entry is None:
            raise NotFound(f"no sealed entry at seq {seq}", field="seq")
        found = checkpoint(args.get("tree_size"), "tree_size")
        if seq > found["tree_size"]:
            raise InvalidInput(f"the checkpoint of tree size {found['tree_size']} does not cover seq {seq}", field="tree_size")
        return {"seq": seq, "leaf_index": seq - 1, "entry": entry, "audit_path": audit_log().inclusion(seq, found), "checkpoint": found}


@blp.route("/consistency")
class ConsistencyProof(MethodView):
    @public
    @blp.arguments(ConsistencyArgs, location="query")
    @blp.response(200, ConsistencyProofSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Prove an older checkpoint's tree is a prefix of a newer one's (public): RFC 6962 consistency proof"""
        if args["first"] > args["second"]:
            raise InvalidInput("first must not be larger than second", field="first")
        first, second = checkpoint(args["first"], "first"), checkpoint(args["second"], "second")
        return {"first": first, "second": second, "proof": audit_log().consistency(first, second)}


@blp.route("/events")
class EventFeed(MethodView):
    @blp.arguments(FeedArgs, location="query")
    @blp.response(200, FeedSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List stored events in commit order with actor, time and type (auditors, admins); page on with next_after"""
        require(actor(), "audit.read")
        args.pop("min_position", None)
        app = services().timebank
        events, next_after = feed.feed(app.recorder, app.mapper, **args)
        return {"events": events, "next_after": next_after}


EVENT_COLUMNS = ("position", "aggregate_id", "version", "type", "topic", "timestamp", "actor", "data")


def export_source(what: str, app: Any, engine: Any) -> tuple[list[str], Callable[[], Iterator[dict[str, Any]]]]:
    """The columns of an export and a generator of its rows, read as the rows are written."""
    if what == "events":

        def events() -> Iterator[dict[str, Any]]:
            for position, topic, event in feed.scan(app.recorder, app.mapper):
                yield feed.describe(position, topic, event)

        return list(EVENT_COLUMNS), events

    def rows() -> Iterator[dict[str, Any]]:
        with engine.connect() as conn:
            yield from exports.rows(conn, what)

    return exports.columns(what), rows


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value.isoformat() if hasattr(value, "isoformat") else value


def export_chunks(columns: list[str], rows: Iterable[dict[str, Any]], fmt: str) -> Iterator[str]:
    """An export as text in chunks: CSV with a header row, or JSON Lines."""
    if fmt == "csv":
        return csv_chunks(columns, ([_cell(row.get(c)) for c in columns] for row in rows))
    return jsonl_chunks(rows)


def _export(what: str, fmt: str, min_position: int | None) -> Response:
    """Stream a whole export; the generator holds what it reads (recorder, engine), no request context."""
    require(actor(), "audit.read")
    with services().read(min_position):
        pass  # waits, when asked, until the views include the caller's last command
    columns, source = export_source(what, services().timebank, services().engine)
    body = export_chunks(columns, source(), fmt)
    return Response(body, mimetype=MIMETYPES[fmt], headers={"Content-Disposition": f'attachment; filename="{what}.{fmt}"'})


MIMETYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv"}


@blp.route("/export/<any(events, records, statements):what>.jsonl")
class ExportJsonLines(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.alt_response(200, success=True, description="One JSON object a line, streamed.", content_type=MIMETYPES["jsonl"])
    def get(self, args: dict[str, Any], what: str) -> Response:
        """Export every event, service record or statement line as JSON Lines, streamed (auditors, admins)"""
        return _export(what, "jsonl", args.get("min_position"))


@blp.route("/export/<any(events, records, statements):what>.csv")
class ExportCsv(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.alt_response(200, success=True, description="CSV with a header row, streamed.", content_type=MIMETYPES["csv"])
    def get(self, args: dict[str, Any], what: str) -> Response:
        """Export every event, service record or statement line as CSV, streamed (auditors, admins)"""
        return _export(what, "csv", args.get("min_position"))


@blp.route("/flags")
class IntegrityFlags(MethodView):
    @blp.arguments(FlagArgs, location="query")
    @blp.response(200, FlagSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """List integrity flags for review (auditors, admins): overlapping sessions, two organizations at once, > 16 h a day"""
        require(actor(), "audit.read")
        rules = services().timebank.rules
        floor = min(r.max_service_minutes_per_day for r in rules.versions)
        with services().read(args.get("min_position")) as conn:
            found = flags.integrity_flags(conn, lambda day: rules.in_force(day).max_service_minutes_per_day, floor, args.get("kind"))
        pagination_parameters.item_count = len(found)
        first = pagination_parameters.first_item
        return found[first : first + pagination_parameters.page_size]
