"""Schemas of bulk decisions on service records and of their CSV import."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from api.schemas import Text, d
from timebank.application.records import MAX_DECISIONS


class ConfirmationsArgs(Schema):
    record_ids = fields.List(
        fields.UUID(), required=True, validate=validate.Length(min=1, max=MAX_DECISIONS),
        metadata=d(f"1 to {MAX_DECISIONS} pending records of organizations the caller organizes, each named once.", uniqueItems=True),
    )

    @validates("record_ids")
    def _each_once(self, value: list[Any], **_: Any) -> None:
        twice = sorted({str(i) for i in value if value.count(i) > 1})
        if twice:
            raise ValidationError(f"records named more than once: {', '.join(twice)}")


class RejectionsArgs(ConfirmationsArgs):
    reason = Text("Why they are rejected (one reason for all).", max_len=1000)


class DecisionOutcomeSchema(Schema):
    id = fields.UUID(metadata=d("Record id."))
    outcome = fields.Str(metadata=d("confirmed, rejected, or refused (nothing was written for this record)."))
    status = fields.Int(allow_none=True, metadata=d("For a refused record, the HTTP status its own request would have had (403, 404, 409, 422)."))
    message = fields.Str(allow_none=True, metadata=d("For a refused record, why."))


class DecisionsSchema(Schema):
    decided = fields.Int(metadata=d("How many records were confirmed or rejected."))
    refused = fields.Int(metadata=d("How many were refused."))
    results = fields.List(fields.Nested(DecisionOutcomeSchema), metadata=d("One outcome per record, in request order."))


class ImportResultSchema(Schema):
    ids = fields.List(fields.UUID(), metadata=d("Ids of the records written, in row order."))
    rows = fields.Int(metadata=d("How many data rows the file held."))


class ImportArgs(Schema):
    project_id = fields.UUID(required=True, metadata=d("The project the records belong to; the caller must organize its organization."))
