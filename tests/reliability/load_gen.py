"""A load generator for crash tests: threads send commands that each carry a client-chosen identity.

Every command is a POST with an `Idempotency-Key` and, where the API takes one, a client id
(a transfer's `transfer_id`; a registration's ID number; a sign-up's (shift, volunteer) pair), so
after any number of crashes the test can tell for each command whether it happened, and how often.
`TimeBankWorkload` sets up what the commands need over HTTP (an organization, shifts, funded
volunteers) and hands out commands: exchanges between volunteers, the office's corrections from
the issuance account, registrations and sign-ups.
"""

from __future__ import annotations

import itertools
import random
import threading
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import requests

from tests.builders import resident_id_number
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID
from timebank.domain.ledger import TimeAccount

REQUEST_TIMEOUT = 30.0  # above the idempotency hooks' 10 s wait for a running duplicate
BIRTH = date(1988, 3, 9)


@dataclass
class Command:
    kind: str  # exchange, correction, registration, signup
    path: str
    body: dict[str, Any]
    token: str | None
    key: str  # the Idempotency-Key
    identity: str  # the client-chosen identity: a transfer id, an ID number, "shift/volunteer"
    status: int | None = None  # None: no answer (the connection died or never opened)
    answer: Any = None
    replayed: bool = False
    attempts: int = 0

    def headers(self) -> dict[str, str]:
        headers = {"Idempotency-Key": self.key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def send(session: requests.Session, base: str, command: Command) -> None:
    """Send once; record the answer, or None when there was none."""
    command.attempts += 1
    try:
        response = session.post(base + command.path, json=command.body, headers=command.headers(), timeout=REQUEST_TIMEOUT)
    except requests.RequestException:
        command.status, command.answer = None, None
        return
    command.status = response.status_code
    command.answer = response.json() if response.content else None
    command.replayed = response.headers.get("Idempotent-Replayed") == "true"


@dataclass
class Person:
    id: str
    token: str

    @property
    def account_id(self) -> str:
        return str(TimeAccount.create_id(uuid.UUID(self.id)))


@dataclass
class TimeBankWorkload:
    """What the commands need (set up over HTTP once) and the next command to send."""

    admin_token: str
    seed: int
    volunteers: list[Person] = field(default_factory=list)
    shifts: list[str] = field(default_factory=list)
    sent: list[Command] = field(default_factory=list)
    funding: set[uuid.UUID] = field(default_factory=set)  # the opening transfers of set_up
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self._ids = itertools.count(1)
        self._free_pairs: list[tuple[str, Person]] = []

    # Setup ----------------------------------------------------------------------
    def registration_body(self, seq: int) -> dict[str, Any]:
        return {
            "name": f"志愿者{seq}", "sex": "female", "birth_date": BIRTH.isoformat(), "id_number": resident_id_number(BIRTH, seq),
            "phone": f"139{seq:08d}", "district": "朝阳区", "skills": ["first_aid"], "privacy_consent": True,
        }

    def set_up(self, base: str, volunteers: int = 8, shifts: int = 24, funds: int = 20_000) -> None:
        """An organizer's verified organization with a project and shifts on separate days, and funded volunteers."""
        def post(path: str, body: dict[str, Any], token: str | None, expect: int = 201) -> Any:
            r = requests.post(base + path, json=body, headers={"Authorization": f"Bearer {token}"} if token else {}, timeout=REQUEST_TIMEOUT)
            assert r.status_code == expect, (path, r.status_code, r.text)
            return r.json()

        def person() -> Person:
            reg = post("/api/volunteers", self.registration_body(next(self._ids)), None)
            return Person(reg["id"], reg["access_token"])

        organizer = person()
        org = post("/api/organizations", {"name": "朝阳门街道志愿服务队", "district": "朝阳区"}, organizer.token)["id"]
        post(f"/api/organizations/{org}/verify", {}, self.admin_token, expect=200)
        project = post("/api/projects", {"organization_id": org, "name": "社区助老", "person_in_charge": "王芳"}, organizer.token)["id"]
        first = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2)
        for day in range(shifts):
            starts = first + timedelta(days=day)
            self.shifts.append(post(f"/api/projects/{project}/shifts", {
                "title": f"第{day + 1}班", "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
                "place": "朝阳门社区服务中心", "capacity": volunteers + 1,
            }, organizer.token)["id"])
        for _ in range(volunteers):
            volunteer = person()
            self.volunteers.append(volunteer)
            self.funding.add(uuid.UUID(post("/api/transfers", {
                "debit_account_id": str(ISSUANCE_ACCOUNT_ID), "credit_account_id": volunteer.account_id,
                "minutes": funds, "kind": "correction", "note": "opening funds for the crash test",
            }, self.admin_token)["id"]))
        self._free_pairs = [(s, v) for s in self.shifts for v in self.volunteers]
        self.random.shuffle(self._free_pairs)

    # Commands -------------------------------------------------------------------
    def next_command(self) -> Command:
        with self._lock:
            command = self._draw()
            self.sent.append(command)
            return command

    def _draw(self) -> Command:
        roll = self.random.random()
        if roll < 0.12:
            seq = next(self._ids)
            body = self.registration_body(seq)
            return Command("registration", "/api/volunteers", body, None, f"reg-{seq}-{uuid.uuid4().hex[:8]}", body["id_number"])
        if roll < 0.27 and self._free_pairs:
            shift, volunteer = self._free_pairs.pop()
            return Command("signup", f"/api/shifts/{shift}/signups", {}, volunteer.token, f"signup-{uuid.uuid4().hex}",
                           f"{shift}/{volunteer.id}")
        transfer_id = str(uuid.uuid4())
        if roll < 0.35:
            target = self.random.choice(self.volunteers)
            body = {"transfer_id": transfer_id, "debit_account_id": str(ISSUANCE_ACCOUNT_ID), "credit_account_id": target.account_id,
                    "minutes": self.random.randint(1, 30), "kind": "correction", "note": "crash test top-up"}
            return Command("correction", "/api/transfers", body, self.admin_token, f"corr-{transfer_id}", transfer_id)
        payer, payee = self.random.sample(self.volunteers, 2)
        body = {"transfer_id": transfer_id, "debit_account_id": payer.account_id, "credit_account_id": payee.account_id,
                "minutes": self.random.randint(1, 5), "kind": "exchange"}
        return Command("exchange", "/api/transfers", body, payer.token, f"xfer-{transfer_id}", transfer_id)


def run_load(base: str, workload: TimeBankWorkload, threads: int, stop: threading.Event) -> list[Command]:
    """Send commands from `threads` threads until `stop` is set or the server stops answering.

    A thread stops at its first command without an answer: the server is gone (the test killed it).
    Returns the commands this run sent, in the order they were drawn."""
    mine: list[Command] = []
    lock = threading.Lock()

    def worker() -> None:
        with requests.Session() as session:
            while not stop.is_set():
                command = workload.next_command()
                with lock:
                    mine.append(command)
                send(session, base, command)
                if command.status is None:
                    return

    workers = [threading.Thread(target=worker, name=f"load-{i}", daemon=True) for i in range(threads)]
    for worker_thread in workers:
        worker_thread.start()
    for worker_thread in workers:
        worker_thread.join(REQUEST_TIMEOUT + 5)
    return mine
