"""How a statement names the other side of a movement: a volunteer by number, an organization by name,
a pool by its district, a system account by its role. No personal data: a volunteer is their number."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from sqlalchemy import Connection, select

from projections.balances import DERIVED_ACCOUNTS, accounts
from projections.directory import organizations, volunteers
from timebank.domain.ledger import ORGANIZATION, POOL_DISTRICTS, VOLUNTEER

SYSTEM_LABELS = {"issuance": "时间银行发行 issuance", "redemption": "兑换 redemption"}


def account_labels(conn: Connection, account_ids: Iterable[UUID]) -> dict[UUID, str]:
    """A label for each account that has one (an account not in the views yet has none)."""
    wanted = set(account_ids)
    labels: dict[UUID, str] = {}
    for account_id in wanted:
        if account_id in POOL_DISTRICTS:
            labels[account_id] = f"{POOL_DISTRICTS[account_id]}社区池 community pool"
        elif account_id in DERIVED_ACCOUNTS:
            labels[account_id] = SYSTEM_LABELS.get(DERIVED_ACCOUNTS[account_id], DERIVED_ACCOUNTS[account_id])
    rest = wanted - set(labels)
    if not rest:
        return labels
    owners = conn.execute(select(accounts.c.id, accounts.c.kind, accounts.c.owner_id).where(accounts.c.id.in_(rest))).all()
    by_volunteer = {r.owner_id: r.id for r in owners if r.kind == VOLUNTEER}
    by_organization = {r.owner_id: r.id for r in owners if r.kind == ORGANIZATION}
    if by_volunteer:
        query = select(volunteers.c.id, volunteers.c.volunteer_number).where(volunteers.c.id.in_(by_volunteer))
        labels.update({by_volunteer[r.id]: f"志愿者 volunteer {r.volunteer_number}" for r in conn.execute(query)})
    if by_organization:
        query = select(organizations.c.id, organizations.c.name).where(organizations.c.id.in_(by_organization))
        labels.update({by_organization[r.id]: r.name for r in conn.execute(query)})
    return labels
