"""The controlled vocabulary of skills and service categories."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor
from api.matching_schemas import VocabularySchema
from api.schemas import MinPositionArgs
from timebank.domain.permissions import require
from timebank.domain.vocabulary import CURRENT

blp = Blueprint("vocabulary", __name__, url_prefix="/api/vocabulary", description="Skills and service categories (codes, labels).")


@blp.route("")
class VocabularyView(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, VocabularySchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Show the vocabulary in force: skill and category codes with Chinese and English labels"""
        require(actor(), "rules.read")
        return CURRENT
