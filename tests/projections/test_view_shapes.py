"""A view whose tables changed shape in a new release is dropped and rebuilt from the log; others keep their rows."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, text, update

from api.services import Services
from projections.balances import accounts
from projections.db import positions
from projections.directory import volunteers
from projections.runner import Projector
from timebank.domain.ledger import TimeAccount


def register(services: Services, n: int) -> None:
    services.timebank.register_volunteer(
        name=f"v{n}", sex="male", birth_date=date(1985, 1, 1), id_type="passport", id_number=f"P{n:07d}",
        phone="13900000000", district="海淀区",
    )


def count(services: Services, table: object) -> int:
    with services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_a_changed_view_starts_over_and_is_rebuilt_while_the_others_keep_their_rows(services: Services) -> None:
    for n in range(3):
        register(services, n)
    services.projector.catch_up()
    with services.engine.begin() as conn:  # as if the code now defined the balances tables differently
        conn.execute(update(positions).where(positions.c.name == "balances").values(fingerprint="older-shape"))
    fresh = Projector(services.timebank.recorder, services.timebank.mapper, services.engine)
    assert fresh.create_tables() == ["balances"]
    positions_now = fresh.positions()
    assert positions_now["balances"] == 0 and positions_now["directory"] > 0
    assert count(services, accounts) == 0 and count(services, volunteers) == 3
    fresh.catch_up()
    assert count(services, accounts) == 3
    assert fresh.create_tables() == []  # unchanged shapes: nothing is reset


def test_views_written_before_fingerprints_existed_are_all_rebuilt(services: Services) -> None:
    register(services, 1)
    services.projector.catch_up()
    with services.engine.begin() as conn:
        conn.execute(text("DROP TABLE projection_positions"))
        conn.execute(text("CREATE TABLE projection_positions (name VARCHAR(64) PRIMARY KEY, position BIGINT NOT NULL, rebuilt_at TIMESTAMP)"))
        conn.execute(text("INSERT INTO projection_positions (name, position) VALUES ('balances', 99)"))
    fresh = Projector(services.timebank.recorder, services.timebank.mapper, services.engine)
    fresh.create_tables()
    assert set(fresh.positions().values()) == {0}
    fresh.catch_up()
    with services.engine.connect() as conn:
        assert conn.execute(select(accounts.c.id)).scalars().all() == [
            TimeAccount.create_id(r.id) for r in conn.execute(select(volunteers.c.id))
        ]
