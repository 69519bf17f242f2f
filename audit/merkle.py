"""RFC 6962 Merkle tree hashing, inclusion and consistency proofs, and their verification.

Leaves are hashed as SHA-256(0x00 || data) and nodes as SHA-256(0x01 || left || right); a tree of n
leaves splits at k, the largest power of two below n (RFC 6962 §2.1). Proofs follow §2.1.1 (audit
paths) and §2.1.2 (consistency); verification follows RFC 9162 §2.1.3.2 and §2.1.4.2.

Trees are read through `Leaves`: a function giving the leaf hashes of [start, end) in order, so a
proof over a log of millions streams the hashes it needs (O(n) reads, O(log n) memory) instead of
holding them all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

Leaves = Callable[[int, int], Iterable[bytes]]
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(hashes: Iterable[bytes]) -> bytes:
    """The Merkle tree hash of leaf hashes given in order, in one pass with O(log n) memory.

    Full subtrees are merged as they complete (a compact range); folding the remaining ones from
    the right gives RFC 6962's tree, whose right part splits the same way recursively.
    """
    stack: list[tuple[int, bytes]] = []  # (size, hash) of full subtrees, sizes strictly decreasing
    for h in hashes:
        size, current = 1, h
        while stack and stack[-1][0] == size:
            _, left = stack.pop()
            current = node_hash(left, current)
            size *= 2
        stack.append((size, current))
    if not stack:
        return EMPTY_ROOT
    _, root = stack.pop()
    while stack:
        _, left = stack.pop()
        root = node_hash(left, root)
    return root


def tree_hash(leaves: Leaves, start: int, end: int) -> bytes:
    return root_of(leaves(start, end))


def inclusion_proof(leaves: Leaves, index: int, size: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 §2.1.1 for the leaf at 0-based `index` of a tree of `size` leaves."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(tree_hash(leaves, start + k, end))
            end = start + k
        else:
            path.append(tree_hash(leaves, start, start + k))
            start += k
    path.reverse()  # the recursion appends from the root down; the path lists from the leaf up
    return path


def consistency_proof(leaves: Leaves, first: int, second: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 6962 §2.1.2: that the tree of `first` leaves is a prefix of the one of `second`."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second} leaves")
    proof: list[bytes] = []
    m, start, end, complete = first, 0, second, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            proof.append(tree_hash(leaves, start + k, end))
            end = start + k
        else:
            proof.append(tree_hash(leaves, start, start + k))
            m -= k
            start += k
            complete = False
    if not complete:
        proof.append(tree_hash(leaves, start, end))
    proof.reverse()
    return proof


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether `proof` shows the leaf hash at `index` in the tree of `size` leaves with this root."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]) -> bool:
    """Whether `proof` shows the tree of `first` leaves (first_root) to be a prefix of the tree of `second`."""
    if first == second:
        return not proof and first_root == second_root
    if not 0 < first < second or not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first tree is a full subtree of the second
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root
