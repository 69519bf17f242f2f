"""Use cases of exchanges between members: ask, offer, accept (credits held), confirm (paid), cancel."""

from __future__ import annotations

from uuid import UUID

from timebank.application.base import TimeBankBase, retrying
from timebank.clock import local_date
from timebank.domain.actors import Actor
from timebank.domain.exchange import Exchange
from timebank.domain.ledger import EXCHANGE, TimeAccount, open_transfer


class Exchanges(TimeBankBase):
    """互助: a member asks for help, another offers it, and the requester pays when it was given."""

    def get_exchange(self, exchange_id: UUID) -> Exchange:
        return self._get(Exchange, exchange_id, "exchange_id", "exchange")

    @retrying
    def request_exchange(self, actor: Actor, *, title: str, description: str, minutes: int, district: str) -> UUID:
        requester = self._volunteer_id(actor, "exchange.request")
        Exchange.check_request(title, minutes, district)
        exchange = Exchange(
            requester_id=requester, title=title.strip(), description=description, minutes=minutes, district=district,
            actor=actor.ref, at=self._now(),
        )
        self.save(exchange)
        return exchange.id

    @retrying
    def offer_exchange(self, actor: Actor, exchange_id: UUID) -> None:
        provider = self._volunteer_id(actor, "exchange.request")
        exchange = self.get_exchange(exchange_id)
        exchange.offer(provider, actor.ref, self._now())
        self.save(exchange)

    @retrying
    def accept_exchange_offer(self, actor: Actor, exchange_id: UUID, provider_id: UUID) -> UUID:
        """The requester picks a provider; the credits are held from the requester's account. Returns the hold's id."""
        requester = self._volunteer_id(actor, "exchange.request")
        exchange = self.get_exchange(exchange_id)
        now = self._now()
        rules = self._rules_on(local_date(now), "exchange_id")
        hold_id = exchange.hold_id_for(provider_id)
        exchange.accept(requester, provider_id, hold_id, actor.ref, now)
        payer = self._get(TimeAccount, TimeAccount.create_id(requester), "exchange_id", "account of")
        payee = self._get(TimeAccount, TimeAccount.create_id(provider_id), "provider_id", "account of")
        hold = open_transfer(
            hold_id, payer, payee, debit_account_id=payer.id, credit_account_id=payee.id, amount=exchange.minutes,
            kind=EXCHANGE, pending=True, reference=f"exchange:{exchange.id}", rules_version=rules.version,
            actor=actor.ref, at=now, default_floor=rules.account_floor, note=exchange.title,
        )
        self.save(exchange, hold, payer, payee)
        return hold_id

    @retrying
    def confirm_exchange(self, actor: Actor, exchange_id: UUID, minutes: int | None = None) -> None:
        """The requester confirms the help was received: the hold is posted (in part if fewer minutes)."""
        requester = self._volunteer_id(actor, "exchange.request")
        exchange = self.get_exchange(exchange_id)
        now = self._now()
        paid = exchange.minutes if minutes is None else minutes
        exchange.complete(requester, paid, actor.ref, now)
        assert exchange.hold_transfer_id is not None
        hold = self.get_transfer(exchange.hold_transfer_id)
        self.save(exchange, *self._resolve(hold, paid, "received", actor.ref, now))

    @retrying
    def cancel_exchange(self, actor: Actor, exchange_id: UUID, reason: str) -> None:
        """Either party withdraws before the help is confirmed; a hold is voided."""
        member = self._volunteer_id(actor, "exchange.request")
        exchange = self.get_exchange(exchange_id)
        now = self._now()
        exchange.cancel(member, reason, actor.ref, now)
        hold = self.get_transfer(exchange.hold_transfer_id) if exchange.hold_transfer_id is not None else None
        self.save(exchange, *(self._resolve(hold, 0, "cancelled", actor.ref, now) if hold else []))
