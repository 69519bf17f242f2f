"""Schemas of service certificates (志愿服务证明)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import Text, d


class IssueCertificateArgs(Schema):
    volunteer_id = fields.UUID(required=True, metadata=d("The volunteer whose service is certified."))
    organization_id = fields.UUID(required=True, metadata=d("The issuing organization: the one that recorded the service."))
    record_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=1000),
                             metadata=d("The confirmed service records certified (the volunteer's, made by this organization)."))
    person_in_charge = Text("Person in charge (负责人) signing for the organization; defaults to the latest record's.",
                            required=False, max_len=100)


class RevokeCertificateArgs(Schema):
    reason = Text("Why the certificate is revoked; shown to whoever verifies it.", max_len=500)


class HolderSchema(Schema):
    name = fields.Str(required=True, metadata=d("The volunteer's real name, as certified."))
    id_type = fields.Str(required=True, metadata=d("Kind of identity document."))
    id_number_masked = fields.Str(required=True, metadata=d("The identity document number, masked (first 3 and last 2 characters)."))


class CertificateSchema(Schema):
    number = fields.Str(required=True, metadata=d("The certificate number (证明编号): verify it at /api/certificates/{number}/verification."))
    genuine = fields.Bool(required=True, metadata=d("Always true: this number was issued by this service."))
    status = fields.Str(required=True, metadata=d("current, or revoked."))
    revocation_reason = fields.Str(allow_none=True, metadata=d("Why it was revoked, if it was."))
    revoked_at = fields.DateTime(allow_none=True, metadata=d("When it was revoked, if it was."))
    holder = fields.Nested(HolderSchema, allow_none=True, metadata=d("Who it certifies; null once their personal data was erased."))
    volunteer_number = fields.Str(required=True, metadata=d("The volunteer number (志愿者编号)."))
    organization_name = fields.Str(required=True, metadata=d("The issuing organization."))
    person_in_charge = fields.Str(required=True, metadata=d("Person in charge at the issuing organization."))
    total_service_minutes = fields.Int(required=True, metadata=d("Total confirmed service certified, in minutes."))
    content = fields.List(fields.Str(), required=True, metadata=d("The service certified, one line per record: date, activity, content, minutes."))
    first_service_date = fields.Date(required=True, metadata=d("The first date of service certified."))
    last_service_date = fields.Date(required=True, metadata=d("The last date of service certified."))
    issue_date = fields.Date(required=True, metadata=d("Date of issue."))


