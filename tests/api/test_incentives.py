"""The incentive catalog (礼遇) over HTTP: publish, redeem once with eligibility and stock checked, use a code once."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

from api.app import build_services
from api.services import Services
from tests.api.conftest import ApiClient, Person, Walk, event_count, expect
from tests.builders import FixedClock
from tests.conftest import race_in_processes
from timebank.domain.actors import Actor, Role
from timebank.domain.errors import ConcurrencyConflict, Conflict
from timebank.domain.incentive import Incentive
from timebank.settings import Settings


def terms(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"title": "博物馆免费参观", "stock": 5, "valid_from": "2026-11-01", "valid_until": "2026-12-31"}
    body.update(overrides)
    return body


def publish(walk: Walk, token: str | None = None, **overrides: Any) -> str:
    body = terms(organization_id=walk.organization_id, **overrides) if token is None else terms(**overrides)
    incentive_id: str = expect(walk.api.post("/api/incentives", body, token or walk.organizer.token), 201)["id"]
    return incentive_id


def redeem(walk: Walk, incentive_id: str, person: Person) -> Any:
    return walk.api.request("POST", f"/api/incentives/{incentive_id}/redemptions", token=person.token, json={},
                            query={"min_position": walk.api.position})


def served(walk: Walk, person: Person, minutes: int, services: Services) -> None:
    body = {"project_id": walk.project_id, "entries": [
        {"volunteer_id": person.id, "service_date": "2026-11-17", "service_minutes": minutes, "content": "助老"}]}
    expect(walk.api.post("/api/service-records/batch", body, walk.organizer.token), 201)
    services.projector.catch_up()


def test_a_volunteer_redeems_once_and_the_provider_uses_the_code_once(walk: Walk, services: Services) -> None:
    incentive_id = publish(walk)
    volunteer = walk.volunteer()
    redemption = expect(redeem(walk, incentive_id, volunteer), 201)
    assert redemption["transfer_id"] is None and len(redemption["code"]) >= 12
    listed = expect(walk.api.get("/api/incentives", volunteer.token, available=True), 200)
    assert [(i["id"], i["stock_left"], i["redeemed"]) for i in listed] == [(incentive_id, 4, 1)]

    stranger = walk.volunteer()
    before = event_count(services)
    expect(walk.api.post(f"/api/incentives/{incentive_id}/redemptions/use", {"code": redemption["code"]}, stranger.token), 403)
    assert expect(walk.api.post(f"/api/incentives/{incentive_id}/redemptions/use", {"code": "nope"}, walk.organizer.token), 404)["field"] == "code"
    assert event_count(services) == before
    used = expect(walk.api.post(f"/api/incentives/{incentive_id}/redemptions/use", {"code": redemption["code"]}, walk.organizer.token), 200)
    assert (used["redemption_id"], used["volunteer_id"], used["status"]) == (redemption["id"], volunteer.id, "used")
    before = event_count(services)
    again = expect(walk.api.post(f"/api/incentives/{incentive_id}/redemptions/use", {"code": redemption["code"]}, walk.organizer.token), 409)
    assert again["reason"] == "already_used" and again["field"] == "code"
    assert event_count(services) == before
    assert expect(walk.api.get(f"/api/incentives/{incentive_id}", volunteer.token), 200)["used"] == 1
    # Only the hash of the code is stored.
    incentive: Any = services.timebank.repository.get(UUID(incentive_id))
    assert redemption["code"] not in str(incentive.redemptions)


def test_every_refused_redemption_names_its_reason_and_writes_nothing(walk: Walk, services: Services, clock: FixedClock) -> None:
    young, senior = walk.volunteer(), walk.volunteer(birth_date="1950-03-01")
    starred = publish(walk, min_star_level=1)
    hours = publish(walk, min_hours=10)
    aged = publish(walk, min_age=60)
    last_one = publish(walk, stock=1)
    expect(redeem(walk, last_one, senior), 201)
    ends_today = publish(walk, valid_until="2026-11-18")
    cases = [
        (starred, young, 422, "not_eligible_star_level"),
        (hours, young, 422, "not_eligible_hours"),
        (aged, young, 422, "not_eligible_age"),
        (last_one, young, 409, "out_of_stock"),
        (last_one, senior, 409, "already_redeemed"),
    ]
    before = event_count(services)
    for incentive_id, person, status, reason in cases:
        problem = expect(redeem(walk, incentive_id, person), status)
        assert (problem["reason"], problem["field"]) == (reason, "incentive_id"), problem
    clock.advance(days=1)
    assert expect(redeem(walk, ends_today, young), 422)["reason"] == "expired"
    assert event_count(services) == before
    expect(redeem(walk, aged, senior), 201)


def test_hours_and_stars_make_a_volunteer_eligible(walk: Walk, services: Services) -> None:
    volunteer = walk.volunteer()
    incentive_id = publish(walk, min_hours=10)
    served(walk, volunteer, 600, services)
    expect(redeem(walk, incentive_id, volunteer), 201)
    starred = publish(walk, min_star_level=1)
    assert expect(redeem(walk, starred, volunteer), 422)["reason"] == "not_eligible_star_level"


def test_a_cost_in_credits_is_paid_to_the_redemption_account_in_the_same_save(walk: Walk, services: Services) -> None:
    senior, young = walk.volunteer(birth_date="1950-03-01"), walk.volunteer()
    incentive_id = publish(walk, cost_minutes=90)
    served(walk, senior, 120, services)
    served(walk, young, 120, services)
    before = event_count(services)
    assert expect(redeem(walk, incentive_id, young), 422)["reason"] == "not_eligible_age"  # credits are redeemed from 60
    assert event_count(services) == before
    redemption = expect(redeem(walk, incentive_id, senior), 201)
    transfer = expect(walk.api.get(f"/api/transfers/{redemption['transfer_id']}", senior.token), 200)
    assert (transfer["kind"], transfer["minutes"], transfer["status"]) == ("redemption", 90, "posted")
    assert walk.account(senior)["balance"] == 30
    poorer = walk.volunteer(birth_date="1951-03-01")
    served(walk, poorer, 60, services)
    before = event_count(services)
    problem = expect(redeem(walk, incentive_id, poorer), 422)
    assert problem["reason"] == "insufficient_credits"
    assert event_count(services) == before


def test_publishing_is_for_admins_and_organizers_of_verified_organizations(walk: Walk, services: Services, api: ApiClient) -> None:
    publish(walk, token=walk.admin)  # an admin's own incentive
    volunteer = walk.volunteer()
    unverified = expect(api.post("/api/organizations", {"name": "新队", "district": "朝阳区"}, volunteer.token), 201)["id"]
    before = event_count(services)
    expect(api.post("/api/incentives", terms(), volunteer.token), 403)
    assert expect(api.post("/api/incentives", terms(organization_id=unverified), volunteer.token), 422)["field"] == "organization_id"
    expect(api.post("/api/incentives", terms(organization_id=walk.organization_id), volunteer.token), 403)
    for bad, field in [({"stock": 0}, "stock"), ({"valid_until": "2026-10-01"}, "valid_until"), ({"cost_minutes": -1}, "cost_minutes"),
                       ({"min_star_level": 6}, "min_star_level"), ({"colour": "red"}, "colour"), ({"title": " "}, "title")]:
        problem = expect(api.post("/api/incentives", terms(organization_id=walk.organization_id, **bad), walk.organizer.token), 422)
        assert field in problem["message"] or problem.get("field") == field or field in str(problem["errors"]), problem
    assert event_count(services) == before


# Concurrency: the stock never goes below zero ----------------------------------------------------------
def _redeem_in_a_process(settings: Settings, incentive_id: UUID, volunteer_ids: list[UUID], start: Any, results: Any) -> None:
    services = build_services(settings, clock=FixedClock())
    try:
        start.wait(30)
        outcomes = []
        for volunteer_id in volunteer_ids:
            try:
                services.timebank.redeem_incentive(Actor(Role.VOLUNTEER, volunteer_id), incentive_id, 0)
                outcomes.append("redeemed")
            except (Conflict, ConcurrencyConflict) as refused:
                outcomes.append(str(refused.details.get("reason", "conflict")))
        results.put(outcomes)
    finally:
        services.close()


def _attempt(services: Services, incentive_id: UUID, volunteer_id: UUID) -> str:
    try:
        services.timebank.redeem_incentive(Actor(Role.VOLUNTEER, volunteer_id), incentive_id, 0)
    except (Conflict, ConcurrencyConflict) as refused:
        return str(refused.details.get("reason", "conflict"))
    return "redeemed"


def _settled(walk: Walk, services: Services, incentive_id: UUID, outcomes: list[str]) -> None:
    assert outcomes.count("redeemed") == 3, outcomes
    assert set(outcomes) <= {"redeemed", "out_of_stock", "conflict"}
    incentive: Any = services.timebank.repository.get(incentive_id)
    assert isinstance(incentive, Incentive) and (incentive.redeemed, incentive.stock_left) == (3, 0)
    services.projector.catch_up()
    assert expect(walk.api.get(f"/api/incentives/{incentive_id}", walk.admin), 200)["stock_left"] == 0


def test_concurrent_redemptions_in_threads_never_oversell(walk: Walk, services: Services) -> None:
    incentive_id = UUID(publish(walk, stock=3))
    people = [UUID(walk.volunteer().id) for _ in range(8)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(people))

    def in_a_thread(volunteer_id: UUID) -> None:
        barrier.wait()
        outcomes.append(_attempt(services, incentive_id, volunteer_id))

    threads = [threading.Thread(target=in_a_thread, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    _settled(walk, services, incentive_id, outcomes)


def _redeem_in_a_process(settings: Settings, incentive_id: UUID, volunteer_ids: list[UUID], start: Any, results: Any) -> None:
    services = build_services(settings, clock=FixedClock())
    try:
        start.wait(30)
        results.put([_attempt(services, incentive_id, volunteer_id) for volunteer_id in volunteer_ids])
    finally:
        services.close()


def test_concurrent_redemptions_in_processes_never_oversell(walk: Walk, services: Services, settings: Settings) -> None:
    incentive_id = UUID(publish(walk, stock=3))
    people = [UUID(walk.volunteer().id) for _ in range(6)]
    # Each process tries two volunteers; they are the same two in every process, and each process also
    # races the others for the stock, so the refusals are out of stock, already redeemed or a conflict.
    process_outcomes = race_in_processes(_redeem_in_a_process, (settings, incentive_id, people), 3)
    outcomes = [o for batch in process_outcomes for o in batch]
    assert outcomes.count("redeemed") == 3, outcomes
    assert set(outcomes) <= {"redeemed", "out_of_stock", "already_redeemed", "conflict"}
    incentive: Any = services.timebank.repository.get(incentive_id)
    assert isinstance(incentive, Incentive) and (incentive.redeemed, incentive.stock_left) == (3, 0)
    services.projector.catch_up()
    assert expect(walk.api.get(f"/api/incentives/{incentive_id}", walk.admin), 200)["stock_left"] == 0
