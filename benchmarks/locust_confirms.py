"""The HTTP load generator of `benchmarks.http`: locust users confirming service records, one round.

    python -m benchmarks.locust_confirms PLAN.json

Runs in a process of its own because importing locust monkey-patches the interpreter with gevent,
which would change the threads and sockets of whatever else runs in the same process (the raw
baseline, the other benchmarks of the suite). PLAN.json holds the server's address, an organizer's
access token and one queue of record ids per user. Each locust user (FastHttpUser, no wait time: a
closed loop) POSTs /api/service-records/{id}/confirm for each id of its queue, then stops. Prints
one JSON line: successes, failures, the time from the first request's start to the last response,
and latency percentiles.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any


def run_round(plan: dict[str, Any]) -> dict[str, Any]:
    import gevent
    from locust import FastHttpUser, constant, events, task
    from locust.env import Environment
    from locust.exception import StopUser

    queues: list[list[str]] = [list(reversed(q)) for q in plan["queues"]]
    headers = {"Authorization": f"Bearer {plan['token']}"}
    idempotency = bool(plan.get("idempotency"))
    spans: list[tuple[float, float]] = []
    errors: list[str] = []

    class Confirmer(FastHttpUser):
        host = plan["host"]
        wait_time = constant(0)
        queue: list[str]

        def on_start(self) -> None:
            self.queue = queues.pop() if queues else []

        @task
        def confirm(self) -> None:
            if not self.queue:
                raise StopUser()
            record_id = self.queue.pop()
            sent = {**headers, "Idempotency-Key": record_id} if idempotency else headers
            with self.client.post(f"/api/service-records/{record_id}/confirm", headers=sent, name="confirm",
                                  catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"{response.status_code}: {(response.text or '')[:200]}")

    def on_request(start_time: float, response_time: float, exception: BaseException | None, **_: Any) -> None:
        if exception is None:
            spans.append((start_time, start_time + response_time / 1000))
        elif len(errors) < 5:
            errors.append(str(exception))

    events.request.add_listener(on_request)
    users = len(plan["queues"])
    env = Environment(user_classes=[Confirmer], events=events)
    runner = env.create_local_runner()
    deadline = time.monotonic() + float(plan.get("timeout", 600))
    runner.start(users, spawn_rate=100)  # locust warns above 100/s; 8 clients are up within 0.1 s
    assert runner.spawning_greenlet is not None
    runner.spawning_greenlet.join()
    while runner.user_count and time.monotonic() < deadline:
        gevent.sleep(0.01)
    runner.quit()
    stats = env.stats.get("confirm", "POST")
    if not spans:
        return {"ok": 0, "failed": stats.num_failures, "seconds": 0.0, "errors": errors}
    return {
        "ok": len(spans),
        "failed": stats.num_failures,
        "seconds": max(end for _, end in spans) - min(start for start, _ in spans),
        "p50_ms": stats.get_response_time_percentile(0.5),
        "p99_ms": stats.get_response_time_percentile(0.99),
        "errors": errors,
    }


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as file:
        plan = json.load(file)
    print(json.dumps(run_round(plan)))


if __name__ == "__main__":
    main()
