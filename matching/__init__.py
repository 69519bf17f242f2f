"""Optimal assignment of volunteers to the open slots of needs (OR-Tools min-cost flow), the greedy
baseline it is measured against, and synthetic Beijing-like instances for the benchmarks."""
