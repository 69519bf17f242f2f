"""A projector process for the projector crash test: every view plus a projection that counts what it handles.

Run as `python -m tests.reliability.crash_projector_child` with the deployment's environment. It
builds the services, adds `Counting` to the projections and follows the log a page at a time
until it has caught up, then exits. It prints `ready` once the tables exist, `begin` before each
page and `end <n>` after the page's transaction committed, so the test can tell whether a SIGKILL
landed inside a batch. Each transaction pauses before it commits (CRASH_PROJECTOR_PAUSE), so kills
land inside batches however fast the machine is.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Integer, MetaData, Table, Uuid, event

from projections.base import Projection, handles
from projections.batch import Batch
from projections.runner import Projector, all_projections
from timebank.domain.ledger import TimeAccount, Transfer
from timebank.domain.volunteer import Volunteer

PAGE = int(os.environ.get("CRASH_PROJECTOR_PAGE", "250"))
# Seconds each transaction stays open, its rows written, before it commits. Without it a page took
# 10 ms on an idle machine and the whole log was projected before the test's first kill.
PAUSE = float(os.environ.get("CRASH_PROJECTOR_PAUSE", "0.02"))

counting_metadata = MetaData()
handled = Table(
    "crash_handled_events",
    counting_metadata,
    # No key over the event: a page applied twice would leave two rows, not an error that hides it.
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("originator_id", Uuid, nullable=False),
    Column("originator_version", Integer, nullable=False),
)


class Counting(Projection):
    """One row per event handled, written in the page's transaction like every view's rows."""

    name = "crash_counting"
    tables = (handled,)

    @handles(Volunteer.Registered, TimeAccount.Opened, TimeAccount.TransferApplied, Transfer.Created)  # type: ignore[attr-defined]
    def _count(self, batch: Batch, event: Any) -> None:
        batch.append(handled, {"originator_id": event.originator_id, "originator_version": event.originator_version})


class Announcing(Projector):
    def run_once(self, limit: int = PAGE, only: Sequence[Projection] | None = None) -> int:
        print("begin", flush=True)
        moved = super().run_once(limit, only)
        print(f"end {moved}", flush=True)
        return moved


def main() -> int:
    from api.app import build_services
    from timebank.settings import Settings

    services = build_services(Settings.from_env())
    app = services.timebank
    projector = Announcing(app.recorder, app.mapper, services.engine, projections=[*all_projections(), Counting()])
    projector.create_tables()
    event.listen(services.engine, "commit", lambda _conn: time.sleep(PAUSE))  # before the store's commit
    print("ready", flush=True)
    while projector.run_once(PAGE):
        pass
    print("caught up", flush=True)
    services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
