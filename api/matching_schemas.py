"""Schemas of matching (供需对接): the vocabulary, the practice hierarchy, needs, supply, proposals."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import MinPositionArgs, Text, d
from timebank.domain.places import BEIJING_DISTRICTS


class PlaceRowArgs(Schema):
    district = fields.Str(required=True, validate=validate.OneOf(BEIJING_DISTRICTS), metadata=d("District (区): its center."))
    street = Text("Street or township (街道/乡镇): its institute.", max_len=64)
    community = Text("Community or village (社区/村): its station; empty registers the street alone.", max_len=64, min_len=0, required=False, load_default="")


class RegisterPlacesArgs(Schema):
    rows = fields.List(fields.Nested(PlaceRowArgs), required=True, validate=validate.Length(min=1, max=10_000), metadata=d("Places to register."))


class PlacesQueryArgs(MinPositionArgs):
    district = fields.Str(validate=validate.OneOf(BEIJING_DISTRICTS), metadata=d("Only this district, with its streets and communities."))


class StreetSchema(Schema):
    street = fields.Str(metadata=d("Street or township (its institute, 所)."))
    communities = fields.List(fields.Str(), metadata=d("Its communities or villages (their stations, 站)."))


class CenterSchema(Schema):
    district = fields.Str(metadata=d("District (区)."))
    center = fields.Str(metadata=d("Its practice center (中心)."))
    streets = fields.List(fields.Nested(StreetSchema), metadata=d("Registered streets, when one district is asked for."))


class TermSchema(Schema):
    code = fields.Str(metadata=d("The code the API takes and returns."))
    zh = fields.Str(metadata=d("Chinese label; accepted as an alias of the code."))
    en = fields.Str(metadata=d("English label."))


class VocabularySchema(Schema):
    version = fields.Str(metadata=d("Version of the vocabulary (codes are only ever added)."))
    effective_from = fields.Date(metadata=d("When this version took effect."))
    skills = fields.List(fields.Nested(TermSchema), metadata=d("Skills."))
    categories = fields.List(fields.Nested(TermSchema), metadata=d("Service categories."))
