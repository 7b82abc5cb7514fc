"""Names of the auxiliary Redis keys that belong to a set.

The main key is the set's name itself, so data written by redset 0.5 is read
in place. Every auxiliary key must hash to the same Redis Cluster slot as the
main key, because the Lua scripts touch both in one call.
"""

from __future__ import annotations

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


# Tags for names that have no hash tag of their own are this prefix and
# _TAG_DIGITS characters "0" or "1". The slot is the low 14 bits of a CRC16
# (XMODEM, initial value 0), which is linear over GF(2) for messages of one
# length. So flipping one digit XORs the slot with a fixed vector, and the
# digits to flip for any slot come from solving that linear system.
_TAG_PREFIX = b"redset-slot-"
_TAG_DIGITS = 16
_ZERO_TAG = _TAG_PREFIX + b"0" * _TAG_DIGITS


def _flip_vector(position: int) -> int:
    """Return how flipping digit ``position`` from "0" to "1" changes the slot."""
    message = bytearray(len(_ZERO_TAG))
    message[len(_TAG_PREFIX) + position] = ord("0") ^ ord("1")
    return key_slot(bytes(message))


def _build_basis() -> dict[int, tuple[int, int]]:
    """Map each pivot bit to a slot change and the digits whose flips make it."""
    basis: dict[int, tuple[int, int]] = {}
    for position in range(_TAG_DIGITS):
        vector, digits = _flip_vector(position), 1 << position
        for pivot in sorted(basis, reverse=True):
            if vector >> pivot & 1:
                vector ^= basis[pivot][0]
                digits ^= basis[pivot][1]
        if vector:
            basis[vector.bit_length() - 1] = (vector, digits)
    return basis


_BASIS = _build_basis()


def _tag_for_slot(slot: int) -> bytes:
    # Names such as "a}b" have no hash tag and cannot be wrapped in braces,
    # so they get a brace-free tag computed to hash to the same slot.
    change = slot ^ key_slot(_ZERO_TAG)
    digits = 0
    for pivot in sorted(_BASIS, reverse=True):
        if change >> pivot & 1:
            change ^= _BASIS[pivot][0]
            digits ^= _BASIS[pivot][1]
    if change:
        raise AssertionError(f"no tag of {_TAG_DIGITS} digits reaches slot {slot}")
    flipped = bytes(
        ord("1") if digits >> position & 1 else ord("0")
        for position in range(_TAG_DIGITS)
    )
    return _TAG_PREFIX + flipped


def auxiliary_key(name: str, suffix: str) -> str:
    """Return the key ``name``'s set keeps its ``suffix`` data in.

    The result hashes to the same cluster slot as ``name``, and two distinct
    names never get the same key for one suffix:

    - a name without braces becomes the tag: ``"jobs"`` -> ``"{jobs}:dead"``;
    - any other name is prefixed with a tag of the same slot: its own hash
      tag if it has one (``"jobs{a}"`` -> ``"{a}jobs{a}:dead"``), else a tag
      computed to hash to the name's slot
      (``"a}b"`` -> ``"{redset-slot-0111100001010110}a}b:dead"``).

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
