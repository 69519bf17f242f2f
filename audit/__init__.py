"""Tamper evidence for the event log: a dense sealed sequence, a hash chain, a Merkle tree, signed checkpoints."""
