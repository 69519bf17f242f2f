"""Members' exchanges (互助): ask, offer, accept (credits held), confirm (paid) or cancel (released)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from tests.builders import a_volunteer, an_admin, as_volunteer, make_app, writes_nothing
from timebank.application import TimeBank, TransferRequest
from timebank.domain.actors import Actor
from timebank.domain.errors import Conflict, Forbidden, RuleViolation
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID
from timebank.domain.ledger import TimeAccount


def acct(who: Actor) -> UUID:
    assert who.id is not None
    return TimeAccount.create_id(who.id)


def account(app: TimeBank, who: Actor) -> Any:
    return app.repository.get(acct(who))


@pytest.fixture
def app() -> TimeBank:
    return make_app()


@pytest.fixture
def people(app: TimeBank) -> tuple[Actor, Actor, Actor]:
    requester, helper, other = (as_volunteer(a_volunteer(app)) for _ in range(3))
    app.transfer(an_admin(), TransferRequest(ISSUANCE_ACCOUNT_ID, acct(requester), 100, "correction", note="opening"))
    return requester, helper, other


def ask(app: TimeBank, requester: Actor, minutes: int = 60) -> UUID:
    return app.request_exchange(requester, title="陪同就医", description="周三上午", minutes=minutes, district="东城区")


def test_accepting_an_offer_holds_the_credits_and_confirming_pays_the_provider(app: TimeBank, people: tuple[Actor, ...]) -> None:
    requester, helper, _ = people
    exchange = ask(app, requester)
    app.offer_exchange(helper, exchange)
    hold = app.accept_exchange_offer(requester, exchange, helper.id)  # type: ignore[arg-type]
    assert (account(app, requester).available, account(app, helper).pending_credits) == (40, 60)
    app.confirm_exchange(requester, exchange)
    assert (account(app, requester).balance, account(app, helper).balance) == (40, 60)
    assert app.get_transfer(hold).status == "posted" and app.get_exchange(exchange).status == "completed"


def test_confirming_fewer_minutes_returns_the_rest_to_the_requester(app: TimeBank, people: tuple[Actor, ...]) -> None:
    requester, helper, _ = people
    exchange = ask(app, requester)
    app.offer_exchange(helper, exchange)
    app.accept_exchange_offer(requester, exchange, helper.id)  # type: ignore[arg-type]
    app.confirm_exchange(requester, exchange, 45)
    assert (account(app, requester).available, account(app, helper).balance) == (55, 45)


def test_cancelling_an_accepted_exchange_releases_the_hold(app: TimeBank, people: tuple[Actor, ...]) -> None:
    requester, helper, _ = people
    exchange = ask(app, requester)
    app.offer_exchange(helper, exchange)
    hold = app.accept_exchange_offer(requester, exchange, helper.id)  # type: ignore[arg-type]
    app.cancel_exchange(helper, exchange, "生病了")
    assert (account(app, requester).available, account(app, helper).pending_credits) == (100, 0)
    assert app.get_transfer(hold).status == "voided"
    with pytest.raises(Conflict), writes_nothing(app):
        app.confirm_exchange(requester, exchange)


def test_a_requester_without_the_credits_cannot_accept_and_nothing_is_written(app: TimeBank, people: tuple[Actor, ...]) -> None:
    requester, helper, _ = people
    exchange = ask(app, requester, minutes=120)
    app.offer_exchange(helper, exchange)
    with pytest.raises(RuleViolation, match="insufficient"), writes_nothing(app):
        app.accept_exchange_offer(requester, exchange, helper.id)  # type: ignore[arg-type]
    assert app.get_exchange(exchange).status == "open"


def test_who_may_do_what(app: TimeBank, people: tuple[Actor, ...]) -> None:
    requester, helper, other = people
    exchange = ask(app, requester)
    with pytest.raises(RuleViolation), writes_nothing(app):
        app.offer_exchange(requester, exchange)  # not on one's own request
    app.offer_exchange(helper, exchange)
    with pytest.raises(Conflict), writes_nothing(app):
        app.offer_exchange(helper, exchange)  # not twice
    with pytest.raises(RuleViolation), writes_nothing(app):
        app.accept_exchange_offer(requester, exchange, other.id)  # type: ignore[arg-type]  # did not offer
    with pytest.raises(Forbidden), writes_nothing(app):
        app.accept_exchange_offer(helper, exchange, helper.id)  # type: ignore[arg-type]  # not the requester
    app.accept_exchange_offer(requester, exchange, helper.id)  # type: ignore[arg-type]
    with pytest.raises(Forbidden), writes_nothing(app):
        app.confirm_exchange(helper, exchange)  # only the requester confirms
    with pytest.raises(Forbidden), writes_nothing(app):
        app.cancel_exchange(other, exchange, "not mine")  # only the parties cancel
