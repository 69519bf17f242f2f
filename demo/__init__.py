"""Demo data: a believable Beijing volunteer time bank, built only through TimeBank's commands.

`seed_demo(app)` registers a few hundred volunteers, a dozen organizations across Beijing's
district-level units (one left unverified), their projects and shifts (past, running and future),
and service records in every state a user should see: confirmed (from check-in/check-out and from
bulk entry), pending (check-outs and self-declarations awaiting an organizer), rejected (with a
reason), corrected (a volunteer's request then an organizer's correction) and revoked.

Everything goes through the public command methods of `TimeBank`, so every rule of the domain
(recording deadline, check-in window, capacity, skills, no double booking, 谁组织谁记录) holds for
the demo data too. Times are taken from `app.clock()`: past attendance uses shifts that are still
running (sign-up is open until a shift ends) with check-in/check-out times in the past; bulk
entries and self-declarations use service dates 1-7 days ago, always inside the recording deadline.

The plan is drawn from `random.Random` streams derived from the seed and a seeded `Faker("zh_CN")`,
so the same seed gives the same people, organizations and the same number of records in each state,
whatever the time of day (the ids the application allocates are random and never drive a decision).
Seed an empty store only (`is_seeded`): on a store seeded with the same seed and identity secret,
the first registration is refused as a duplicate identity document before anything is written.
"""

from demo.seeder import MIN_VOLUNTEERS, DemoAccess, is_seeded, seed_demo

__all__ = ["DemoAccess", "seed_demo", "is_seeded", "MIN_VOLUNTEERS"]
