"""Marshmallow schemas of the time bank: accounts, statements, transfers, exchanges, reconciliation."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from api.idempotency import KEY_PATTERN
from api.schemas import MinPositionArgs, Text, d
from timebank.application.ledger import MAX_LINKED_TRANSFERS
from timebank.domain.exchange import MAX_EXCHANGE_MINUTES
from timebank.domain.ledger import KINDS
from timebank.domain.places import BEIJING_DISTRICTS
from timebank.domain.rules import GIFT_RELATIONS
from timebank.domain.transfer_rules import MAX_PENDING_TIMEOUT_SECONDS, REQUESTABLE_KINDS

ACCOUNT_KINDS = ("volunteer", "organization", "pool", "issuance", "redemption")
PHASES = ("pending", "posted", "voided")
EXCHANGE_STATUSES = ("open", "accepted", "completed", "cancelled")
MAX_TRANSFER_MINUTES = 10_000_000


class IdempotencyKeyHeader(Schema):
    class Meta:
        unknown = EXCLUDE  # every other header passes untouched

    idempotency_key = fields.Str(
        data_key="Idempotency-Key", validate=validate.Regexp(KEY_PATTERN),
        metadata=d("Makes a retry harmless: the same key and body return the first result and move nothing; "
                   "the same key with another body is refused with 422. Scoped to the caller. 1 to 200 visible ASCII characters."),
    )


# Accounts ------------------------------------------------------------------------
class AccountArgs(MinPositionArgs):
    as_of = fields.AwareDateTime(metadata=d("Show the account as it stood at this moment (ISO 8601 with offset)."))


class AccountListArgs(MinPositionArgs):
    kind = fields.Str(validate=validate.OneOf(ACCOUNT_KINDS), metadata=d("Only accounts of this kind."))


class AccountSchema(Schema):
    id = fields.UUID(metadata=d("Account id: use it as debit_account_id / credit_account_id of a transfer."))
    owner_id = fields.UUID(allow_none=True, metadata=d("Owner: a volunteer or an organization; none for pools and system accounts."))
    volunteer_id = fields.Method("_volunteer", metadata=d("The owner, when the account is a volunteer's."))
    kind = fields.Str(metadata=d("volunteer, organization, pool (a district's community pool), issuance or redemption."))
    district = fields.Str(allow_none=True, metadata=d("District of a pool, or the owner's district when opened."))
    balance = fields.Int(metadata=d("Posted balance in credit-minutes."))
    available = fields.Int(metadata=d("Spendable before the floor: posted balance minus pending debits."))
    pending = fields.Int(metadata=d("Pending credits: visible, not spendable."))
    pending_credits = fields.Int(metadata=d("Pending credits (incoming holds)."))
    pending_debits = fields.Int(metadata=d("Pending debits (outgoing holds)."))
    earned_to_date = fields.Int(metadata=d("Credits earned by service, net of corrections and revocations."))
    floor = fields.Int(allow_none=True, metadata=d("The account's own floor; none means the rules' floor applies."))
    as_of = fields.AwareDateTime(allow_none=True, metadata=d("The moment these figures describe; none means now."))
    updated_at = fields.AwareDateTime(allow_none=True, metadata=d("Last movement (up to as_of)."))

    def _volunteer(self, obj: dict[str, Any]) -> Any:
        return str(obj["owner_id"]) if obj.get("kind") == "volunteer" and obj.get("owner_id") else None


class StatementArgs(MinPositionArgs):
    kind = fields.Str(validate=validate.OneOf(KINDS), metadata=d("Only lines of this kind of transfer."))
    phase = fields.Str(validate=validate.OneOf(PHASES), metadata=d("Only pending, posted or voided lines."))
    since = fields.AwareDateTime(metadata=d("Lines at or after this moment."))
    until = fields.AwareDateTime(metadata=d("Lines before this moment."))

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            raise ValidationError("until must be after since", "until")


class StatementEntrySchema(Schema):
    seq = fields.Int(metadata=d("Order of the line."))
    transfer_id = fields.UUID(metadata=d("Transfer."))
    at = fields.AwareDateTime(metadata=d("When."))
    kind = fields.Str(metadata=d("Reason code, e.g. service_credit, exchange, gift, donation, redemption."))
    phase = fields.Str(metadata=d("pending, posted or voided; only posted lines change the balance."))
    amount = fields.Int(metadata=d("Signed credit-minutes: + credit, - debit."))
    balance = fields.Int(metadata=d("Posted balance after this line (the running balance)."))
    pending_credits = fields.Int(metadata=d("Pending credits after this line."))
    pending_debits = fields.Int(metadata=d("Pending debits after this line."))
    counterparty_id = fields.UUID(metadata=d("The account on the other side."))
    reference = fields.Str(allow_none=True, metadata=d("What it is for, e.g. service-record:<id>."))
    note = fields.Str(allow_none=True, metadata=d("The transfer's note."))


class TotalsArgs(MinPositionArgs):
    since = fields.AwareDateTime(metadata=d("Posted lines at or after this moment."))
    until = fields.AwareDateTime(metadata=d("Posted lines before this moment."))


class KindTotalSchema(Schema):
    kind = fields.Str(metadata=d("Kind of transfer."))
    credits = fields.Int(metadata=d("Posted credit-minutes received."))
    debits = fields.Int(metadata=d("Posted credit-minutes paid."))
    net = fields.Int(metadata=d("credits - debits."))
    count = fields.Int(metadata=d("Number of posted lines."))


# Transfers ------------------------------------------------------------------------
class TransferArgs(Schema):
    transfer_id = fields.UUID(metadata=d("Client-chosen id; a retry with the same id and body moves nothing. "
                                         "Omit it to use the Idempotency-Key header or a fresh id."))
    debit_account_id = fields.UUID(required=True, metadata=d("Account paying."))
    credit_account_id = fields.UUID(required=True, metadata=d("Account receiving."))
    minutes = fields.Int(required=True, validate=validate.Range(min=1, max=MAX_TRANSFER_MINUTES), metadata=d("Credit-minutes to move."))
    kind = fields.Str(required=True, validate=validate.OneOf(REQUESTABLE_KINDS), metadata=d(
        "exchange (pay a member for help), gift (to a relative; relation required), donation (to a pool or an "
        "organization), redemption (to the redemption account; age gate), grant (from a pool or an organization), "
        "correction (admins only; note required)."))
    note = Text("What it is for.", required=False, max_len=500)
    relation = fields.Str(validate=validate.OneOf(GIFT_RELATIONS), metadata=d("For gifts: the receiver's relation to you; the rules in force say which are allowed."))
    pending = fields.Bool(load_default=False, metadata=d("Hold the credits now and post or void later (two-phase)."))
    timeout_seconds = fields.Int(validate=validate.Range(min=1, max=MAX_PENDING_TIMEOUT_SECONDS), metadata=d(
        "For pending transfers: void automatically after this many seconds."))


class LinkedTransfersArgs(Schema):
    transfers = fields.List(fields.Nested(TransferArgs), required=True, validate=validate.Length(min=1, max=MAX_LINKED_TRANSFERS),
                            metadata=d(f"1..{MAX_LINKED_TRANSFERS} transfers written together or not at all."))


class PostTransferArgs(Schema):
    minutes = fields.Int(validate=validate.Range(min=1, max=MAX_TRANSFER_MINUTES), metadata=d(
        "Post only this much (the rest returns to the payer); all of it when omitted."))


class VoidTransferArgs(Schema):
    reason = Text("Why it is voided.", required=False, max_len=500, load_default="voided")


class TransferSchema(Schema):
    id = fields.UUID(metadata=d("Transfer id."))
    debit_account_id = fields.UUID(metadata=d("Account paying."))
    credit_account_id = fields.UUID(metadata=d("Account receiving."))
    minutes = fields.Int(metadata=d("Credit-minutes asked to move."))
    posted_minutes = fields.Int(metadata=d("Credit-minutes actually posted."))
    kind = fields.Str(metadata=d("Reason code."))
    status = fields.Str(metadata=d("pending, posted or voided."))
    note = fields.Str(allow_none=True, metadata=d("Note."))
    relation = fields.Str(allow_none=True, metadata=d("Declared relation of a gift."))
    reference = fields.Str(allow_none=True, metadata=d("What it belongs to, e.g. service-record:<id> or exchange:<id>."))
    rules_version = fields.Str(metadata=d("The rule set in force when it was made, by which it was judged."))
    expires_at = fields.AwareDateTime(allow_none=True, metadata=d("When a pending transfer times out."))
    created_by = fields.Str(metadata=d("Who made it."))
    created_at = fields.AwareDateTime(metadata=d("When it was made."))
    resolved_at = fields.AwareDateTime(allow_none=True, metadata=d("When it was posted or voided."))


class LinkedTransfersSchema(Schema):
    transfers = fields.List(fields.Nested(TransferSchema), metadata=d("The transfers, in request order."))


# Exchanges ------------------------------------------------------------------------
class RequestExchangeArgs(Schema):
    title = Text("What help is needed, in a line.", max_len=200)
    description = Text("Details: when, where, what.", required=False, max_len=4000, min_len=0, load_default="")
    minutes = fields.Int(required=True, validate=validate.Range(min=1, max=MAX_EXCHANGE_MINUTES), metadata=d("Credit-minutes offered for the help."))
    district = fields.Str(required=True, validate=validate.OneOf(BEIJING_DISTRICTS), metadata=d("Where the help is needed."))


class ExchangeListArgs(MinPositionArgs):
    status = fields.Str(validate=validate.OneOf(EXCHANGE_STATUSES), load_default="open", metadata=d("Only exchanges in this status (default open)."))
    district = fields.Str(validate=validate.OneOf(BEIJING_DISTRICTS), metadata=d("Only exchanges in this district."))
    mine = fields.Bool(load_default=False, metadata=d("Only exchanges I asked for, offered on or serve."))


class AcceptOfferArgs(Schema):
    provider_id = fields.UUID(required=True, metadata=d("The member whose offer is accepted."))


class ConfirmExchangeArgs(Schema):
    minutes = fields.Int(validate=validate.Range(min=1, max=MAX_EXCHANGE_MINUTES), metadata=d("Minutes of help received; all held minutes when omitted."))


class CancelExchangeArgs(Schema):
    reason = Text("Why it is cancelled.", max_len=500)


class OfferSchema(Schema):
    provider_id = fields.UUID(metadata=d("Member offering help."))
    offered_at = fields.AwareDateTime(metadata=d("When."))


class ExchangeSchema(Schema):
    id = fields.UUID(metadata=d("Exchange id."))
    requester_id = fields.UUID(metadata=d("Member asking for help."))
    title = fields.Str(metadata=d("Title."))
    description = fields.Str(metadata=d("Description."))
    minutes = fields.Int(metadata=d("Credit-minutes offered."))
    district = fields.Str(metadata=d("District."))
    status = fields.Str(metadata=d("open, accepted, completed or cancelled."))
    offers_count = fields.Int(metadata=d("Number of offers."))
    offers = fields.List(fields.Nested(OfferSchema), metadata=d("Offers (shown to the requester, the parties and readers)."))
    provider_id = fields.UUID(allow_none=True, metadata=d("The accepted provider."))
    hold_transfer_id = fields.UUID(allow_none=True, metadata=d("Pending transfer holding the requester's credits."))
    paid_minutes = fields.Int(metadata=d("Credit-minutes paid on completion."))
    reason = fields.Str(allow_none=True, metadata=d("Why it was cancelled."))
    created_at = fields.AwareDateTime(metadata=d("When asked."))
    updated_at = fields.AwareDateTime(metadata=d("Last change."))


class AcceptedSchema(Schema):
    id = fields.UUID(metadata=d("Exchange id."))
    hold_transfer_id = fields.UUID(metadata=d("The pending transfer holding the credits."))


# Reconciliation and rules -----------------------------------------------------------
class OrganizationReconciliationSchema(Schema):
    organization_id = fields.UUID(metadata=d("Organization."))
    name = fields.Str(allow_none=True, metadata=d("Name."))
    confirmed_records = fields.Int(metadata=d("Confirmed records."))
    confirmed_service_minutes = fields.Int(metadata=d("Confirmed service minutes."))
    expected_credits = fields.Int(metadata=d("Minutes valued by the rule set each record was valued by."))
    issued_credits = fields.Int(metadata=d("Net credit-minutes the issuance account paid for these records."))
    difference = fields.Int(metadata=d("issued - expected; 0 when reconciled."))


class ReconciliationTotalSchema(Schema):
    confirmed_service_minutes = fields.Int(metadata=d("All confirmed service minutes."))
    expected_credits = fields.Int(metadata=d("Expected credit-minutes."))
    issued_credits = fields.Int(metadata=d("Issued credit-minutes for service."))
    difference = fields.Int(metadata=d("issued - expected."))
    manual_corrections = fields.Int(metadata=d("Net credit-minutes issued by admins' corrections (not tied to a record)."))
    issuance_account_balance = fields.Int(metadata=d("Balance of the issuance account: minus everything issued."))


class ReconciliationSchema(Schema):
    balanced = fields.Bool(metadata=d("True when every record reconciles, the issuance account agrees, and all balances sum to zero."))
    organizations = fields.List(fields.Nested(OrganizationReconciliationSchema), metadata=d("Per organization."))
    total = fields.Nested(ReconciliationTotalSchema, metadata=d("All organizations."))
    balances_sum = fields.Int(metadata=d("Sum of the posted balances of all accounts; must be 0."))
    pending_credits_sum = fields.Int(metadata=d("Sum of pending credits; must equal pending_debits_sum."))
    pending_debits_sum = fields.Int(metadata=d("Sum of pending debits."))
    discrepancy_count = fields.Int(metadata=d("Number of records whose issued credits differ from the expected."))
    discrepancies = fields.List(fields.Dict(), metadata=d("The first 100 discrepancies."))


class RuleSetSchema(Schema):
    version = fields.Str(metadata=d("Name of the version."))
    effective_from = fields.Str(metadata=d("In force from this date until the next version."))
    credit_minutes_per_service_hour = fields.Int(metadata=d("Credit-minutes earned per confirmed service hour."))
    category_credit_minutes_per_service_hour = fields.Dict(metadata=d("Rates by project category, where they differ."))
    recording_deadline_working_days = fields.Int(metadata=d("Hours are recorded within this many working days."))
    confirmation_deadline_working_days = fields.Int(metadata=d("Pending hours expire after this many working days."))
    auto_check_out_after_hours = fields.Int(metadata=d("Open check-ins close automatically after this many hours."))
    min_registration_age = fields.Int(metadata=d("Registration is open from this age."))
    guardian_consent_below_age = fields.Int(metadata=d("Below this age a guardian must consent."))
    max_service_minutes_per_day = fields.Int(metadata=d("Most service minutes one person can record a day."))
    max_self_declared_minutes_per_day = fields.Int(metadata=d("Most minutes one volunteer can self-declare for one date, all records together."))
    account_floor = fields.Int(metadata=d("Accounts may not go below this (unless they have a floor of their own)."))
    storage_cap_minutes = fields.Int(allow_none=True, metadata=d("Most credit-minutes a volunteer may hold; the excess goes to the district pool."))
    gift_relations = fields.List(fields.Str(), metadata=d("Relations a gift may go to."))
    redemption_min_age = fields.Int(metadata=d("Credits are redeemed from this age."))
    star_level_thresholds_hours = fields.List(fields.Int(), metadata=d("Counted hours for 1..5 stars (星级)."))
    star_excluded_categories = fields.List(fields.Str(), metadata=d("Project categories never counted towards star levels."))
    five_star_notice_working_days = fields.Int(metadata=d("Working days of public notice before five stars are granted."))
    milestone_hours = fields.List(fields.Int(), metadata=d("Counted hours that are milestones (besides the first service)."))
    key_projects_per_unit_per_year = fields.Int(metadata=d("Key projects (重点工作项目) a member unit registers a year."))
    key_project_categories = fields.List(fields.Str(), metadata=d("Categories a key project may be in."))
