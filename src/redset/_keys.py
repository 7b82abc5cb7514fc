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
    # Every slot is reached within the first 143,772 candidates, about
    # 0.25 s for the slowest slot on a 2-core machine; results are cached.
    candidate = 0
    while True:
        tag = b"redset-slot-%d" % candidate
        if key_slot(tag) == slot:
            return tag
        candidate += 1


def auxiliary_key(name: str, suffix: str) -> str:
    """Return the key ``name``'s set keeps its ``suffix`` data in.

    The result hashes to the same cluster slot as ``name``, and two distinct
    names never get the same key for one suffix:

    - a name without braces becomes the tag: ``"jobs"`` -> ``"{jobs}:dead"``;
    - any other name is prefixed with a tag of the same slot: its own hash
      tag if it has one (``"jobs{a}"`` -> ``"{a}jobs{a}:dead"``), else a tag
      found by search (``"a}b"`` -> ``"{redset-slot-N}a}b:dead"``).

    The prefix tag contains no ``}``, so the first ``}`` of the result ends
    it and the name can be read back from what follows: that is why keys
    of distinct names differ.

    Raises:
        ValueError: ``name`` is empty, which no set may be named.
    """
    if not name:
        raise ValueError("a set name must not be empty")
    encoded = name.encode("utf-8")
    if b"{" not in encoded and b"}" not in encoded:
        return f"{{{name}}}:{suffix}"
    tag = hash_tag(encoded)
    if tag is None:
        tag = _tag_for_slot(key_slot(encoded))
    return f"{{{tag.decode('utf-8')}}}{name}:{suffix}"
