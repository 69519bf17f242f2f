"""Deterministic ids for natural keys: a second create for the same key conflicts."""

from __future__ import annotations

from uuid import UUID, uuid5

NAMESPACE = UUID("6f1c9f0e-4d3a-5b8e-9a51-7c2d1e0b7a11")


def natural_id(*path: str) -> UUID:
    """A uuid5 of a path such as ('account', '<volunteer uuid>')."""
    return uuid5(NAMESPACE, "/".join(path))


ISSUANCE_ACCOUNT_ID = natural_id("account", "issuance")
REDEMPTION_ACCOUNT_ID = natural_id("account", "redemption")
