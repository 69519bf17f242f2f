"""Read models built from the event log: batched, tracked, rebuilt from events at any time."""
