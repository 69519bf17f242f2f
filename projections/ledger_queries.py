"""Queries over the ledger's views: accounts (now and as of any moment), statements, totals, transfers,
the exchange board, and the reconciliation of hours with credits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Select, and_, case, func, or_, select

from projections.balances import DERIVED_ACCOUNTS, accounts, entries, transfers
from projections.directory import organizations
from projections.exchanges import exchanges, offers
from projections.queries import _page
from projections.service_records import service_records
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID
from timebank.domain.ledger import ORGANIZATION, POOL, POOL_DISTRICTS, VOLUNTEER, TimeAccount
from timebank.domain.rules import RuleBook

RECORD_REFERENCE = "service-record:"


def account_owner(conn: Connection, some_id: UUID) -> tuple[UUID, str, UUID | None] | None:
    """(account id, kind, owner id) of an account named by its own id or by its owner's (volunteer,
    organization), from the view; pools and system accounts have no owner. None: no such account."""
    for candidate in (some_id, TimeAccount.create_id(some_id)):
        row: Any = conn.execute(select(accounts.c.kind, accounts.c.owner_id).where(accounts.c.id == candidate)).first()
        if row is not None:
            return candidate, row.kind, row.owner_id if row.kind in (VOLUNTEER, ORGANIZATION) else None
    # A pool no one has touched yet, or a system account before its first movement, holds 0.
    if some_id in POOL_DISTRICTS:
        return some_id, POOL, None
    return (some_id, DERIVED_ACCOUNTS[some_id], None) if some_id in DERIVED_ACCOUNTS else None


def account_id_of(conn: Connection, some_id: UUID) -> UUID | None:
    """An account is named by its own id or by its owner's (volunteer, organization)."""
    found = account_owner(conn, some_id)
    return None if found is None else found[0]


def _figures(posted: int, pending_credits: int, pending_debits: int) -> dict[str, int]:
    return {
        "balance": posted,
        "available": posted - pending_debits,
        "pending": pending_credits,
        "pending_credits": pending_credits,
        "pending_debits": pending_debits,
    }


def account(conn: Connection, account_id: UUID, as_of: datetime | None = None) -> dict[str, Any] | None:
    row: Any = conn.execute(select(accounts).where(accounts.c.id == account_id)).mappings().first()
    if row is None:
        if account_id not in POOL_DISTRICTS and account_id not in DERIVED_ACCOUNTS:
            return None
        kind = DERIVED_ACCOUNTS.get(account_id, POOL)
        row = {"id": account_id, "owner_id": None, "kind": kind, "district": POOL_DISTRICTS.get(account_id), "floor": None,
               "posted_credits": 0, "posted_debits": 0, "pending_credits": 0, "pending_debits": 0, "earned_to_date": 0,
               "updated_at": None}
    result = dict(row)
    result.update(_figures(row["posted_credits"] - row["posted_debits"], row["pending_credits"], row["pending_debits"]))
    if as_of is not None:
        # One row answers "as of": every statement line carries the account's figures after it. Which
        # row, and the earnings until then, come from one pass over ix_entries_account_at alone.
        c = entries.c
        earning = and_(c.phase == "posted", c.kind.in_(("service_credit", "correction", "revocation")))
        last_seq, earned = conn.execute(
            select(func.max(c.seq), func.coalesce(func.sum(case((earning, c.amount), else_=0)), 0))
            .where(c.account_id == account_id, c.at <= as_of)
        ).one()
        line = None if last_seq is None else conn.execute(
            select(c.balance, c.pending_credits, c.pending_debits, c.at).where(c.seq == last_seq)
        ).first()
        result.update(_figures(line.balance, line.pending_credits, line.pending_debits) if line else _figures(0, 0, 0))
        result["earned_to_date"] = int(earned)
        result["updated_at"] = line.at if line else None
    result["as_of"] = as_of
    return result


def system_accounts(conn: Connection) -> list[dict[str, Any]]:
    """Issuance (pays every credit earned) and redemption (receives every credit redeemed)."""
    return [found for account_id in DERIVED_ACCOUNTS if (found := account(conn, account_id)) is not None]


def pools(conn: Connection) -> list[dict[str, Any]]:
    """Every district's pool, in the districts' official order, opened or not."""
    return [found for pool_id in POOL_DISTRICTS if (found := account(conn, pool_id)) is not None]


def accounts_page(conn: Connection, kind: str | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    query = select(accounts).where(accounts.c.kind == kind) if kind else select(accounts)
    rows, total = _page(conn, query, [accounts.c.kind, accounts.c.id], limit, offset)
    for row in rows:
        row.update(_figures(row["posted_credits"] - row["posted_debits"], row["pending_credits"], row["pending_debits"]))
        row["as_of"] = None
    return rows, total


def _statement_query(account_id: UUID, kind: str | None, phase: str | None, since: datetime | None, until: datetime | None) -> Select[Any]:
    conditions = [entries.c.account_id == account_id]
    if kind:
        conditions.append(entries.c.kind == kind)
    if phase:
        conditions.append(entries.c.phase == phase)
    if since:
        conditions.append(entries.c.at >= since)
    if until:
        conditions.append(entries.c.at < until)
    return select(entries).where(and_(*conditions))


def statement(
    conn: Connection, account_id: UUID, *, kind: str | None = None, phase: str | None = None, since: datetime | None = None,
    until: datetime | None = None, limit: int, offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """Lines newest first; each carries the posted balance after it (the running balance)."""
    query = _statement_query(account_id, kind, phase, since, until)
    total = conn.execute(select(func.count()).select_from(query.with_only_columns(entries.c.seq).subquery())).scalar_one()
    if offset >= total:
        return [], total  # past the last page; and a huge page number would overflow the database's integers
    # The page's lines are found in an index first and only they are read: OFFSET over whole rows
    # would read every line it skips, which made deep pages of a busy account slow. A page nearer
    # the oldest line is counted from that end, so no page skips more than half the lines.
    seqs = query.with_only_columns(entries.c.seq)
    if offset * 2 <= total:
        page = seqs.order_by(entries.c.seq.desc()).limit(limit).offset(offset)
    else:
        first = max(total - offset - limit, 0)
        page = seqs.order_by(entries.c.seq).limit(total - offset - first).offset(first)
    rows = conn.execute(select(entries).where(entries.c.seq.in_(page)).order_by(entries.c.seq.desc())).mappings().all()
    return [dict(r) for r in rows], total


def statement_lines(
    conn: Connection, account_id: UUID, *, kind: str | None = None, phase: str | None = None, since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """Every matching line, newest first like the statement, streamed (for CSV export)."""
    query = _statement_query(account_id, kind, phase, since, until).order_by(entries.c.seq.desc())
    for row in conn.execution_options(yield_per=1000).execute(query).mappings():
        yield dict(row)


def totals(conn: Connection, account_id: UUID, since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
    """Posted credits and debits per kind of transfer."""
    c = entries.c
    query = (
        select(
            c.kind,
            func.coalesce(func.sum(case((c.amount > 0, c.amount), else_=0)), 0).label("credits"),
            func.coalesce(func.sum(case((c.amount < 0, -c.amount), else_=0)), 0).label("debits"),
            func.count().label("count"),
        )
        .where(_statement_query(account_id, None, "posted", since, until).whereclause)  # type: ignore[arg-type]
        .group_by(c.kind).order_by(c.kind)
    )
    return [{"kind": r.kind, "credits": int(r.credits), "debits": int(r.debits), "net": int(r.credits) - int(r.debits), "count": r.count}
            for r in conn.execute(query)]


def transfer(conn: Connection, transfer_id: UUID) -> dict[str, Any] | None:
    row = conn.execute(select(transfers).where(transfers.c.id == transfer_id)).mappings().first()
    if row is None:
        return None
    result = dict(row)
    result["minutes"], result["posted_minutes"], result["created_by"] = row["amount"], row["posted_amount"], row["actor"]
    return result


def pending_transfers_past_timeout(conn: Connection, now: datetime, limit: int = 1000) -> list[UUID]:
    c = transfers.c
    query = select(c.id).where(c.status == "pending", c.expires_at <= now).order_by(c.expires_at).limit(limit)
    return [r.id for r in conn.execute(query)]


# Exchanges ------------------------------------------------------------------------
def exchange(conn: Connection, exchange_id: UUID) -> dict[str, Any] | None:
    row = conn.execute(select(exchanges).where(exchanges.c.id == exchange_id)).mappings().first()
    if row is None:
        return None
    result = dict(row)
    result["offers"] = [
        dict(r) for r in conn.execute(
            select(offers.c.provider_id, offers.c.offered_at).where(offers.c.exchange_id == exchange_id).order_by(offers.c.offered_at)
        ).mappings()
    ]
    return result


def exchanges_page(
    conn: Connection, *, status: str | None, district: str | None, member_id: UUID | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    c = exchanges.c
    conditions = []
    if status:
        conditions.append(c.status == status)
    if district:
        conditions.append(c.district == district)
    if member_id:
        offered = select(offers.c.exchange_id).where(offers.c.provider_id == member_id)
        conditions.append(or_(c.requester_id == member_id, c.provider_id == member_id, c.id.in_(offered)))
    return _page(conn, select(exchanges).where(and_(*conditions)), [c.created_at.desc(), c.id], limit, offset)


# Reconciliation --------------------------------------------------------------------
def reconciliation(conn: Connection, rules: RuleBook) -> dict[str, Any]:
    """Credits issued for service against confirmed minutes valued by the rules each record was valued by.

    Issued credits are read from the transfers touching the issuance account (service credits,
    corrections, revocations); expected credits are recomputed from the records. Both are summed
    per organization and in total, and the ledger must balance: all accounts sum to zero.
    """
    t = transfers.c
    issued_by_ref: dict[str, int] = {}
    signed = case((t.debit_account_id == ISSUANCE_ACCOUNT_ID, t.posted_amount), else_=-t.posted_amount)
    query = (
        select(t.reference, func.sum(signed).label("issued"))
        .where(t.reference.like(f"{RECORD_REFERENCE}%"), or_(t.debit_account_id == ISSUANCE_ACCOUNT_ID, t.credit_account_id == ISSUANCE_ACCOUNT_ID))
        .group_by(t.reference)
    )
    for row in conn.execute(query):
        issued_by_ref[row.reference] = int(row.issued)
    names = {r.id: r.name for r in conn.execute(select(organizations.c.id, organizations.c.name))}
    per_org: dict[UUID, dict[str, Any]] = {}
    discrepancies: list[dict[str, Any]] = []
    r = service_records.c
    records = select(r.id, r.organization_id, r.status, r.service_minutes, r.category, r.rules_version)
    for rec in conn.execution_options(yield_per=2000).execute(records):
        org = per_org.setdefault(rec.organization_id, {
            "organization_id": rec.organization_id, "name": names.get(rec.organization_id), "confirmed_records": 0,
            "confirmed_service_minutes": 0, "expected_credits": 0, "issued_credits": 0,
        })
        expected = 0
        if rec.status == "confirmed":
            expected = rules.by_version(rec.rules_version).credits_for(rec.service_minutes, rec.category)
            org["confirmed_records"] += 1
            org["confirmed_service_minutes"] += rec.service_minutes
        issued = issued_by_ref.pop(f"{RECORD_REFERENCE}{rec.id}", 0)
        org["expected_credits"] += expected
        org["issued_credits"] += issued
        if expected != issued:
            discrepancies.append({"record_id": rec.id, "expected_credits": expected, "issued_credits": issued})
    for reference, issued in issued_by_ref.items():  # credits for records the views do not know
        discrepancies.append({"reference": reference, "expected_credits": 0, "issued_credits": issued})
    organizations_report = sorted(per_org.values(), key=lambda o: str(o["organization_id"]))
    for org in organizations_report:
        org["difference"] = org["issued_credits"] - org["expected_credits"]
    a = accounts.c
    sums = conn.execute(
        select(
            func.coalesce(func.sum(a.posted_credits - a.posted_debits), 0),
            func.coalesce(func.sum(a.pending_credits), 0),
            func.coalesce(func.sum(a.pending_debits), 0),
        )
    ).one()
    issuance = account(conn, ISSUANCE_ACCOUNT_ID)
    issuance_balance = issuance["balance"] if issuance else 0
    manual = conn.execute(
        select(func.coalesce(func.sum(signed), 0)).where(
            or_(t.reference.is_(None), ~t.reference.like(f"{RECORD_REFERENCE}%")),
            or_(t.debit_account_id == ISSUANCE_ACCOUNT_ID, t.credit_account_id == ISSUANCE_ACCOUNT_ID),
        )
    ).scalar_one()
    expected_total = sum(o["expected_credits"] for o in organizations_report)
    issued_total = sum(o["issued_credits"] for o in organizations_report) + sum(
        d["issued_credits"] for d in discrepancies if "reference" in d
    )
    return {
        "organizations": organizations_report,
        "total": {
            "confirmed_service_minutes": sum(o["confirmed_service_minutes"] for o in organizations_report),
            "expected_credits": expected_total,
            "issued_credits": issued_total,
            "difference": issued_total - expected_total,
            "manual_corrections": int(manual),
            "issuance_account_balance": issuance_balance,
        },
        "balances_sum": int(sums[0]),
        "pending_credits_sum": int(sums[1]),
        "pending_debits_sum": int(sums[2]),
        "discrepancies": discrepancies[:100],
        "discrepancy_count": len(discrepancies),
        "balanced": (
            not discrepancies and int(sums[0]) == 0 and int(sums[1]) == int(sums[2])
            and issued_total == expected_total and issuance_balance == -(issued_total + int(manual))
        ),
    }
