"""What type checkers infer for the set classes; checked by mypy, never run."""

from __future__ import annotations

import json
from typing import Any

import redis
import redis.asyncio
from typing_extensions import assert_type

import redset
import redset.asyncio
from redset import BytesCodec, ScheduledSet, SortedSet, TimeSortedSet
from redset.serializers import NamedtupleSerializer


class IntCodec:
    def encode(self, value: int, /) -> bytes:
        return str(value).encode()

    def decode(self, data: bytes, /) -> int:
        return int(data)


def check_sync(r: redis.Redis) -> None:
    assert_type(SortedSet(r, "k"), SortedSet[str])
    assert_type(TimeSortedSet(r, "k"), TimeSortedSet[str])
    assert_type(ScheduledSet(r, "k"), ScheduledSet[str])
    assert_type(SortedSet(r, "k", codec=BytesCodec()), SortedSet[bytes])
    assert_type(SortedSet(r, "k", codec=IntCodec()), SortedSet[int])
    assert_type(TimeSortedSet(r, "k", serializer=json), TimeSortedSet[Any])
    assert_type(TimeSortedSet(r, "k", None, json), TimeSortedSet[Any])
    s = SortedSet(r, "k", codec=IntCodec())
    assert_type(s.pop(), int)
    assert_type(s.take(2), list[int])
    assert_type(s.peek(), int)
    assert_type(s.score(1), float | None)
    assert_type(s.add(1), bool)
    assert_type(s.update([1, 2]), int)
    assert_type(list(s), list[int])
    assert_type(list(s.items()), list[tuple[int, float]])
    assert_type(ScheduledSet(r, "k").available(), int)


def score_int(value: int) -> float:
    return float(value)


def check_scorer(r: redis.Redis, codec: IntCodec | None) -> None:
    # Without a codec the members are str, whatever the scorer accepts.
    assert_type(SortedSet(r, "k", scorer=len), SortedSet[str])
    assert_type(TimeSortedSet(r, "k", scorer=len), TimeSortedSet[str])
    assert_type(ScheduledSet(r, "k", len), ScheduledSet[str])
    assert_type(SortedSet(r, "k", scorer=score_int, codec=IntCodec()), SortedSet[int])
    assert_type(TimeSortedSet(r, "k", len, codec=BytesCodec()), TimeSortedSet[bytes])
    assert_type(SortedSet(r, "k", codec=codec), SortedSet[int])
    SortedSet(r, "k", scorer=score_int)  # type: ignore[arg-type]  # scores int members, but members are str


def check_serializer(
    r: redis.Redis, serializer: NamedtupleSerializer[tuple[int, int]]
) -> None:
    assert_type(SortedSet(r, "k", serializer=serializer), SortedSet[tuple[int, int]])


async def check_async(r: redis.asyncio.Redis) -> None:
    s = redset.asyncio.SortedSet(r, "k", codec=IntCodec())
    assert_type(s, redset.asyncio.SortedSet[int])
    assert_type(redset.asyncio.TimeSortedSet(r, "k"), redset.asyncio.TimeSortedSet[str])
    assert_type(await s.pop(), int)
    assert_type(await s.take(3), list[int])
    assert_type(await s.count(), int)
    assert_type(await s.contains(3), bool)
    assert_type([item async for item in s], list[int])
    assert_type(await redset.asyncio.ScheduledSet(r, "k").available(), int)
    assert_type(
        redset.asyncio.TimeSortedSet(r, "k", scorer=len),
        redset.asyncio.TimeSortedSet[str],
    )
