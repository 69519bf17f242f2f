"""Reliability under faults: crashes, restarts, races and a model of the whole service (issue 15)."""
