"""What type checkers infer for every asyncio method; checked by mypy, never run."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import redis.asyncio
from typing_extensions import assert_type

from redset import BytesCodec
from redset.asyncio import ScheduledSet, SortedSet, TimeSortedSet
from redset.codecs import Codec


async def check_constructors(r: redis.asyncio.Redis, codec: Codec[int]) -> None:
    assert_type(SortedSet(r, "k"), SortedSet[str])
    assert_type(TimeSortedSet(r, "k"), TimeSortedSet[str])
    assert_type(ScheduledSet(r, "k"), ScheduledSet[str])
    assert_type(SortedSet(r, "k", codec=BytesCodec()), SortedSet[bytes])
    assert_type(ScheduledSet(r, "k", codec=codec), ScheduledSet[int])
    assert_type(TimeSortedSet(r, "k", serializer=json), TimeSortedSet[Any])


async def check_sorted_set(s: SortedSet[int]) -> None:
    assert_type(await s.add(1), bool)
    assert_type(await s.add(1, 2.0, update="keep"), bool)
    assert_type(await s.update([1, 2]), int)
    assert_type(await s.add_scored([(1, 1.0)]), int)
    assert_type(await s.pop(), int)
    assert_type(await s.pop(timeout=1), int)
    assert_type(await s.take(2), list[int])
    assert_type(await s.peek(), int)
    assert_type(await s.peek_score(), float | None)
    assert_type(await s.score(1), float | None)
    assert_type(await s.discard(1), bool)
    assert_type(await s.remove(1), None)
    assert_type(await s.clear(), None)
    assert_type(await s.count(), int)
    assert_type(await s.contains(1), bool)
    assert_type(s.__aiter__(), AsyncIterator[int])
    assert_type([item async for item in s], list[int])
    assert_type(s.items(), AsyncIterator[tuple[int, float]])
    assert_type([pair async for pair in s.items()], list[tuple[int, float]])


async def check_time_sorted_set(s: TimeSortedSet[bytes]) -> None:
    assert_type(await s.add(b"x"), bool)
    assert_type(await s.pop(), bytes)
    assert_type(await s.take(2, timeout=0.5), list[bytes])


async def check_scheduled_set(s: ScheduledSet[str]) -> None:
    assert_type(await s.add("x"), bool)
    assert_type(await s.add("x", at=datetime.now(timezone.utc)), bool)
    assert_type(await s.add("x", delay=timedelta(seconds=5)), bool)
    assert_type(await s.add("x", delay=5.0, update="replace"), bool)
    assert_type(await s.available(), int)
    assert_type(await s.pop(timeout=1), str)
    assert_type(await s.take(5), list[str])
    assert_type(await s.peek(), str)
