"""What must hold of a store after crashes: read the whole event log once and check it.

`LogFacts.read` decodes every stored event with the application's mapper and keeps what the
checks need: each originator's versions, the transfers and their applications to accounts, the
sign-ups on both sides, the registrations and their identity claims. The checks return lists of
findings (empty when all is well), so a failing test names every broken command at once.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Mapper

from timebank.domain.ledger import TimeAccount, Transfer
from timebank.domain.shift import Shift
from timebank.domain.volunteer import IdentityClaim, Volunteer

PAGE = 1000


@dataclass
class LogFacts:
    events: int = 0
    head: int = 0
    versions: dict[UUID, list[int]] = field(default_factory=lambda: defaultdict(list))
    transfers: dict[UUID, Any] = field(default_factory=dict)  # id -> Transfer.Created event
    applied: Counter[tuple[UUID, UUID, str]] = field(default_factory=Counter)  # (transfer, account, side) -> times
    applied_amounts: dict[tuple[UUID, UUID, str], int] = field(default_factory=dict)
    accounts: set[UUID] = field(default_factory=set)
    signed_up: Counter[tuple[UUID, UUID]] = field(default_factory=Counter)  # (shift, volunteer) -> SignedUp events
    committed: Counter[tuple[UUID, UUID]] = field(default_factory=Counter)  # (shift, volunteer) -> CommittedToShift events
    volunteers: set[UUID] = field(default_factory=set)
    claims: dict[UUID, UUID] = field(default_factory=dict)  # identity claim id -> volunteer id

    @classmethod
    def read(cls, recorder: ApplicationRecorder, mapper: Mapper[Any]) -> LogFacts:
        facts = cls(head=recorder.max_notification_id() or 0)
        start = 0
        while True:
            page = recorder.select_notifications(start, PAGE, inclusive_of_start=False)
            for notification in page:
                facts.events += 1
                facts.versions[UUID(str(notification.originator_id))].append(notification.originator_version)
                facts._note(mapper.to_domain_event(notification))
            if len(page) < PAGE:
                return facts
            start = page[-1].id

    def _note(self, event: Any) -> None:
        kind = type(event)
        if kind is Transfer.Created:  # type: ignore[attr-defined]
            self.transfers[event.originator_id] = event
        elif kind is TimeAccount.Opened:  # type: ignore[attr-defined]
            self.accounts.add(event.originator_id)
        elif kind is TimeAccount.TransferApplied:  # type: ignore[attr-defined]
            key = (event.transfer_id, event.originator_id, event.side)
            self.applied[key] += 1
            self.applied_amounts[key] = event.amount
        elif kind is Shift.SignedUp:  # type: ignore[attr-defined]
            self.signed_up[(event.originator_id, event.volunteer_id)] += 1
        elif kind is Volunteer.CommittedToShift:  # type: ignore[attr-defined]
            self.committed[(event.shift_id, event.originator_id)] += 1
        elif kind is Volunteer.Registered:  # type: ignore[attr-defined]
            self.volunteers.add(event.originator_id)
        elif kind is IdentityClaim.Claimed:  # type: ignore[attr-defined]
            self.claims[event.originator_id] = event.volunteer_id

    # Checks ---------------------------------------------------------------------
    def gaps(self) -> list[str]:
        """Every originator's versions are 1..n, each once."""
        return [f"{originator}: versions {sorted(v)[:10]}..." for originator, v in self.versions.items()
                if sorted(v) != list(range(1, len(v) + 1))]

    def half_applied_transfers(self) -> list[str]:
        """Each transfer is applied once to each of its accounts (system accounts have none), with its amount; nothing else is applied."""
        findings = []
        for transfer_id, created in self.transfers.items():
            for account, side in ((created.debit_account_id, "debit"), (created.credit_account_id, "credit")):
                times = self.applied.get((transfer_id, account, side), 0)
                expected = 1 if account in self.accounts else 0
                if times != expected:
                    findings.append(f"transfer {transfer_id} applied {times} times to the {side} side {account} (expected {expected})")
                elif expected and self.applied_amounts[(transfer_id, account, side)] != created.amount:
                    findings.append(f"transfer {transfer_id} applied with another amount on the {side} side")
        findings += [f"{side} of unknown transfer {t} applied to {a}" for (t, a, side) in self.applied if t not in self.transfers]
        return findings

    def balance(self, account: UUID) -> int:
        """The posted balance of an account as its transfers say (every transfer of the load is posted at once)."""
        return sum(c.amount for c in self.transfers.values() if c.credit_account_id == account) - sum(
            c.amount for c in self.transfers.values() if c.debit_account_id == account)

    def half_applied_sign_ups(self) -> list[str]:
        """A sign-up is on the shift and on the volunteer, once each."""
        return [f"sign-up {pair}: {self.signed_up.get(pair, 0)} on the shift, {self.committed.get(pair, 0)} on the volunteer"
                for pair in set(self.signed_up) | set(self.committed)
                if not self.signed_up.get(pair, 0) == self.committed.get(pair, 0) == 1]

    def half_applied_registrations(self) -> list[str]:
        """Each volunteer has exactly one identity claim and an account; each claim names a volunteer."""
        claimed = Counter(self.claims.values())
        findings = [f"volunteer {v} has {claimed.get(v, 0)} identity claims" for v in self.volunteers if claimed.get(v, 0) != 1]
        findings += [f"claim of unknown volunteer {v}" for v in claimed if v not in self.volunteers]
        findings += [f"volunteer {v} has no account" for v in self.volunteers if TimeAccount.create_id(v) not in self.accounts]
        return findings
