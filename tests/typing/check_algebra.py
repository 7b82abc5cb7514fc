"""What type checkers infer for set algebra results; checked by mypy, never run."""

from __future__ import annotations

import json
from collections.abc import MutableSet
from typing import Any

import redis
import redis.asyncio
from typing_extensions import assert_type

import redset.asyncio
from redset import ScheduledSet, SortedSet, TimeSortedSet


class IntCodec:
    def encode(self, value: int, /) -> bytes:
        return str(value).encode()

    def decode(self, data: bytes, /) -> int:
        return int(data)


def takes_mutable_set(members: MutableSet[int]) -> None: ...


def check_sync(r: redis.Redis) -> None:
    a = SortedSet(r, "a", codec=IntCodec())
    b = SortedSet(r, "b", codec=IntCodec())
    takes_mutable_set(a)
    assert_type(a | b, list[int])
    assert_type(a & [1, 2], list[int])
    assert_type(a - b, list[int])
    assert_type(a ^ b, list[int])
    assert_type(a.union(b, aggregate="max"), list[int])
    assert_type(a.intersection([1]), list[int])
    assert_type(a.difference(b), list[int])
    assert_type(a.symmetric_difference(b), list[int])
    assert_type(a.union_update(b), None)
    assert_type(a.difference_update([1]), None)
    assert_type(a.update(b), int)
    assert_type(a <= b, bool)
    assert_type(a == {1}, bool)
    assert_type(a.isdisjoint([3]), bool)
    assert_type(a.issubset(b), bool)
    assert_type(a.discard(1), bool)
    a |= b
    assert_type(a, SortedSet[int])
    t = TimeSortedSet(r, "t")
    t -= ["x"]
    assert_type(t, TimeSortedSet[str])
    assert_type(ScheduledSet(r, "s") & ["x"], list[str])
    documents = SortedSet(r, "d", serializer=json)
    assert_type(documents - documents, list[Any])


async def check_async(r: redis.asyncio.Redis) -> None:
    a = redset.asyncio.SortedSet(r, "a", codec=IntCodec())
    b = redset.asyncio.SortedSet(r, "b", codec=IntCodec())
    assert_type(await a.union(b), list[int])
    assert_type(await a.intersection([1, 2], aggregate="sum"), list[int])
    assert_type(await a.difference(b), list[int])
    assert_type(await a.symmetric_difference(b), list[int])
    assert_type(await a.union_update(b), None)
    assert_type(await a.issubset(b), bool)
    assert_type(await a.issuperset([1]), bool)
    assert_type(await a.isdisjoint(b), bool)
    assert_type(await a.equals({1}), bool)
    assert_type(await a.missing([1, 2]), list[int])
    assert_type(await a.update(b), int)
