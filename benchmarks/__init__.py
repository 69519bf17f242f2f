"""Benchmarks: scripts that print their figures; ratios against a baseline measured in the same run."""
