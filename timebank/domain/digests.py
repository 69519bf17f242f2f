"""Evidence and attachments are kept as SHA-256 digests (hex): the files stay where they are filed."""

from __future__ import annotations

import re
from collections.abc import Iterable

from timebank.domain.errors import InvalidInput

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
MAX_DIGESTS = 50


def check_digests(digests: Iterable[str], field: str) -> list[str]:
    """The digests, lower-cased and in the given order; each must be a SHA-256 in hex, none repeated."""
    found = [d.strip().lower() for d in digests]
    if len(found) > MAX_DIGESTS:
        raise InvalidInput(f"at most {MAX_DIGESTS} digests", field=field)
    for digest in found:
        if not _SHA256_HEX.match(digest):
            raise InvalidInput(f"{digest[:80]!r} is not a SHA-256 digest (64 hex digits)", field=field)
    if len(set(found)) != len(found):
        raise InvalidInput("a digest is listed twice", field=field)
    return found
