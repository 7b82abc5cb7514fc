"""Names of the auxiliary Redis keys that belong to a set.

The main key is the set's name itself, so data written by redset 0.5 is read
in place. Every auxiliary key must hash to the same Redis Cluster slot as the
main key, because the Lua scripts touch both in one call.
"""

from __future__ import annotations

from functools import lru_cache

from redis.crc import key_slot

__all__ = ["auxiliary_key", "hash_tag"]


def hash_tag(name: bytes) -> bytes | None:
    """Return the part of ``name`` that Redis Cluster hashes, if it has a tag.

    The rule is Redis Cluster's: the bytes between the first ``{`` and the
    first ``}`` after it, when that span is not empty.
    """
    start = name.find(b"{")
    if start == -1:
        return None
    end = name.find(b"}", start + 1)
    if end == -1 or end == start + 1:
        return None
    return name[start + 1 : end]


@lru_cache(maxsize=256)
def _tag_for_slot(slot: int) -> bytes:
    # Names such as "a}b" have no hash tag and cannot be wrapped in braces,
    # so search for a short brace-free tag that hashes to the same slot.
    # CRC16 spreads these strings over all 16384 slots within a few ten
    # thousand tries.
    candidate = 0
    while True:
        tag = b"redset-slot-%d" % candidate
        if key_slot(tag) == slot:
            return tag
        candidate += 1


def auxiliary_key(name: str, suffix: str) -> str:
    """Return the key ``name``'s set keeps its ``suffix`` data in.

    The result hashes to the same cluster slot as ``name``:

    - a name with a hash tag keeps it: ``"jobs{a}"`` -> ``"jobs{a}:dead"``;
    - any other name becomes the tag: ``"jobs"`` -> ``"{jobs}:dead"``;
    - a name that cannot be a tag (it contains ``}``) is prefixed with a
      tag found to hash to the same slot: ``"a}b"`` -> ``"{redset-slot-N}a}b:dead"``.
    """
    encoded = name.encode("utf-8")
    if hash_tag(encoded) is not None:
        return f"{name}:{suffix}"
    if b"}" not in encoded:
        return f"{{{name}}}:{suffix}"
    tag = _tag_for_slot(key_slot(encoded)).decode("ascii")
    return f"{{{tag}}}{name}:{suffix}"
