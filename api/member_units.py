"""Member units (成员单位): verified organizations the civilization office designated; they keep key-project ledgers."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor
from api.office_schemas import DesignateMemberUnitArgs, MemberUnitSchema
from api.schemas import CreatedSchema, MinPositionArgs
from api.services import services
from projections import office_queries

blp = Blueprint("member_units", __name__, url_prefix="/api/member-units", description="Member units (成员单位) of the civilization office.")


@blp.route("")
class MemberUnits(MethodView):
    @blp.arguments(DesignateMemberUnitArgs)
    @blp.response(201, CreatedSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Designate a verified organization a member unit (the office: admins); returns the organization's id"""
        return {"id": services().timebank.designate_member_unit(actor(), args["organization_id"])}

    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, MemberUnitSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """List the member units, by name"""
        actor()
        with services().read(args.get("min_position")) as conn:
            items, pagination_parameters.item_count = office_queries.member_units_page(
                conn, limit=pagination_parameters.page_size, offset=pagination_parameters.first_item,
            )
        return items
