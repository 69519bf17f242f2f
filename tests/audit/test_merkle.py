"""The Merkle tree against RFC 6962's test vectors (as published by transparency-dev/merkle, the
Certificate Transparency reference: testonly/constants.go and proof/verify_test.go)."""

from __future__ import annotations

import pytest

from audit import merkle

LEAF_INPUTS = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
)]
LEAVES = [merkle.leaf_hash(data) for data in LEAF_INPUTS]
ROOTS = [bytes.fromhex(h) for h in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  # the empty tree
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]
# (1-based leaf, tree size, audit path) and (first size, second size, consistency proof), verbatim from the vectors.
INCLUSION = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]


def leaves(start: int, end: int) -> list[bytes]:
    return LEAVES[start:end]


@pytest.mark.parametrize("size", range(0, 9))
def test_the_root_of_every_prefix_is_the_published_one(size: int) -> None:
    assert merkle.root_of(LEAVES[:size]) == ROOTS[size]


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION)
def test_inclusion_proofs_are_the_published_ones_and_verify(leaf: int, size: int, path: list[str]) -> None:
    proof = merkle.inclusion_proof(leaves, leaf - 1, size)
    assert [p.hex() for p in proof] == path
    assert merkle.verify_inclusion(LEAVES[leaf - 1], leaf - 1, size, proof, ROOTS[size])


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_consistency_proofs_are_the_published_ones_and_verify(first: int, second: int, path: list[str]) -> None:
    proof = merkle.consistency_proof(leaves, first, second)
    assert [p.hex() for p in proof] == path
    assert merkle.verify_consistency(first, second, ROOTS[first], ROOTS[second], proof)


def test_every_inclusion_and_consistency_proof_of_the_eight_leaves_verifies() -> None:
    for size in range(1, 9):
        for index in range(size):
            assert merkle.verify_inclusion(LEAVES[index], index, size, merkle.inclusion_proof(leaves, index, size), ROOTS[size])
        for first in range(1, size + 1):
            assert merkle.verify_consistency(first, size, ROOTS[first], ROOTS[size], merkle.consistency_proof(leaves, first, size))


@pytest.mark.parametrize(("leaf", "size", "path"), [v for v in INCLUSION if v[2]])
def test_a_corrupted_inclusion_proof_fails(leaf: int, size: int, path: list[str]) -> None:
    proof = [bytes.fromhex(p) for p in path]
    index, root = leaf - 1, ROOTS[size]
    assert not merkle.verify_inclusion(LEAVES[index], index + 1, size, proof, root)  # wrong index
    assert not merkle.verify_inclusion(LEAVES[index], index, size * 2, proof, root)  # wrong size
    assert not merkle.verify_inclusion(b"WrongLeaf", index, size, proof, root)
    assert not merkle.verify_inclusion(LEAVES[index], index, size, proof, merkle.EMPTY_ROOT)
    assert not merkle.verify_inclusion(LEAVES[index], index, size, [*proof, root], root)  # trailing garbage
    assert not merkle.verify_inclusion(LEAVES[index], index, size, proof[:-1], root)  # a component removed
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        assert not merkle.verify_inclusion(LEAVES[index], index, size, flipped, root)


@pytest.mark.parametrize(("first", "second", "path"), [v for v in CONSISTENCY if v[2]])
def test_a_corrupted_consistency_proof_fails(first: int, second: int, path: list[str]) -> None:
    proof = [bytes.fromhex(p) for p in path]
    r1, r2 = ROOTS[first], ROOTS[second]
    assert not merkle.verify_consistency(first - 1 or 1, second, r1, r2, proof) or first == 1
    assert not merkle.verify_consistency(first, second * 2, r1, r2, proof)
    assert not merkle.verify_consistency(first, second, r2, r1, proof)  # swapped roots
    assert not merkle.verify_consistency(first, second, r1, r2, [])
    assert not merkle.verify_consistency(first, second, r1, r2, [*proof, r1])
    assert not merkle.verify_consistency(first, second, r1, r2, proof[:-1])
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        assert not merkle.verify_consistency(first, second, r1, r2, flipped)
