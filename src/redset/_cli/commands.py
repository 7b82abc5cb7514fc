"""The inspection commands: info, peek, dead, requeue and purge.

Members are read as raw bytes (``BytesCodec``), so any set can be inspected
whatever codec wrote it. info, peek and dead only read. They do not return
expired leases to the set, as the library's counts do, because the command
does not know the application's max_attempts or update policy, which decide
where such an item goes.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from typing import TextIO

import redis

from .._leases import KEY_TYPES, TYPE_NAMES, lease_keys, parse_dead_info
from .._replies import as_pairs, as_text
from .._sync import SortedSet
from ..codecs import BytesCodec
from ..errors import WrongTypeError
from .connection import CommandError
from .output import format_member, format_score, format_text, plural_suffix, table

__all__ = ["dead", "info", "peek", "purge", "requeue"]


def _view(client: redis.Redis, name: str) -> SortedSet[bytes]:
    return SortedSet(client, name, codec=BytesCodec())


def _check_key_types(client: redis.Redis, name: str) -> None:
    """Raise WrongTypeError when a key of set ``name`` has another Redis type.

    Reading or deleting dead letters touches only the set's auxiliary keys,
    so a main key of another type would otherwise look like a set without
    dead letters.
    """
    for key, expected in zip(lease_keys(name), KEY_TYPES, strict=True):
        redis_type = as_text(client.type(key))
        if redis_type not in (expected, "none"):
            raise WrongTypeError(key, redis_type, TYPE_NAMES[expected])


def _server_time(client: redis.Redis) -> float:
    seconds, microseconds = client.time()
    return seconds + microseconds / 1_000_000


def _due_count(client: redis.Redis, name: str, lease_info: str, now: float) -> int:
    """Count the members with a score up to ``now`` that are not in flight."""
    due = int(client.zcount(name, "-inf", now))
    # Members added again while in flight are in the set, but a pop passes
    # over them until their lease ends.
    in_flight: list[bytes] = client.hkeys(lease_info)  # type: ignore[assignment]  # redis-py types replies loosely
    for start in range(0, len(in_flight), 1000):
        chunk = in_flight[start : start + 1000]
        scores = client.zmscore(name, chunk)  # type: ignore[arg-type]  # redis-py annotates members as str; bytes work
        due -= sum(1 for score in scores if score is not None and score <= now)
    return due


def _end_pair(client: redis.Redis, name: str, index: int) -> tuple[bytes, float] | None:
    pairs = as_pairs(client.zrange(name, index, index, withscores=True))
    return pairs[0] if pairs else None


def _memory_usage(client: redis.Redis, key: str) -> int | None:
    # SAMPLES 0 counts every element instead of estimating from 5 of them.
    used: int | None = client.memory_usage(key, samples=0)
    return used


def info(client: redis.Redis, name: str, out: TextIO) -> int:
    """Print the size, due count, leases, dead letters, scores and memory."""
    _check_key_types(client, name)
    keys = lease_keys(name)
    now = _server_time(client)
    size = int(client.zcard(name))
    lowest = _end_pair(client, name, 0)
    highest = _end_pair(client, name, -1)
    memory = {key: _memory_usage(client, key) for key in keys}
    rows = [
        ("size", str(size) + ("" if client.exists(name) else " (no such key)")),
        ("due now", str(_due_count(client, name, keys[2], now))),
        ("in flight", str(client.zcard(keys[1]))),
        ("past deadline", str(client.zcount(keys[1], "-inf", now))),
        ("dead letters", str(client.zcard(keys[4]))),
        ("lowest score", "-" if lowest is None else format_score(lowest[1])),
        ("highest score", "-" if highest is None else format_score(highest[1])),
    ]
    for key, used in memory.items():
        if used is not None:
            rows.append((f"bytes in {format_text(key)}", str(used)))
    total = sum(used or 0 for used in memory.values())
    rows.append(("bytes in all keys", str(total)))
    print(table(("set", format_text(name)), rows), file=out)
    return 0


def peek(client: redis.Redis, name: str, count: int, out: TextIO) -> int:
    """Print the first ``count`` members in score order, without removing them."""
    # islice() takes at most sys.maxsize, and no set contains that many
    # members, so a larger count shows the whole set, as any count above the
    # set's size does.
    limit = min(count, sys.maxsize)
    pairs = list(itertools.islice(_view(client, name).items(), limit))
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
    _check_key_types(client, name)
    keys = lease_keys(name)
    letters = as_pairs(client.zrange(keys[4], 0, -1, withscores=True))
    if not letters:
        print(f"{name!r} has no dead letters", file=out)
        return 0
    infos = client.hmget(keys[5], [member for member, _ in letters])
    rows = []
    for (member, score), dead_info in zip(letters, infos, strict=True):
        attempts, reason = parse_dead_info(dead_info)
        rows.append(
            (
                format_score(score),
                str(attempts),
                format_text(reason),
                format_member(member),
            )
        )
    print(table(("score", "attempts", "reason", "member"), rows), file=out)
    return 0


def requeue(client: redis.Redis, name: str, out: TextIO) -> int:
    """Move every dead letter back into the set with its old score."""
    moved = _view(client, name).requeue_dead_letters()
    print(
        f"moved {moved} dead letter{plural_suffix(moved)} back into {name!r}", file=out
    )
    return 0


# Number of times purge counts and prompts again when the dead letters
# change between its count and its delete, before it raises CommandError.
_PURGE_ATTEMPTS = 3


def purge(
    client: redis.Redis,
    name: str,
    out: TextIO,
    *,
    confirm: Callable[[str], bool],
) -> int:
    """Delete the dead letters after ``confirm`` agrees; return 1 when it does not.

    The count given to ``confirm`` and the delete run under WATCH of the two
    dead-letter keys, so the delete removes exactly the dead letters counted.
    When another client changes them before the delete, EXEC deletes
    nothing, and purge counts and prompts again. Raises CommandError when
    they change _PURGE_ATTEMPTS times in a row.
    """
    dead_key, dead_info_key = lease_keys(name)[4:6]
    for _ in range(_PURGE_ATTEMPTS):
        with client.pipeline() as transaction:
            transaction.watch(dead_key, dead_info_key)  # type: ignore[no-untyped-call]  # redis-py leaves Pipeline.watch unannotated
            # After WATCH, these commands run at once on the watching
            # connection. A dead-letter key that another program replaces
            # after its type check therefore makes EXEC fail, and DEL never
            # deletes that program's data.
            _check_key_types(transaction, name)
            count = int(transaction.zcard(dead_key))
            if count == 0:
                print(f"{name!r} has no dead letters", file=out)
                return 0
            question = f"Delete {count} dead letter{plural_suffix(count)} of {name!r}?"
            if not confirm(question):
                print("nothing deleted", file=out)
                return 1
            transaction.multi()
            transaction.delete(dead_key, dead_info_key)
            try:
                transaction.execute()
            except redis.WatchError as error:
                # redis-py raises WatchError, with this wording, for a
                # connection that closed while watching too, such as one the
                # server's idle timeout closed while the question waited.
                if "occurred while watching" in str(error):
                    raise CommandError(
                        "the connection to Redis closed before the delete, so "
                        "nothing was deleted; run purge again"
                    ) from None
                print(
                    f"the dead letters of {name!r} changed before the delete, "
                    "so nothing was deleted",
                    file=out,
                )
                continue
        print(
            f"deleted {count} dead letter{plural_suffix(count)} of {name!r}", file=out
        )
        return 0
    raise CommandError(
        f"the dead letters of {name!r} changed before each of {_PURGE_ATTEMPTS} "
        "deletes, so nothing was deleted; run purge again when fewer items fail"
    )
