"""Reconciliation of hours with credits, and the rule sets by which both were valued."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor
from api.ledger_schemas import ReconciliationSchema, RuleSetSchema
from api.schemas import MinPositionArgs
from api.services import services
from projections import ledger_queries
from timebank.domain.permissions import require

blp = Blueprint("audit", __name__, url_prefix="/api", description="Reconciliation and rule sets, for auditors.")


@blp.route("/reconciliation")
class Reconciliation(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, ReconciliationSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Reconcile credits issued with confirmed service minutes, per organization and in total (auditors, admins)"""
        require(actor(), "ledger.reconcile")
        with services().read(args.get("min_position")) as conn:
            return ledger_queries.reconciliation(conn, services().timebank.rules)


@blp.route("/rules")
class Rules(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, RuleSetSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """List the rule sets by effective date: every configurable figure the bank applies

        Like every read it takes min_position; the rules are configuration, so it has nothing to wait for.
        """
        actor()
        return services().timebank.rules.describe()
