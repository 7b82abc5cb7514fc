"""The inspection commands: info, peek, dead, requeue and purge.

Members are read as raw bytes (``BytesCodec``), so any set can be inspected
whatever codec wrote it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TextIO

import redis

from .._leases import lease_keys
from .._replies import as_pairs, as_text
from .._sync import ScheduledSet, SortedSet
from ..codecs import BytesCodec
from ..errors import WrongTypeError
from .output import format_member, format_score, plural_suffix, table

__all__ = ["dead", "info", "peek", "purge", "requeue"]


def _view(client: redis.Redis, name: str) -> SortedSet[bytes]:
    return SortedSet(client, name, codec=BytesCodec())


def _check_main_key_type(client: redis.Redis, name: str) -> None:
    """Raise WrongTypeError when key ``name`` exists and is not a sorted set.

    Reading or deleting dead letters touches only the set's auxiliary keys,
    so a main key of another type would otherwise look like a set without
    dead letters.
    """
    redis_type = as_text(client.type(name))
    if redis_type not in ("zset", "none"):
        raise WrongTypeError(name, redis_type)


def _end_pair(client: redis.Redis, name: str, index: int) -> tuple[bytes, float] | None:
    pairs = as_pairs(client.zrange(name, index, index, withscores=True))
    return pairs[0] if pairs else None


def _memory_usage(client: redis.Redis, key: str) -> int | None:
    # SAMPLES 0 counts every element instead of estimating from 5 of them.
    used: int | None = client.memory_usage(key, samples=0)
    return used


def info(client: redis.Redis, name: str, out: TextIO) -> int:
    """Print the size, due count, leases, dead letters, scores and memory."""
    view = _view(client, name)
    size = len(view)
    due = ScheduledSet(client, name, codec=BytesCodec()).available()
    lowest = _end_pair(client, name, 0)
    highest = _end_pair(client, name, -1)
    memory = {key: _memory_usage(client, key) for key in lease_keys(name)}
    rows = [
        ("size", str(size) + ("" if client.exists(name) else " (no such key)")),
        ("due now", str(due)),
        ("in flight", str(view.in_flight())),
        ("dead letters", str(view.dead_letter_count())),
        ("lowest score", "-" if lowest is None else format_score(lowest[1])),
        ("highest score", "-" if highest is None else format_score(highest[1])),
    ]
    for key, used in memory.items():
        if used is not None:
            rows.append((f"bytes in {key}", str(used)))
    total = sum(used or 0 for used in memory.values())
    rows.append(("bytes in all keys", str(total)))
    print(table(("set", name), rows), file=out)
    return 0


def peek(client: redis.Redis, name: str, count: int, out: TextIO) -> int:
    """Print the first ``count`` members in score order, without removing them."""
    pairs = list(itertools.islice(_view(client, name).items(), count))
    if not pairs:
        print(f"{name!r} is empty", file=out)
        return 0
    rows = [
        (str(position), format_score(score), format_member(member))
        for position, (member, score) in enumerate(pairs)
    ]
    print(table(("#", "score", "member"), rows), file=out)
    return 0


def dead(client: redis.Redis, name: str, out: TextIO) -> int:
    """Print the dead letters: members that failed too often or do not decode."""
    _check_main_key_type(client, name)
    letters = _view(client, name).dead_letters()
    if not letters:
        print(f"{name!r} has no dead letters", file=out)
        return 0
    rows = [
        (
            format_score(letter.score),
            str(letter.attempts),
            letter.reason,
            format_member(letter.member),
        )
        for letter in letters
    ]
    print(table(("score", "attempts", "reason", "member"), rows), file=out)
    return 0


def requeue(client: redis.Redis, name: str, out: TextIO) -> int:
    """Move every dead letter back into the set with its old score."""
    moved = _view(client, name).requeue_dead_letters()
    print(
        f"moved {moved} dead letter{plural_suffix(moved)} back into {name!r}", file=out
    )
    return 0


def purge(
    client: redis.Redis,
    name: str,
    out: TextIO,
    *,
    confirm: Callable[[str], bool],
) -> int:
    """Delete the dead letters after ``confirm`` agrees; return 1 when it does not."""
    _check_main_key_type(client, name)
    view = _view(client, name)
    count = view.dead_letter_count()
    if count == 0:
        print(f"{name!r} has no dead letters", file=out)
        return 0
    if not confirm(f"Delete {count} dead letter{plural_suffix(count)} of {name!r}?"):
        print("nothing deleted", file=out)
        return 1
    deleted = view.purge_dead_letters()
    print(
        f"deleted {deleted} dead letter{plural_suffix(deleted)} of {name!r}", file=out
    )
    return 0
