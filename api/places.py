"""The practice hierarchy (新时代文明实践): centers, institutes (streets) and stations (communities)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor
from api.matching_schemas import CenterSchema, PlacesQueryArgs, RegisterPlacesArgs
from api.schemas import CreatedCountSchema
from api.services import services
from timebank.domain.permissions import require
from timebank.domain.places import BEIJING_DISTRICTS, CENTERS

blp = Blueprint("places", __name__, url_prefix="/api/places", description="Practice centers, institutes and stations.")


@blp.route("")
class PlacesView(MethodView):
    @blp.arguments(PlacesQueryArgs, location="query")
    @blp.response(200, CenterSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """List the 17 practice centers; with district=, that district's registered streets and communities"""
        require(actor(), "places.read")
        district = args.get("district")
        if district is None:
            return [{"district": name, "center": CENTERS[name], "streets": []} for name in BEIJING_DISTRICTS]
        streets = services().timebank.places_of(district)
        return [{"district": district, "center": CENTERS[district],
                 "streets": [{"street": s, "communities": c} for s, c in streets.items()]}]

    @blp.arguments(RegisterPlacesArgs)
    @blp.response(201, CreatedCountSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Register institutes and stations (admins; known places are skipped, so it can be repeated)"""
        rows = [(r["district"], r["street"], r["community"]) for r in args["rows"]]
        return {"created": services().timebank.register_places(actor(), rows)}
