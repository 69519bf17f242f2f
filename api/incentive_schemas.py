"""Schemas of the incentive catalog (礼遇)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import MinPositionArgs, Text, d


class PublishIncentiveArgs(Schema):
    title = Text("What is offered, e.g. free entry to a museum.", max_len=200)
    description = Text("Details: where, how, conditions.", required=False, max_len=2000, load_default="")
    organization_id = fields.UUID(metadata=d("The verified organization that offers it (its organizers publish); omitted only by admins."))
    min_star_level = fields.Int(strict=True, load_default=0, validate=validate.Range(min=0, max=5), metadata=d("Stars needed (0-5)."))
    min_hours = fields.Int(strict=True, load_default=0, validate=validate.Range(min=0), metadata=d("Counted service hours needed."))
    min_age = fields.Int(strict=True, allow_none=True, load_default=None, validate=validate.Range(min=0, max=120), metadata=d("Minimum age, if any."))
    cost_minutes = fields.Int(
        strict=True, load_default=0, validate=validate.Range(min=0),
        metadata=d("Cost in time credits (credit-minutes), paid to the redemption account; 0 for free. Credits are redeemed from the rules' age (60 in Beijing)."),
    )
    stock = fields.Int(strict=True, required=True, validate=validate.Range(min=1), metadata=d("How many can be redeemed."))
    valid_from = fields.Date(required=True, metadata=d("First day it can be redeemed."))
    valid_until = fields.Date(required=True, metadata=d("Last day it can be redeemed."))


class IncentiveListArgs(MinPositionArgs):
    available = fields.Bool(load_default=False, metadata=d("Only those valid today with stock left."))


class IncentiveSchema(Schema):
    id = fields.UUID(required=True, metadata=d("The incentive."))
    organization_id = fields.UUID(allow_none=True, metadata=d("The organization that offers it; null when an admin published it."))
    title = fields.Str(required=True, metadata=d("What is offered."))
    description = fields.Str(required=True, metadata=d("Details."))
    min_star_level = fields.Int(required=True, metadata=d("Stars needed."))
    min_hours = fields.Int(required=True, metadata=d("Counted service hours needed."))
    min_age = fields.Int(allow_none=True, metadata=d("Minimum age, if any."))
    cost_minutes = fields.Int(required=True, metadata=d("Cost in credit-minutes (0: free)."))
    stock = fields.Int(required=True, metadata=d("How many were offered."))
    redeemed = fields.Int(required=True, metadata=d("How many were redeemed."))
    stock_left = fields.Int(required=True, metadata=d("How many are left."))
    used = fields.Int(required=True, metadata=d("How many redemption codes the provider has marked used."))
    valid_from = fields.Date(required=True, metadata=d("First day it can be redeemed."))
    valid_until = fields.Date(required=True, metadata=d("Last day it can be redeemed."))
    published_at = fields.AwareDateTime(required=True, metadata=d("When it was published."))


class RedemptionSchema(Schema):
    id = fields.UUID(required=True, metadata=d("The redemption."))
    code = fields.Str(required=True, metadata=d("The redemption code, shown this once: the volunteer shows it to the provider."))
    transfer_id = fields.UUID(allow_none=True, metadata=d("The transfer that paid the credits, if the incentive costs any."))


class UseCodeArgs(Schema):
    code = Text("The redemption code the volunteer shows.", max_len=100)


class CodeUseSchema(Schema):
    redemption_id = fields.UUID(required=True, metadata=d("The redemption the code belongs to."))
    volunteer_id = fields.UUID(required=True, metadata=d("Who redeemed it."))
    status = fields.Str(required=True, metadata=d("Always used: the code cannot be used again."))
